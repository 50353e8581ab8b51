"""fvcore operator handles that price this project's decoder in FLOPs.

Out of the box fvcore counts one multiply-add as one "flop" and prices no SDPA, RMSNorm,
activation or element-wise op. Every handle here returns FLOPs instead: 2 per multiply-add for
matrix multiplies and one per output element for element-wise work (a transcendental such as
exp or tanh also counts once). Each handle returns a Counter whose keys end in ``/matmul`` for
the matrix-multiply part, so callers can split ``forward_matmul`` from the rest.
"""

from __future__ import annotations

from collections import Counter
from math import prod
from typing import Any, Callable

from fvcore.nn.jit_handles import get_shape

MATMUL = "/matmul"
Handle = Callable[[list, list], Counter]


def _numel(value: Any) -> int:
    shape = get_shape(value)
    return prod(shape) if shape is not None else 0


def _constant(value: Any) -> Any:
    """Return the constant a traced input contains (a flag or a scale), or None for a tensor."""
    try:
        return value.toIValue()
    except RuntimeError:
        return None


def linear(inputs: list, outputs: list) -> Counter:
    """aten::linear: 2 FLOPs per multiply-add of x @ W^T, plus one add per output when there is a bias."""
    x_shape, w_shape = get_shape(inputs[0]), get_shape(inputs[1])
    macs = prod(x_shape) * w_shape[0]
    bias = 0 if len(inputs) < 3 or get_shape(inputs[2]) is None else _numel(outputs[0])
    return Counter({"linear" + MATMUL: 2 * macs, "linear_bias": bias})


def matmul(inputs: list, outputs: list) -> Counter:
    """aten::matmul / bmm / mm: 2 · (output elements) · (contracted length)."""
    contracted = get_shape(inputs[0])[-1]
    return Counter({"matmul" + MATMUL: 2 * _numel(outputs[0]) * contracted})


def attention_pairs(q_len: int, k_len: int, convention: str) -> float:
    """Return the query-key pairs an attention call is priced for.

    "full" prices the whole q_len × k_len rectangle the kernel computes. "causal" drops the
    masked half of the square of the newest q_len keys, so a prefill costs T²/2 (PaLM's
    halving, exact for even T) and a chunk after ``start`` cached keys costs q·(start + q/2).
    One query (a decode step) is never halved.
    """
    if convention == "causal" and q_len > 1:
        return q_len * k_len - q_len * q_len / 2
    return q_len * k_len


def make_sdpa(convention: str) -> Handle:
    """Price aten::scaled_dot_product_attention for GQA/MQA as well as MHA.

    The query head count sets the work: each query head scores every key, whichever key/value
    head it shares. Scores and the weighted sum are matrix multiplies; the scaling, the mask
    or bias add and the softmax (exp, sum, divide) are element-wise work on every score.
    """

    def sdpa(inputs: list, outputs: list) -> Counter:
        *batch_heads, q_len, d_qk = get_shape(inputs[0])
        k_len = get_shape(inputs[1])[-2]
        d_v = get_shape(inputs[2])[-1]
        heads = prod(batch_heads)
        pairs = attention_pairs(q_len, k_len, convention)

        has_mask = get_shape(inputs[3]) is not None or _constant(inputs[5]) is True
        per_score = 1 + 3 + (1 if has_mask else 0)  # scale, softmax (exp, sum, divide), mask add
        return Counter({
            "attention_scores" + MATMUL: int(2 * heads * pairs * d_qk),
            "attention_weighted_sum" + MATMUL: int(2 * heads * pairs * d_v),
            "attention_softmax": int(heads * pairs * per_score),
        })

    return sdpa


def elementwise(name: str, per_element: int = 1) -> Handle:
    """Price an element-wise op at ``per_element`` FLOPs for each output element."""

    def handle(inputs: list, outputs: list) -> Counter:
        return Counter({name: per_element * _numel(outputs[0])})

    return handle


def reduction(name: str) -> Handle:
    """Price a sum or mean at one FLOP per input element."""

    def handle(inputs: list, outputs: list) -> Counter:
        return Counter({name: _numel(inputs[0])})

    return handle


def layer_norm(inputs: list, outputs: list) -> Counter:
    """aten::layer_norm: mean, subtract, square, variance, normalize (5 per element), then weight and bias."""
    n = _numel(inputs[0])
    affine = sum(1 for value in inputs[2:4] if get_shape(value) is not None)
    return Counter({"layer_norm": (5 + affine) * n})


def rms_norm(inputs: list, outputs: list) -> Counter:
    """aten::rms_norm: square, mean, scale by the reciprocal root (3 per element), then the weight."""
    n = _numel(inputs[0])
    weighted = 1 if len(inputs) > 2 and get_shape(inputs[2]) is not None else 0
    return Counter({"rms_norm": (3 + weighted) * n})


def lookup(inputs: list, outputs: list) -> Counter:
    """aten::embedding: a table lookup does no arithmetic, so it is priced at zero on purpose."""
    return Counter({"embedding": 0})


ELEMENTWISE_OPS = ("add", "add_", "sub", "rsub", "mul", "mul_", "div", "neg", "exp", "log", "cos", "sin", "le", "lt",
                   "pow", "sqrt", "rsqrt", "tanh", "sigmoid", "relu", "gelu", "silu", "where", "abs")


def handles(convention: str) -> dict[str, Handle]:
    """Return every handle to register on a FlopCountAnalysis, for the given attention convention."""
    table: dict[str, Handle] = {
        "aten::linear": linear,
        "aten::matmul": matmul,
        "aten::bmm": matmul,
        "aten::mm": matmul,
        "aten::scaled_dot_product_attention": make_sdpa(convention),
        "aten::layer_norm": layer_norm,
        "aten::rms_norm": rms_norm,
        "aten::embedding": lookup,
        "aten::softmax": elementwise("softmax", 3),
        "aten::sum": reduction("sum"),
        "aten::mean": reduction("mean"),
    }
    for op in ELEMENTWISE_OPS:
        table[f"aten::{op}"] = elementwise(op.rstrip("_"))
    return table
