"""The decoder recipe: a frozen, validated description of one decoder-only transformer.

A recipe is plain data in the ``decoder-recipe/1`` schema. Each component (positions,
feed-forward, norm) is an object with a ``kind`` and that kind's own settings, so a recipe
reads as a list of choices. Everything derived from the choices (``head_dim``, the
feed-forward width, the attention kind, the rotary width) is computed here, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any, Mapping

from .schema import (  # noqa: F401 (the kinds and SCHEMA are imported from model.config too)
    BIAS_DEFAULTS,
    ConfigError,
    FEED_FORWARD_KINDS,
    GATED_FEED_FORWARDS,
    NORM_KINDS,
    POSITION_KINDS,
    SCHEMA,
    _check_bool,
    _check_buildable,
    _check_feed_forward,
    _check_float,
    _check_int,
    _check_norm,
    _check_position,
    _component,
    _fail,
    gated_width,
)

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"


@dataclass(frozen=True)
class DecoderConfig:
    """A decoder-only transformer recipe in the ``decoder-recipe/1`` schema."""

    name: str = "custom"
    vocab_size: int = 50257
    max_seq_len: int = 1024
    n_layer: int = 12
    d_model: int = 768
    n_head: int = 12
    n_kv_head: int | None = None
    head_dim: int | None = None
    d_ff: int | None = None
    position: dict = field(default_factory=lambda: {"kind": "learned"})
    feed_forward: dict = field(default_factory=lambda: {"kind": "gelu"})
    norm: dict = field(default_factory=lambda: {"kind": "layernorm"})
    bias: dict = field(default_factory=dict)
    tie_embeddings: bool = True
    parallel_residual: bool = False
    # One norm feeds both branches of a parallel block (Falcon-7B, Phi-2) instead of one each.
    shared_block_norm: bool = False
    # A norm on the token embeddings before the first block (BLOOM).
    embedding_norm: bool = False
    # The token embeddings are multiplied by this (Gemma uses sqrt(d_model)); null means 1.
    embedding_scale: float | None = None
    # The factor on q.k before the softmax; null means 1/sqrt(head_dim). GPT-Neo uses 1.
    attention_scale: float | None = None
    # Local attention: a query attends to itself and the sliding_window - 1 keys before it. The KV
    # cache of such a layer keeps only sliding_window tokens. local_layers lists the layers that
    # use the window (GPT-Neo alternates global and local); null means every layer.
    sliding_window: int | None = None
    local_layers: list | None = None
    # The model family a preset belongs to (e.g. "llama"), for listing presets; free text.
    family: str | None = None
    dropout: float = 0.0
    description: str = ""
    schema: str = SCHEMA

    def __post_init__(self) -> None:
        # The dataclass is frozen, so normalised values are written with object.__setattr__.
        set_ = partial(object.__setattr__, self)

        if self.schema != SCHEMA:
            raise _fail("schema", self.schema, f"expected '{SCHEMA}'")
        if not isinstance(self.name, str) or not self.name:
            raise _fail("name", self.name, "expected a non-empty string")
        if not isinstance(self.description, str):
            raise _fail("description", self.description, "expected a string")
        for key in ("vocab_size", "max_seq_len", "n_layer", "d_model", "n_head"):
            _check_int(key, getattr(self, key))
        if self.n_kv_head is None:
            set_("n_kv_head", self.n_head)
        _check_int("n_kv_head", self.n_kv_head)
        if self.head_dim is not None:
            _check_int("head_dim", self.head_dim)
        if self.d_ff is not None:
            _check_int("d_ff", self.d_ff)
        for key in ("tie_embeddings", "parallel_residual", "shared_block_norm", "embedding_norm"):
            _check_bool(key, getattr(self, key))
        dropout = _check_float("dropout", self.dropout, minimum=0.0, exclusive=False)
        if dropout >= 1.0:
            raise _fail("dropout", dropout, "expected a probability in [0, 1)")
        if self.embedding_scale is not None:
            set_("embedding_scale", _check_float("embedding_scale", self.embedding_scale, minimum=0.0))
        if self.attention_scale is not None:
            set_("attention_scale", _check_float("attention_scale", self.attention_scale, minimum=0.0))
        if self.family is not None and (not isinstance(self.family, str) or not self.family):
            raise _fail("family", self.family, "expected null or a non-empty string")
        self._check_windows()

        set_("position", _component("position", self.position, POSITION_KINDS))
        set_("feed_forward", _component("feed_forward", self.feed_forward, FEED_FORWARD_KINDS))
        set_("norm", _component("norm", self.norm, NORM_KINDS))
        _check_position(self.position)
        _check_feed_forward(self.feed_forward)
        _check_norm(self.norm)

        if not isinstance(self.bias, Mapping):
            raise _fail("bias", self.bias, f"expected an object with keys {', '.join(BIAS_DEFAULTS)}")
        unknown = sorted(set(self.bias) - set(BIAS_DEFAULTS))
        if unknown:
            raise _fail(f"bias.{unknown[0]}", self.bias[unknown[0]], f"unknown key (allowed: {', '.join(BIAS_DEFAULTS)})")
        set_("bias", {**BIAS_DEFAULTS, **self.bias})
        for key, value in self.bias.items():
            _check_bool(f"bias.{key}", value)

        if self.head_dim is None and self.d_model % self.n_head:
            raise _fail("n_head", self.n_head,
                        f"must divide d_model={self.d_model} unless head_dim is set explicitly")
        if self.n_kv_head > self.n_head or self.n_head % self.n_kv_head:
            raise _fail("n_kv_head", self.n_kv_head,
                        f"must divide n_head={self.n_head} (n_head for MHA, 1 for MQA, a divisor between for GQA)")
        if self.position["kind"] in ("rope", "xpos") and self.rotary_dim % 2:
            raise _fail("position", self.position,
                        f"the rotary width {self.rotary_dim} is odd; RoPE rotates pairs of dimensions")
        if self.position["kind"] == "rope" and self.rotary_dim == 0:
            raise _fail("position.fraction", self.position["fraction"], f"rotates no dimension of head_dim={self.resolved_head_dim}")
        if self.shared_block_norm and not self.parallel_residual:
            raise _fail("shared_block_norm", True, "only a parallel block (parallel_residual=true) can share one norm")
        if self.d_ff is None and self.is_gated and self.resolved_d_ff < 1:
            raise _fail("feed_forward.multiplier", self.feed_forward["multiplier"],
                        f"gives a feed-forward width of 0 at d_model={self.d_model}; use a larger multiplier or set d_ff")
        if self.sliding_window is not None and self.position["kind"] == "xpos":
            raise _fail("sliding_window", self.sliding_window,
                        "xPos rescales keys by their position from 0 and cannot drop old keys; use null")
        if self.position["kind"] == "sinusoidal" and self.d_model % 2:
            raise _fail("d_model", self.d_model, "sinusoidal positions need an even d_model (sin/cos pairs)")
        _check_buildable(self)

    def _check_windows(self) -> None:
        if self.sliding_window is not None:
            _check_int("sliding_window", self.sliding_window)
        if self.local_layers is None:
            return
        if self.sliding_window is None:
            raise _fail("local_layers", self.local_layers, "needs a sliding_window; set one or make local_layers null")
        if not isinstance(self.local_layers, (list, tuple)):
            raise _fail("local_layers", self.local_layers, "expected null or a list of layer indices")
        for index in self.local_layers:
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.n_layer:
                raise _fail("local_layers", index, f"expected layer indices in 0..{self.n_layer - 1}")
        if len(set(self.local_layers)) != len(self.local_layers):
            raise _fail("local_layers", self.local_layers, "expected each layer index at most once")
        object.__setattr__(self, "local_layers", sorted(self.local_layers))

    # Derived values -------------------------------------------------------------------

    def layer_windows(self) -> list[int | None]:
        """Return each layer's attention window in tokens (None for full causal attention)."""
        if self.sliding_window is None:
            return [None] * self.n_layer
        local = set(range(self.n_layer) if self.local_layers is None else self.local_layers)
        return [self.sliding_window if i in local else None for i in range(self.n_layer)]

    @property
    def resolved_head_dim(self) -> int:
        return self.head_dim if self.head_dim is not None else self.d_model // self.n_head

    @property
    def resolved_d_ff(self) -> int:
        if self.d_ff is not None:
            return self.d_ff
        ff = self.feed_forward
        if ff["kind"] in GATED_FEED_FORWARDS:
            return gated_width(self.d_model, ff["multiple_of"], ff["multiplier"])
        return 4 * self.d_model

    @property
    def attention_kind(self) -> str:
        if self.n_kv_head == self.n_head:
            return "MHA"
        return "MQA" if self.n_kv_head == 1 else "GQA"

    @property
    def rotary_dim(self) -> int:
        """Return the number of head dimensions that RoPE or xPos rotates (0 for other positions)."""
        kind = self.position["kind"]
        if kind == "rope":
            return int(self.position["fraction"] * self.resolved_head_dim)
        if kind == "xpos":
            return self.resolved_head_dim
        return 0

    @property
    def is_gated(self) -> bool:
        return self.feed_forward["kind"] in GATED_FEED_FORWARDS

    # Serialisation ----------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DecoderConfig":
        if not isinstance(data, Mapping):
            raise _fail("recipe", type(data).__name__, "expected a JSON object")
        # Exported recipes name the tool that wrote them; that note is not part of the recipe.
        data = {k: v for k, v in data.items() if k != "exported_by"}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise _fail(unknown[0], data[unknown[0]], f"unknown key (allowed: {', '.join(sorted(known))})")
        return cls(**dict(data))

    def to_dict(self, resolve: bool = False) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d = json.loads(json.dumps(d))  # deep copy, so callers cannot change this frozen recipe
        if resolve:
            d["head_dim"] = self.resolved_head_dim
            d["d_ff"] = self.resolved_d_ff
        return d

    def to_json(self, resolve: bool = False) -> str:
        """Return the recipe as JSON with sorted keys, so the same recipe gives the same bytes."""
        return json.dumps(self.to_dict(resolve=resolve), sort_keys=True, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "DecoderConfig":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"invalid recipe JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
        except RecursionError:
            raise ConfigError("invalid recipe JSON: nested too deeply to parse") from None
        return cls.from_dict(data)

    @classmethod
    def from_preset(cls, name: str) -> "DecoderConfig":
        path = PRESET_DIR / f"{name}.json"
        if not isinstance(name, str) or "/" in name or not path.is_file():
            raise _fail("preset", name, f"not found; available presets: {', '.join(list_presets())}")
        return cls.from_json(path.read_text())

    def replace(self, **changes: Any) -> "DecoderConfig":
        """Return a validated copy with some top-level fields changed.

        A smaller ``n_layer`` keeps the local layers among the first ``n_layer`` ones, unless
        ``local_layers`` is changed too.
        """
        data = self.to_dict()
        if "n_layer" in changes and "local_layers" not in changes and self.local_layers is not None:
            data["local_layers"] = [i for i in self.local_layers if i < changes["n_layer"]]
        return DecoderConfig.from_dict({**data, **changes})


def list_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def presets_by_family() -> dict[str, list[str]]:
    """Return preset names grouped by their ``family`` field; presets without one are under "other"."""
    groups: dict[str, list[str]] = {}
    for name in list_presets():
        family = DecoderConfig.from_preset(name).family or "other"
        groups.setdefault(family, []).append(name)
    return dict(sorted(groups.items()))
