"""Write a recipe as a Hugging Face ``config.json`` where a ``transformers`` class can express it.

Each candidate family has a writer that maps recipe fields to that family's keys. A candidate
is accepted only when importing its output again (``explorer.hf_import``) gives back the same
architecture, so the written file never describes a different model. Components with no
``transformers`` equivalent are named in the error.
"""

from __future__ import annotations

from typing import Any, Callable

from model import DecoderConfig
from model.config import SCHEMA

from . import __version__
from .hf_import import config_from_hf

# Recipe fields that do not describe the architecture, left out of the round-trip comparison.
NON_ARCHITECTURE = ("name", "description", "family", "dropout", "schema")

# Components that no decoder class in transformers implements.
NO_EQUIVALENT = {
    ("position", "xpos"): "xPos positions",
    ("position", "relative"): "a T5 relative attention bias in a decoder",
    ("position", "sinusoidal"): "fixed sinusoidal positions",
    ("feed_forward", "sigmoid"): "a sigmoid MLP",
}

MLP_ACT = {("gelu", "tanh"): "gelu_new", ("gelu", "none"): "gelu", ("relu", None): "relu"}
GATED_ACT = {("swiglu", None): "silu", ("geglu", "tanh"): "gelu_pytorch_tanh", ("geglu", "none"): "gelu"}


def activation(config: DecoderConfig, table: dict) -> str:
    ff = config.feed_forward
    return table[(ff["kind"], ff.get("approximate"))]  # KeyError: this family has no such activation


def rope_keys(config: DecoderConfig, theta_key: str = "rope_theta") -> dict[str, Any]:
    """Return RoPE settings in the separate-key form that transformers 4.45 and 5.x both read."""
    keys: dict[str, Any] = {theta_key: config.position["theta"]}
    scaling = config.position["scaling"]
    if scaling is not None:
        scaling = {k: v for k, v in scaling.items() if k not in ("type", "original_max_seq_len")}
        scaling["rope_type"] = config.position["scaling"]["type"]
        if "original_max_seq_len" in config.position["scaling"]:
            scaling["original_max_position_embeddings"] = config.position["scaling"]["original_max_seq_len"]
    keys["rope_scaling"] = scaling
    return keys


def common(config: DecoderConfig, model_type: str, architecture: str) -> dict[str, Any]:
    return {"model_type": model_type, "architectures": [architecture], "vocab_size": config.vocab_size,
            "tie_word_embeddings": config.tie_embeddings}


def llama_keys(config: DecoderConfig, model_type: str, architecture: str) -> dict[str, Any]:
    return {**common(config, model_type, architecture), "hidden_size": config.d_model,
            "intermediate_size": config.resolved_d_ff, "num_hidden_layers": config.n_layer,
            "num_attention_heads": config.n_head, "num_key_value_heads": config.n_kv_head,
            "head_dim": config.resolved_head_dim, "hidden_act": activation(config, GATED_ACT),
            "max_position_embeddings": config.max_seq_len, "rms_norm_eps": config.norm["eps"], **rope_keys(config)}


def write_llama(config: DecoderConfig) -> dict[str, Any]:
    return {**llama_keys(config, "llama", "LlamaForCausalLM"),
            "attention_bias": config.bias["qkv"], "mlp_bias": config.bias["mlp"]}


def write_mistral(config: DecoderConfig) -> dict[str, Any]:
    return {**llama_keys(config, "mistral", "MistralForCausalLM"), "sliding_window": config.sliding_window}


def write_qwen2(config: DecoderConfig) -> dict[str, Any]:
    keys = llama_keys(config, "qwen2", "Qwen2ForCausalLM")
    local = config.local_layers if config.local_layers is not None else list(range(config.n_layer))
    if config.sliding_window is None:
        local = []
    # Qwen2 windows the layers from max_window_layers on, so only a suffix of layers can be local.
    first_local = config.n_layer - len(local)
    return {**keys, "use_sliding_window": bool(local), "sliding_window": config.sliding_window,
            "max_window_layers": first_local}


def write_gemma(config: DecoderConfig) -> dict[str, Any]:
    return {**llama_keys(config, "gemma", "GemmaForCausalLM"), "attention_bias": config.bias["qkv"]}


def write_olmo(config: DecoderConfig) -> dict[str, Any]:
    keys = llama_keys(config, "olmo", "OlmoForCausalLM")
    del keys["rms_norm_eps"], keys["head_dim"]
    return {**keys, "attention_bias": config.bias["qkv"], "clip_qkv": None}


def write_gpt2(config: DecoderConfig) -> dict[str, Any]:
    if config.attention_scale not in (None, 1.0):
        raise KeyError("attention_scale")
    return {**common(config, "gpt2", "GPT2LMHeadModel"), "n_embd": config.d_model, "n_layer": config.n_layer,
            "n_head": config.n_head, "n_positions": config.max_seq_len, "n_inner": config.resolved_d_ff,
            "activation_function": activation(config, MLP_ACT), "layer_norm_epsilon": config.norm["eps"],
            "scale_attn_weights": config.attention_scale is None}


def write_gpt_neo(config: DecoderConfig) -> dict[str, Any]:
    kinds = ["global" if window is None else "local" for window in config.layer_windows()]
    return {**common(config, "gpt_neo", "GPTNeoForCausalLM"), "hidden_size": config.d_model,
            "num_layers": config.n_layer, "num_heads": config.n_head, "max_position_embeddings": config.max_seq_len,
            "intermediate_size": config.resolved_d_ff, "attention_types": [[kinds, 1]],
            "window_size": config.sliding_window or 256, "activation_function": activation(config, MLP_ACT),
            "layer_norm_epsilon": config.norm["eps"]}


def write_opt(config: DecoderConfig) -> dict[str, Any]:
    return {**common(config, "opt", "OPTForCausalLM"), "hidden_size": config.d_model,
            "num_hidden_layers": config.n_layer, "num_attention_heads": config.n_head,
            "ffn_dim": config.resolved_d_ff, "max_position_embeddings": config.max_seq_len,
            "word_embed_proj_dim": config.d_model, "activation_function": activation(config, MLP_ACT),
            "enable_bias": config.bias["qkv"], "layer_norm_elementwise_affine": config.norm["affine"],
            "do_layer_norm_before": True}


def write_gpt_neox(config: DecoderConfig) -> dict[str, Any]:
    return {**common(config, "gpt_neox", "GPTNeoXForCausalLM"), "hidden_size": config.d_model,
            "num_hidden_layers": config.n_layer, "num_attention_heads": config.n_head,
            "intermediate_size": config.resolved_d_ff, "hidden_act": activation(config, MLP_ACT),
            "max_position_embeddings": config.max_seq_len, "layer_norm_eps": config.norm["eps"],
            "rotary_pct": config.position["fraction"], "use_parallel_residual": config.parallel_residual,
            "attention_bias": config.bias["qkv"], **rope_keys(config, "rotary_emb_base")}


def write_phi(config: DecoderConfig) -> dict[str, Any]:
    return {**common(config, "phi", "PhiForCausalLM"), "hidden_size": config.d_model,
            "num_hidden_layers": config.n_layer, "num_attention_heads": config.n_head,
            "num_key_value_heads": config.n_kv_head, "intermediate_size": config.resolved_d_ff,
            "hidden_act": activation(config, MLP_ACT), "max_position_embeddings": config.max_seq_len,
            "layer_norm_eps": config.norm["eps"], "partial_rotary_factor": config.position["fraction"],
            "qk_layernorm": False, **rope_keys(config)}


def write_falcon(config: DecoderConfig) -> dict[str, Any]:
    # Falcon-7B's layout (one shared norm, 1 or n_head kv heads) where it fits, else the new one.
    classic = config.shared_block_norm or not config.parallel_residual
    classic = classic and config.n_kv_head in (1, config.n_head)
    keys = {**common(config, "falcon", "FalconForCausalLM"), "hidden_size": config.d_model,
            "num_hidden_layers": config.n_layer, "num_attention_heads": config.n_head,
            "ffn_hidden_size": config.resolved_d_ff, "activation": activation(config, MLP_ACT),
            "layer_norm_epsilon": config.norm["eps"], "max_position_embeddings": config.max_seq_len,
            "bias": config.bias["qkv"], "alibi": False, "parallel_attn": config.parallel_residual,
            "new_decoder_architecture": not classic, **rope_keys(config)}
    if classic:
        return {**keys, "multi_query": config.n_kv_head == 1}
    return {**keys, "num_kv_heads": config.n_kv_head, "num_ln_in_parallel_attn": 1 if config.shared_block_norm else 2}


def write_bloom(config: DecoderConfig) -> dict[str, Any]:
    return {**common(config, "bloom", "BloomForCausalLM"), "hidden_size": config.d_model, "n_layer": config.n_layer,
            "n_head": config.n_head, "layer_norm_epsilon": config.norm["eps"], "seq_length": config.max_seq_len}


def write_mpt(config: DecoderConfig) -> dict[str, Any]:
    return {**common(config, "mpt", "MptForCausalLM"), "d_model": config.d_model, "n_layers": config.n_layer,
            "n_heads": config.n_head, "max_seq_len": config.max_seq_len, "expansion_ratio": 4, "no_bias": True,
            "layer_norm_epsilon": config.norm["eps"],
            "attn_config": {"alibi": True, "alibi_bias_max": 8, "softmax_scale": config.attention_scale}}


Writer = Callable[[DecoderConfig], dict[str, Any]]
# In order of preference: the widely used class first where two express the same recipe.
WRITERS: dict[str, Writer] = {
    "gpt2": write_gpt2, "llama": write_llama, "mistral": write_mistral, "qwen2": write_qwen2,
    "gemma": write_gemma, "olmo": write_olmo, "gpt_neox": write_gpt_neox, "phi": write_phi,
    "falcon": write_falcon, "gpt_neo": write_gpt_neo, "opt": write_opt, "bloom": write_bloom, "mpt": write_mpt,
}


def architecture(config: DecoderConfig) -> dict[str, Any]:
    fields = config.to_dict(resolve=True)
    for key in NON_ARCHITECTURE:
        fields.pop(key, None)
    if fields["embedding_scale"] is not None:
        fields["embedding_scale"] = round(fields["embedding_scale"], 9)
    return fields


def differences(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    return sorted(k for k in expected if expected[k] != got.get(k))


def recipe_to_hf(config: DecoderConfig) -> dict[str, Any]:
    """Return the config.json dict of the transformers class that builds exactly this recipe.

    Raises ValueError naming the component that has no transformers equivalent, or the recipe
    fields that no supported class can match.
    """
    for (part, kind), label in NO_EQUIVALENT.items():
        if getattr(config, part)["kind"] == kind:
            raise ValueError(f"cannot export {config.name!r} as a Hugging Face config.json: {part}.kind={kind!r} "
                             f"({label}) has no equivalent in transformers; export --format recipe or litgpt instead")
    expected = architecture(config)
    closest: tuple[int, str, list[str]] | None = None
    for model_type, writer in WRITERS.items():
        try:
            data = writer(config)
            got = architecture(config_from_hf(data))
        except (KeyError, ValueError):
            continue
        missed = differences(expected, got)
        if not missed:
            return {**data, "explorer_schema": SCHEMA, "explorer_version": __version__,
                    "_name_or_path": config.name}
        if closest is None or len(missed) < closest[0]:
            closest = (len(missed), model_type, missed)
    detail = f"; the closest, {closest[1]}, differs in {', '.join(closest[2])}" if closest else ""
    raise ValueError(f"cannot export {config.name!r} as a Hugging Face config.json: no transformers class "
                     f"builds this combination of components{detail}")

