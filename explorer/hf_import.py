"""Read a Hugging Face ``config.json`` into a DecoderConfig.

Only the JSON is read. No code named by the file runs (no ``trust_remote_code``, no pickle),
and ``transformers`` is not needed. Each supported ``model_type`` has a reader in
``explorer.hf_families`` that maps the file's keys to recipe fields, with the defaults of that
family's ``transformers`` config class (version 5.25) for keys the file omits.

A key that changes the architecture in a way the recipe cannot express (mixture of experts,
latent attention, logit soft-capping, a post-norm block, ...) is rejected. So is any key this
reader does not know, so an import never returns a silently wrong model.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable, Mapping

from model import DecoderConfig

MAX_FILE_BYTES = 5 * 1024 * 1024

# Upper bounds far above any published model; larger values are typos or hostile input.
MAX_SIZES = {"width": 1 << 18, "layers": 1 << 12, "heads": 1 << 12, "vocab": 1 << 23, "positions": 1 << 25}

# Keys that affect training, tokenization, generation or bookkeeping, but not the architecture.
IGNORED_KEYS = frozenset({
    "_name_or_path", "architectures", "model_type", "transformers_version", "torch_dtype", "dtype",
    "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "decoder_start_token_id",
    "initializer_range", "init_std", "use_cache", "tokenizer_class", "task_specific_params",
    "id2label", "label2id", "num_labels", "problem_type", "output_attentions", "output_hidden_states",
    "return_dict", "use_return_dict", "chunk_size_feed_forward", "is_encoder_decoder", "is_decoder",
    "attn_pdrop", "embd_pdrop", "resid_pdrop", "emb_pdrop", "attention_dropout", "hidden_dropout",
    "dropout", "embed_dropout", "resid_dropout", "classifier_dropout", "layerdrop",
    "summary_type", "summary_use_proj", "summary_activation", "summary_proj_to_labels",
    "summary_first_dropout", "gradient_checkpointing", "pretraining_tp", "max_length",
    "activation_dropout", "prefix", "explorer_schema", "explorer_version",
})

# Keys of architectures the recipe does not model; shown by name when a file sets them.
UNMODELLED_KEYS = frozenset({
    "num_experts", "num_local_experts", "num_experts_per_tok", "n_routed_experts", "n_shared_experts",
    "moe_intermediate_size", "router_aux_loss_coef", "kv_lora_rank", "q_lora_rank", "qk_rope_head_dim",
    "attn_logit_softcapping", "final_logit_softcapping", "query_pre_attn_scalar", "auto_map",
    "quantization_config", "add_cross_attention", "cross_attention_hidden_size",
})


# Family names for listing recipes, by model_type.
FAMILY_NAMES = {
    "gpt2": "GPT-2", "gpt_neo": "GPT-Neo", "opt": "OPT", "llama": "Llama", "mistral": "Mistral", "qwen2": "Qwen2",
    "gpt_neox": "GPT-NeoX", "phi": "Phi", "falcon": "Falcon", "gemma": "Gemma", "bloom": "BLOOM", "mpt": "MPT",
    "olmo": "OLMo",
}


def shorten(value: Any, limit: int = 80) -> str:
    """Return repr(value) cut to ``limit`` characters, so an error stays one readable line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def names(keys: list[str]) -> str:
    return ", ".join(shorten(k, 40) for k in keys)


class Reader:
    """Typed access to a config dict that remembers which keys were read."""

    def __init__(self, data: Mapping[str, Any], model_type: str):
        odd = [k for k in data if not isinstance(k, str)]
        if odd:
            raise ValueError(f"invalid key {shorten(odd[0])} in a {model_type} config.json: JSON keys are strings")
        self.data = data
        self.model_type = model_type
        self.used: set[str] = set()

    def fail(self, key: str, value: Any, allowed: str) -> ValueError:
        return ValueError(f"invalid {key}={shorten(value)} in a {self.model_type} config.json: {allowed}")

    def get(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.data.get(key, default)

    def require(self, key: str) -> Any:
        self.used.add(key)
        if key not in self.data:
            raise ValueError(f"missing key {key!r} in a {self.model_type} config.json: it sets the model's size")
        return self.data[key]

    def int(self, key: str, default: Any = "required", limit: str = "width", minimum: int = 1) -> int | None:
        value = self.require(key) if default == "required" else self.get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, value, "expected an integer")
        if not minimum <= value <= MAX_SIZES[limit]:
            raise self.fail(key, value, f"expected an integer in {minimum}..{MAX_SIZES[limit]}")
        return value

    def float(self, key: str, default: float, minimum: float = 0.0) -> float:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(key, value, "expected a finite number")
        if value <= minimum:
            raise self.fail(key, value, f"expected a number > {minimum}")
        return float(value)

    def bool(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, value, "expected true or false")
        return value

    def expect(self, key: str, default: Any, allowed: tuple, reason: str) -> Any:
        """Read a key whose other values the recipe cannot model, and reject those values."""
        value = self.get(key, default)
        if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
            allowed_text = " or ".join(json.dumps(a) for a in allowed)
            raise self.fail(key, value, f"only {allowed_text} is modelled ({reason})")
        return value

    def choice(self, key: str, default: str, mapping: Mapping[str, Any]) -> Any:
        value = self.get(key, default)
        if not isinstance(value, str) or value not in mapping:
            raise self.fail(key, value, f"expected one of {', '.join(mapping)}")
        return mapping[value]

    def check_unread(self) -> None:
        unread = sorted(set(self.data) - self.used - IGNORED_KEYS)
        unmodelled = [k for k in unread if k in UNMODELLED_KEYS and self.data[k] not in (None, False, 0)]
        unknown = [k for k in unread if k not in UNMODELLED_KEYS]
        if unmodelled:
            raise ValueError(f"unmodelled architecture keys in a {self.model_type} config.json: {names(unmodelled)}; "
                             "the recipe has no equivalent, so no parameter count is given")
        if unknown:
            raise ValueError(f"unknown keys in a {self.model_type} config.json: {names(unknown)}; "
                             "they may change the architecture, so the file is rejected rather than misread")


def read_rope(r: Reader, theta: float = 10000.0, fraction: float = 1.0,
              theta_key: str = "rope_theta", fraction_key: str | None = None) -> dict[str, Any]:
    """Read RoPE settings from a v5 ``rope_parameters`` object or the older separate keys."""
    params = r.get("rope_parameters")
    if params is not None:
        if not isinstance(params, Mapping):
            raise r.fail("rope_parameters", params, "expected an object")
        sub = Reader(params, r.model_type)
        theta = sub.float("rope_theta", theta)
        fraction = sub.float("partial_rotary_factor", fraction)
        scaling = read_rope_scaling(sub, params)
        sub.used |= {"rope_type", "type", "factor", "low_freq_factor", "high_freq_factor",
                     "original_max_position_embeddings"}
        extra = sorted(set(params) - sub.used)
        if extra:
            raise r.fail("rope_parameters", params, f"unmodelled settings {names(extra)}")
    else:
        theta = r.float(theta_key, theta)
        if fraction_key is not None:
            fraction = r.float(fraction_key, fraction)
        scaling = r.get("rope_scaling")
        if scaling is not None:
            if not isinstance(scaling, Mapping):
                raise r.fail("rope_scaling", scaling, "expected null or an object")
            scaling = read_rope_scaling(Reader(scaling, r.model_type), scaling)
            extra = sorted(set(r.data["rope_scaling"]) - {"rope_type", "type", "factor", "low_freq_factor",
                                                          "high_freq_factor", "original_max_position_embeddings"})
            if extra:
                raise r.fail("rope_scaling", r.data["rope_scaling"], f"unmodelled settings {names(extra)}")
    if fraction > 1.0:
        raise r.fail("partial_rotary_factor", fraction, "expected a share of head_dim in (0, 1]")
    return {"kind": "rope", "theta": theta, "fraction": fraction, "scaling": scaling}


def read_rope_scaling(sub: Reader, params: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = params.get("rope_type", params.get("type", "default"))
    if kind == "default":
        return None
    if kind == "linear":
        return {"type": "linear", "factor": sub.float("factor", 1.0)}
    if kind == "llama3":
        low, high = sub.float("low_freq_factor", 1.0), sub.float("high_freq_factor", 4.0)
        if high <= low:
            raise sub.fail("rope_scaling.high_freq_factor", high, f"must exceed low_freq_factor={low}")
        return {"type": "llama3", "factor": sub.float("factor", 8.0), "low_freq_factor": low, "high_freq_factor": high,
                "original_max_seq_len": sub.int("original_max_position_embeddings", 8192, limit="positions")}
    raise sub.fail("rope_scaling.rope_type", kind, "only default, linear and llama3 are modelled")


FamilyReader = Callable[[Reader], dict[str, Any]]
FAMILIES: dict[str, FamilyReader] = {}


def register(model_type: str) -> Callable[[FamilyReader], FamilyReader]:
    def add(reader: FamilyReader) -> FamilyReader:
        FAMILIES[model_type] = reader
        return reader

    return add


def config_from_hf(data: Any, name: str | None = None, description: str | None = None) -> DecoderConfig:
    """Map the dict of a Hugging Face ``config.json`` to a validated DecoderConfig.

    Raises ValueError, naming the key, for an unknown ``model_type``, a missing size, a value of
    the wrong type or range, or a key the recipe does not model.
    """
    from . import hf_families, hf_families_rope  # noqa: F401  (register the family readers)

    if not isinstance(data, Mapping):
        raise ValueError(f"invalid config.json: expected a JSON object, got {type(data).__name__}")
    model_type = data.get("model_type")
    if not isinstance(model_type, str) or model_type not in FAMILIES:
        raise ValueError(f"invalid model_type={shorten(model_type)} in config.json: supported are {', '.join(sorted(FAMILIES))}")
    reader = Reader(data, model_type)
    fields = FAMILIES[model_type](reader)
    reader.check_unread()

    source = data.get("_name_or_path")
    fields["name"] = name or (source.rsplit("/", 1)[-1] if isinstance(source, str) and source else model_type)
    fields["description"] = description or f"Imported from a Hugging Face config.json (model_type {model_type})."
    fields.setdefault("family", FAMILY_NAMES.get(model_type, model_type))
    try:
        return DecoderConfig.from_dict(fields)
    except ValueError as err:
        raise ValueError(f"a {model_type} config.json gives an invalid recipe: {err}") from None


def reject_constant(token: str) -> None:
    raise ValueError(f"invalid number {token} in config.json: expected a finite number")


def parse_hf_json(text: str | bytes) -> Any:
    """Parse config.json text, rejecting NaN and Infinity, which JSON itself does not allow."""
    if len(text) > MAX_FILE_BYTES:
        raise ValueError(f"config.json is {len(text)} bytes: above the limit of {MAX_FILE_BYTES} bytes")
    try:
        return json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError as err:
        raise ValueError(f"invalid config.json: not JSON ({err.msg} at line {err.lineno} column {err.colno})") from None
    except (UnicodeDecodeError, RecursionError) as err:
        raise ValueError(f"invalid config.json: not readable JSON ({type(err).__name__})") from None


def load_hf_file(path: str | Path, name: str | None = None, description: str | None = None) -> DecoderConfig:
    """Read a config.json file into a DecoderConfig; files above 5 MiB are rejected unread."""
    path = Path(path)
    if not path.is_file():  # a device such as /dev/zero reports size 0 and never ends
        reason = "No such file or directory" if not path.exists() else "not a regular file"
        raise ValueError(f"invalid config.json {str(path)!r}: {reason}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"config.json {path} is {size} bytes: above the limit of {MAX_FILE_BYTES} bytes")
    data = parse_hf_json(path.read_bytes())
    if name is None and isinstance(data, Mapping) and not data.get("_name_or_path"):
        name = path.stem if path.stem != "config" else None
    return config_from_hf(data, name=name, description=description)

