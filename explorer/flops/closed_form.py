"""FLOPs from the recipe alone, per component, with no model built.

Matrix multiplies are exact (2 FLOPs per multiply-add) and match the fvcore and torch counts of
the built model. Element-wise work follows the same pricing as the fvcore handles (one FLOP per
output element; layer norm 5 per element plus its affine terms, RMSNorm 3 plus its weight,
softmax with its scale and mask 4 or 5 per score). Position schemes' own element-wise work
(rotations, bias tables) is approximate, so totals agree with fvcore closely but not exactly.

These functions are cheap enough to draw curves over many context lengths.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from model import DecoderConfig

from .handles import attention_pairs

COMPONENTS = ("embedding", "position", "attention_projections", "attention_core", "feed_forward",
              "norm", "residual", "output_head")
CONVENTIONS = ("full", "causal")


@lru_cache(maxsize=256)
def _query_block(config_json: str) -> int | None:
    """Return the queries per SDPA call that the model's position scheme uses (xPos splits long prefills)."""
    import torch

    from model.positions import build_positions

    with torch.device("meta"):
        return build_positions(DecoderConfig.from_json(config_json)).query_block


def attention_calls(config: DecoderConfig, q_len: int, start: int = 0) -> list[tuple[int, int]]:
    """Return (queries, keys) for each SDPA call one layer makes, mirroring the model's blocking."""
    block = _query_block(config.to_json())
    if block is None or q_len <= block:
        return [(q_len, start + q_len)]
    return [(min(lo + block, q_len) - lo, start + min(lo + block, q_len)) for lo in range(0, q_len, block)]


def _norm_flops(config: DecoderConfig, elements: int) -> int:
    norm = config.norm
    if norm["kind"] == "layernorm":
        affine = (1 if norm["affine"] else 0) + (1 if norm["affine"] and norm["bias"] else 0)
        return (5 + affine) * elements
    return (3 + 1) * elements  # rms_norm, then the weight multiply (with unit_offset: in float32, same count)


def _position_flops(config: DecoderConfig, batch: int, q_len: int, start: int) -> int:
    """Approximate the element-wise work of the position scheme (tables, rotations, biases)."""
    kind, d, tokens = config.position["kind"], config.d_model, batch * q_len
    keys = start + q_len
    if kind in ("learned", "sinusoidal"):
        table = 0 if kind == "learned" else q_len * d * 2
        return tokens * d + table
    if kind in ("alibi", "relative"):
        return 4 * config.n_head * q_len * keys
    # RoPE/xPos: rotate q and k in every layer (multiply by cos, by sin, negate half, add).
    rotated = batch * (config.n_head + config.n_kv_head) * q_len * config.rotary_dim
    per_layer = 3.5 * rotated + 2 * q_len * config.rotary_dim * 2
    if kind == "xpos":
        per_layer += 4 * batch * (config.n_head * q_len + config.n_kv_head * keys) * config.resolved_head_dim
    return int(config.n_layer * per_layer)


def breakdown(config: DecoderConfig, batch: int, q_len: int, start: int = 0,
              attention: str = "full") -> dict[str, dict[str, int]]:
    """Return {component: {"matmul": FLOPs, "other": FLOPs}} for ``q_len`` new tokens after ``start`` cached ones."""
    if attention not in CONVENTIONS:
        raise ValueError(f"invalid attention={attention!r}: expected one of {', '.join(CONVENTIONS)}")
    c, tokens, layers = config, batch * q_len, config.n_layer
    d, hd, ff, vocab = c.d_model, c.resolved_head_dim, c.resolved_d_ff, c.vocab_size
    q_width, kv_width = c.n_head * hd, c.n_kv_head * hd
    bias = c.bias
    result = {name: {"matmul": 0, "other": 0} for name in COMPONENTS}

    result["attention_projections"]["matmul"] = layers * 2 * tokens * d * (2 * q_width + 2 * kv_width)
    result["attention_projections"]["other"] = layers * tokens * (
        (q_width + 2 * kv_width if bias["qkv"] else 0) + (d if bias["attn_out"] else 0))

    has_bias = c.position["kind"] in ("alibi", "relative")
    for window, window_layers in Counter(c.layer_windows()).items():
        # A sliding-window layer's cache keeps at most ``window`` earlier keys, and it always passes a mask.
        cached = start if window is None else min(start, window)
        for queries, keys in attention_calls(c, q_len, cached):
            pairs = attention_pairs(queries, keys, attention)
            masked = has_bias or queries > 1 or window is not None
            result["attention_core"]["matmul"] += int(window_layers * 2 * batch * c.n_head * pairs * 2 * hd)
            result["attention_core"]["other"] += int(window_layers * batch * c.n_head * pairs * (4 + (1 if masked else 0)))

    matrices = 3 if c.is_gated else 2
    result["feed_forward"]["matmul"] = layers * 2 * tokens * d * ff * matrices
    gate_product = tokens * ff if c.is_gated else 0
    mlp_bias = tokens * (ff * (matrices - 1) + d) if bias["mlp"] else 0
    result["feed_forward"]["other"] = layers * (tokens * ff + gate_product + mlp_bias)

    norms = layers * (1 if c.shared_block_norm else 2) + 1 + (1 if c.embedding_norm else 0)
    result["norm"]["other"] = norms * _norm_flops(c, tokens * d)
    result["residual"]["other"] = layers * 2 * tokens * d
    result["embedding"]["other"] = tokens * d if c.embedding_scale is not None else 0
    result["position"]["other"] = _position_flops(c, batch, q_len, start)

    result["output_head"]["matmul"] = 2 * tokens * d * vocab
    result["output_head"]["other"] = tokens * vocab if bias["lm_head"] else 0
    return result


def _flatten(parts: dict[str, dict[str, int]]) -> dict[str, int]:
    flat = {name: part["matmul"] + part["other"] for name, part in parts.items()}
    flat["matmul"] = sum(part["matmul"] for part in parts.values())
    flat["total"] = sum(part["matmul"] + part["other"] for part in parts.values())
    return flat


def forward_flops(config: DecoderConfig, batch: int, seq_len: int, attention: str = "full") -> dict[str, int]:
    """Return FLOPs of one forward over batch × seq_len tokens (logits at every position).

    Keys: one per component (embedding, position, attention_projections, attention_core (scores
    and weighted sum), feed_forward, norm, residual, output_head), plus "matmul" (the matrix
    multiplies alone) and "total". ``attention`` is "full" (the whole score square, as PaLM
    counts) or "causal" (half of it).
    """
    return _flatten(breakdown(config, batch, seq_len, 0, attention))


def decode_flops(config: DecoderConfig, context: int, batch: int = 1) -> dict[str, int]:
    """Return FLOPs of decoding one token per sequence that attends to ``context`` keys, with a KV cache.

    The new token is the context-th: it attends to context - 1 cached keys and itself, or in a
    sliding-window layer to the at most ``window`` keys its cache keeps and itself. A decode
    step is never halved for causality, since its one query sees every key.
    """
    return _flatten(breakdown(config, batch, 1, context - 1, "full"))
