"""The recipe schema: the component kinds, their settings and defaults, and the field checks.

Every check raises ``ConfigError`` (a ``ValueError``) whose message names the field, the value
and what is allowed. ``model/config.py`` assembles these into ``DecoderConfig``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from .config import DecoderConfig

SCHEMA = "decoder-recipe/1"

# Settings each component kind accepts, with their defaults. The model registries map the same
# kind strings to classes; a test keeps the two in step.
POSITION_KINDS: dict[str, dict[str, Any]] = {
    "learned": {"offset": 0},
    "sinusoidal": {},
    "relative": {"num_buckets": 32, "max_distance": 128},
    "alibi": {},
    "rope": {"theta": 10000.0, "fraction": 1.0, "scaling": None},
    "xpos": {"theta": 10000.0, "scale_base": 512.0},
}
FEED_FORWARD_KINDS: dict[str, dict[str, Any]] = {
    "sigmoid": {},
    "gelu": {"approximate": "none"},
    "relu": {},
    "swiglu": {"multiple_of": 256, "multiplier": 1.0},
    "geglu": {"approximate": "tanh", "multiple_of": 256, "multiplier": 1.0},
}
GATED_FEED_FORWARDS = ("swiglu", "geglu")
NORM_KINDS: dict[str, dict[str, Any]] = {
    "layernorm": {"eps": 1e-5, "bias": True, "affine": True},
    "rmsnorm": {"eps": 1e-6, "unit_offset": False},
}
# Frequency rescalings of RoPE for longer contexts, with the settings each one needs.
ROPE_SCALINGS: dict[str, tuple[str, ...]] = {
    "linear": ("factor",),
    "llama3": ("factor", "low_freq_factor", "high_freq_factor", "original_max_seq_len"),
}
BIAS_DEFAULTS = {"qkv": False, "attn_out": False, "mlp": False, "lm_head": False}
GELU_APPROXIMATIONS = ("none", "tanh")


class ConfigError(ValueError):
    """A recipe value that cannot build a model; the message names the field and what is allowed."""


# A value whose repr is longer than this is cut to its first 40 characters, so an error stays one readable line.
MAX_SHOWN_VALUE_CHARS = 80


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) <= MAX_SHOWN_VALUE_CHARS:
        return text
    return f"{text[:40]}… ({len(text)} characters)"


def _fail(field_name: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"invalid {field_name}={_shown(value)}: {allowed}")


def _check_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(name, value, f"expected an integer >= {minimum}")
    if value < minimum:
        raise _fail(name, value, f"expected an integer >= {minimum}")
    return value


def _check_float(name: str, value: Any, minimum: float | None = None, exclusive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(name, value, "expected a finite number")
    if minimum is not None and (value <= minimum if exclusive else value < minimum):
        sign = ">" if exclusive else ">="
        raise _fail(name, value, f"expected a number {sign} {minimum}")
    return float(value)


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an integer >= 1, else raise ConfigError naming ``name``."""
    return _check_int(name, value, minimum=1)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, value, "expected true or false")
    return value


def _component(name: str, value: Any, kinds: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """Validate a component object's kind and keys and fill in the kind's defaults."""
    if isinstance(value, str):
        value = {"kind": value}
    if not isinstance(value, Mapping):
        raise _fail(name, value, f"expected an object with a 'kind' (one of {', '.join(kinds)})")
    kind = value.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        raise _fail(f"{name}.kind", kind, f"expected one of {', '.join(kinds)}")
    defaults = kinds[kind]
    unknown = sorted(set(value) - set(defaults) - {"kind"})
    if unknown:
        allowed = ", ".join(defaults) or "no settings"
        raise _fail(f"{name}.{unknown[0]}", value[unknown[0]], f"unknown setting for kind '{kind}' (allowed: {allowed})")
    return {"kind": kind, **defaults, **{k: v for k, v in value.items() if k != "kind"}}


def _check_position(p: dict[str, Any]) -> None:
    kind = p["kind"]
    if kind == "learned":
        _check_int("position.offset", p["offset"], minimum=0)
    if kind == "relative":
        _check_int("position.num_buckets", p["num_buckets"], minimum=2)
        _check_int("position.max_distance", p["max_distance"], minimum=1)
        if p["num_buckets"] // 2 >= p["max_distance"]:
            raise _fail("position.max_distance", p["max_distance"],
                        f"must exceed num_buckets // 2 = {p['num_buckets'] // 2}, or the log-spaced buckets are empty")
    if kind in ("rope", "xpos"):
        _check_float("position.theta", p["theta"], minimum=1.0)
    if kind == "rope":
        fraction = _check_float("position.fraction", p["fraction"], minimum=0.0)
        if fraction > 1.0:
            raise _fail("position.fraction", fraction, "expected a share of head_dim in (0, 1]")
    if kind == "xpos":
        _check_float("position.scale_base", p["scale_base"], minimum=0.0)
    if kind == "rope" and p["scaling"] is not None:
        _check_rope_scaling(p["scaling"])


def _check_rope_scaling(scaling: Any) -> None:
    if not isinstance(scaling, Mapping) or not isinstance(scaling.get("type"), str) or scaling["type"] not in ROPE_SCALINGS:
        raise _fail("position.scaling", scaling, f"expected null or an object with 'type' one of {', '.join(ROPE_SCALINGS)}")
    expected = set(ROPE_SCALINGS[scaling["type"]]) | {"type"}
    if set(scaling) != expected:
        raise _fail("position.scaling", scaling, f"type '{scaling['type']}' needs exactly the keys {', '.join(sorted(expected))}")
    for key in expected - {"type", "original_max_seq_len"}:
        _check_float(f"position.scaling.{key}", scaling[key], minimum=0.0)
    if "original_max_seq_len" in scaling:
        original = _check_int("position.scaling.original_max_seq_len", scaling["original_max_seq_len"])
        if original > MAX_TENSOR_ELEMENTS:  # torch turns it into an int64 scalar when it builds the RoPE table
            raise _fail("position.scaling.original_max_seq_len", original, f"expected an integer <= {MAX_TENSOR_ELEMENTS}")
    if scaling["type"] == "llama3" and scaling["high_freq_factor"] <= scaling["low_freq_factor"]:
        raise _fail("position.scaling.high_freq_factor", scaling["high_freq_factor"],
                    f"must exceed low_freq_factor={scaling['low_freq_factor']}")


def _check_feed_forward(f: dict[str, Any]) -> None:
    if "approximate" in f and f["approximate"] not in GELU_APPROXIMATIONS:
        raise _fail("feed_forward.approximate", f["approximate"], "expected 'none' (exact erf) or 'tanh'")
    if f["kind"] in GATED_FEED_FORWARDS:
        _check_int("feed_forward.multiple_of", f["multiple_of"])
        _check_float("feed_forward.multiplier", f["multiplier"], minimum=0.0)


def _check_norm(n: dict[str, Any]) -> None:
    _check_float("norm.eps", n["eps"], minimum=0.0)
    for key in ("bias", "affine", "unit_offset"):
        if key in n:
            _check_bool(f"norm.{key}", n[key])
    if n["kind"] == "layernorm" and n["bias"] and not n["affine"]:
        raise _fail("norm.bias", True, "a LayerNorm without affine weights has no bias either; set bias to false")


# A tensor's size in bytes must fit in int64, so at 8 bytes an element (float64) a weight contains at
# most 2^60 elements. Building the module tree costs about a millisecond a layer even on the meta
# device, so a layer count far beyond any published model (126 for Llama-3.1-405B) is rejected.
MAX_TENSOR_ELEMENTS = 2**60
MAX_LAYERS = 10_000


def _check_buildable(config: "DecoderConfig") -> None:
    """Reject sizes that validate one by one but give a tensor or a module tree too large to build."""
    if config.n_layer > MAX_LAYERS:
        raise _fail("n_layer", config.n_layer, f"expected at most {MAX_LAYERS} layers")
    d, heads = config.d_model, config.resolved_head_dim * config.n_head
    offset = config.position.get("offset", 0)  # a learned table has max_seq_len + offset rows
    weights = (
        ("vocab_size", config.vocab_size, config.vocab_size * d),
        ("max_seq_len", config.max_seq_len, config.max_seq_len * d),
        ("position.offset", offset, (config.max_seq_len + offset) * d),
        ("d_ff", config.d_ff, config.resolved_d_ff * d),
        ("head_dim", config.head_dim, heads * d),
    )
    for name, value, elements in weights:
        if elements > MAX_TENSOR_ELEMENTS:
            if value is None:  # a derived width: d_model is the setting to lower
                name, value = "d_model", d
            raise _fail(name, value, f"with d_model={d} a weight would have {elements} elements, "
                        f"more than the {MAX_TENSOR_ELEMENTS} a tensor can hold")


def gated_width(d_model: int, multiple_of: int, multiplier: float) -> int:
    """Return Llama's gated feed-forward width: 2/3 of 4·d, times a multiplier, rounded up."""
    hidden = int(2 * 4 * d_model / 3)
    hidden = int(multiplier * hidden)
    return multiple_of * math.ceil(hidden / multiple_of)
