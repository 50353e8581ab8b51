"""The size the tables are measured at, and the recipes each table compares.

Every table swaps one component of one base recipe, so a difference between two rows comes
from that component alone. The base is the modern recipe (RoPE, GQA, SwiGLU, RMSNorm) at the
chosen size, with no linear biases so that the four components are the only differences
between the older and the modern recipe.
"""

from __future__ import annotations

from dataclasses import dataclass

from model import DecoderConfig

DTYPES = ("float32", "bfloat16", "float16")
DEVICES = ("cpu", "cuda")
NO_BIAS = {"qkv": False, "attn_out": False, "mlp": False, "lm_head": False}
POSITION_KINDS = ("learned", "sinusoidal", "relative", "alibi", "rope", "xpos")
POSITION_LABELS = {
    "learned": "learned absolute",
    "sinusoidal": "sinusoidal",
    "relative": "T5 relative bias",
    "alibi": "ALiBi",
    "rope": "RoPE",
    "xpos": "xPos",
}


def _invalid(name: str, value, allowed: str) -> ValueError:
    return ValueError(f"invalid {name}={value!r}: {allowed}")


@dataclass(frozen=True)
class TableSettings:
    """The model size, context and timing settings shared by every table."""

    d_model: int = 256
    n_layer: int = 4
    n_head: int = 8
    vocab_size: int = 8192
    seq_len: int = 256
    batch: int = 1
    # Context at which the attention table times one decode step (the KV cache is this long).
    long_context: int = 2048
    device: str = "cpu"
    dtype: str = "float32"
    latency: bool = True
    # Directory of quality-lab results; None means the lab's default directory.
    quality_dir: str | None = None

    def __post_init__(self) -> None:
        for name in ("d_model", "n_layer", "n_head", "vocab_size", "batch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _invalid(name, value, "expected an integer >= 1")
        for name in ("seq_len", "long_context"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise _invalid(name, value, "expected an integer >= 2 (a decode step needs a context)")
        if self.d_model % self.n_head:
            raise _invalid("n_head", self.n_head, f"must divide d_model={self.d_model}")
        if (self.d_model // self.n_head) % 2:
            raise _invalid("d_model", self.d_model,
                           f"d_model / n_head = {self.d_model // self.n_head} is odd; RoPE and xPos rotate pairs")
        if self.d_model % 2:
            raise _invalid("d_model", self.d_model, "sinusoidal positions need an even d_model")
        if self.device not in DEVICES:
            raise _invalid("device", self.device, f"expected one of {', '.join(DEVICES)}")
        if self.dtype not in DTYPES:
            raise _invalid("dtype", self.dtype, f"expected one of {', '.join(DTYPES)}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_head

    @property
    def base_kv_heads(self) -> int:
        """Return the KV heads of the base recipe: the largest divisor of n_head up to a quarter of it."""
        quarter = max(1, self.n_head // 4)
        return max(k for k in range(1, quarter + 1) if self.n_head % k == 0)

    def gqa_kv_heads(self) -> list[int]:
        """Return the GQA group counts the attention table shows: every divisor of n_head between 1 and n_head."""
        return sorted((k for k in range(2, self.n_head) if self.n_head % k == 0), reverse=True)

    def describe(self) -> str:
        return (f"d_model {self.d_model}, {self.n_layer} layers, {self.n_head} heads of {self.head_dim}, "
                f"vocabulary {self.vocab_size}, tied head, no linear biases; batch {self.batch}, "
                f"{self.seq_len} tokens, {self.dtype} on {self.device}")


def modern_recipe(s: TableSettings, **changes) -> DecoderConfig:
    """Return the base recipe (RoPE, GQA, SwiGLU at d_ff = 8d/3, RMSNorm) with ``changes`` applied."""
    fields = dict(
        name="tables-modern",
        vocab_size=s.vocab_size,
        max_seq_len=s.seq_len,
        n_layer=s.n_layer,
        d_model=s.d_model,
        n_head=s.n_head,
        n_kv_head=s.base_kv_heads,
        d_ff=equal_param_swiglu_width(s.d_model),
        position={"kind": "rope"},
        feed_forward={"kind": "swiglu"},
        norm={"kind": "rmsnorm"},
        bias=dict(NO_BIAS),
        tie_embeddings=True,
    )
    fields.update(changes)
    return DecoderConfig(**fields)


def older_recipe(s: TableSettings) -> DecoderConfig:
    """Return GPT-2's recipe (learned positions, MHA, GELU, LayerNorm) at the same size."""
    return modern_recipe(s, name="tables-older", n_kv_head=s.n_head, d_ff=4 * s.d_model,
                         position={"kind": "learned"}, feed_forward={"kind": "gelu", "approximate": "tanh"},
                         norm={"kind": "layernorm"})


def equal_param_swiglu_width(d_model: int) -> int:
    """Return d_ff = 8d/3 rounded to the nearest integer: three d x d_ff matrices match GELU's two d x 4d."""
    return round(8 * d_model / 3)


def kv_label(n_head: int, n_kv_head: int) -> str:
    if n_kv_head == n_head:
        return f"MHA ({n_head} KV heads)"
    if n_kv_head == 1:
        return "MQA (1 KV head)"
    return f"GQA ({n_kv_head} KV heads)"


def kv_family(n_head: int, n_kv_head: int) -> str:
    if n_kv_head == n_head:
        return "mha"
    if n_kv_head == 1:
        return "mqa"
    return "gqa"
