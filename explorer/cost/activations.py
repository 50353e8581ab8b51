"""Activation memory of training: the tensors autograd saves in the forward pass for backward.

The formula follows this project's model component by component, because the saved tensors
depend on how each component is written, not only on its math. Every count is in bytes per
token (or per layer, for the few tensors that do not grow with the batch) and
``tests/explorer/test_cost_activations.py`` checks it against the saved tensors of real models.

Conventions: ``act`` is the byte size of the activation dtype (the model runs in it, as
``build_model(config, dtype=...)`` does). The norms compute in float32, so they keep an fp32
copy of their input whatever ``act`` is. The loss is a float32 cross-entropy over all logits.
"""

from __future__ import annotations

from dataclasses import dataclass

from model import DecoderConfig

RECOMPUTE_MODES = ("none", "selective", "full")
FP32 = 4
INDEX = 8  # int64 token ids, targets and T5 bucket indices


@dataclass(frozen=True)
class Backend:
    """How the kernels that differ between devices store what backward needs.

    ``dropout_mask_bytes``: CUDA's fused dropout keeps a bool mask; on CPU dropout multiplies by
    a mask in the activation dtype. ``math_attention_bytes``: SDPA's math path, taken for an
    additive bias or attention dropout, keeps q, k, v and the T x T probabilities. On CPU it
    computes them in float32 (4), elsewhere in the activation dtype (None).
    """

    name: str
    dropout_mask_bytes: int | None
    math_attention_bytes: int | None


# NOTE: the "cuda" conventions (bool dropout masks, math attention in the activation dtype) are
# not measured, because the tests run on CPU. The "cpu" conventions are measured.
BACKENDS = {
    "cuda": Backend("cuda", dropout_mask_bytes=1, math_attention_bytes=None),
    "cpu": Backend("cpu", dropout_mask_bytes=None, math_attention_bytes=FP32),
}


# Norms --------------------------------------------------------------------------------------

class NormActivations:
    """Saved bytes of one norm call; the fp32 copy of its input is counted by the caller."""

    statistics = 0

    def extra_per_token(self, config: DecoderConfig, act: int) -> float:
        return FP32 * self.statistics

    def per_layer_constant(self, config: DecoderConfig, act: int) -> float:
        return 0.0


class LayerNormActivations(NormActivations):
    """LayerNorm keeps its fp32 input and two statistics per token (mean and 1/std)."""

    statistics = 2

    def per_layer_constant(self, config, act):
        # Below fp32 the weight and bias are cast to fp32 for the kernel, and those copies are saved.
        affine = config.norm["affine"]
        copies = (1 + config.norm["bias"]) if affine and act != FP32 else 0
        return copies * config.d_model * FP32


class RMSNormActivations(NormActivations):
    """RMSNorm keeps its fp32 input and one statistic (1/rms) per token.

    A fused RMSNorm stops there and so stores less than LayerNorm. This project's RMSNorm
    multiplies by the weight after the kernel, as HF Llama does, and that multiply also saves
    the normalised tensor for the weight's gradient: d_model more values per token.
    """

    statistics = 1

    def extra_per_token(self, config, act):
        normalised_bytes = FP32 if config.norm["unit_offset"] else act
        return FP32 * self.statistics + config.d_model * normalised_bytes

    def per_layer_constant(self, config, act):
        # Gemma's unit offset saves the fp32 (1 + weight) it multiplies by.
        return config.d_model * FP32 if config.norm["unit_offset"] else 0.0


NORM_ACTIVATIONS: dict[str, NormActivations] = {
    "layernorm": LayerNormActivations(),
    "rmsnorm": RMSNormActivations(),
}


def norm_bytes_per_token(config: DecoderConfig, act: int, calls: int, input_copies: int) -> float:
    norm = NORM_ACTIVATIONS[config.norm["kind"]]
    return input_copies * config.d_model * FP32 + calls * norm.extra_per_token(config, act)


# Feed-forward -------------------------------------------------------------------------------

# Tensors of width d_ff that each feed-forward saves per token. Sigmoid and ReLU save only their
# output, which the down projection saves anyway; GELU saves its input as well. A gated unit
# keeps the gate, its activation, the linear branch and their product.
FEED_FORWARD_SAVED_WIDTHS = {"sigmoid": 1, "relu": 1, "gelu": 2, "swiglu": 4, "geglu": 4}


# Attention ----------------------------------------------------------------------------------

def uses_math_attention(config: DecoderConfig) -> bool:
    """Return whether SDPA falls back to the math path that materialises the T x T probabilities.

    The model passes ALiBi and T5 biases as a float mask, and PyTorch's CPU flash kernel takes
    neither a float mask nor dropout.
    """
    return config.position["kind"] in ("alibi", "relative") or config.dropout > 0


@dataclass(frozen=True)
class LayerActivations:
    """Saved bytes of one layer for a micro-batch, by part; ``scores`` contains the T x T tensors."""

    norms: float
    attention: float
    scores: float
    feed_forward: float
    dropout_masks: float
    position_tables: float

    @property
    def total(self) -> float:
        return (self.norms + self.attention + self.scores + self.feed_forward + self.dropout_masks
                + self.position_tables)


def layer_activations(config: DecoderConfig, batch: int, seq_len: int, act: int, tp: int = 1,
                      backend: Backend = BACKENDS["cuda"]) -> LayerActivations:
    """Return the bytes one layer saves for backward with no recomputation.

    With tensor parallelism of degree ``tp`` the attention heads and the feed-forward width are
    split across GPUs, while the norms, the projections' inputs and the residual dropout masks
    stay whole on every GPU (no sequence parallelism).
    """
    tokens = batch * seq_len
    d, h, kv, hd = config.d_model, config.n_head, config.n_kv_head, config.resolved_head_dim
    mask_bytes = backend.dropout_mask_bytes or act

    parallel = config.parallel_residual
    norm_calls = 1 if config.shared_block_norm else 2
    # In a parallel block both norms read the same x; in fp32 .float() returns x itself, so it is saved once.
    input_copies = 1 if parallel and act == FP32 else norm_calls
    norms = tokens * norm_bytes_per_token(config, act, norm_calls, input_copies)
    norms += norm_calls * NORM_ACTIVATIONS[config.norm["kind"]].per_layer_constant(config, act)

    scores = 0.0
    if uses_math_attention(config):
        element = backend.math_attention_bytes or act
        # q (scaled), k and v repeated to n_head heads, then the output handed to o_proj.
        inner = tokens * (3 * h * hd * element) / tp
        probabilities = batch * h * seq_len * seq_len * element
        if config.dropout > 0:
            probabilities += batch * h * seq_len * seq_len * (element + (backend.dropout_mask_bytes or element))
        scores = probabilities / tp
        attention = tokens * (d * act + h * hd * act / tp) + inner
    else:
        # q, k, v and the output at their own head counts, plus one fp32 log-sum-exp per head.
        inner = tokens * ((2 * h * hd + 2 * kv * hd) * act + h * FP32) / tp
        # SDPA's output takes the memory layout of q. A partial rotation rebuilds q with torch.cat
        # in head-major layout, so the output no longer is o_proj's (token-major) input and
        # o_proj saves a copy of it.
        if 0 < config.rotary_dim < hd:
            inner += tokens * h * hd * act / tp
        attention = tokens * d * act + inner

    ffn_input = 0 if config.shared_block_norm else tokens * d * act
    width = FEED_FORWARD_SAVED_WIDTHS[config.feed_forward["kind"]]
    feed_forward = ffn_input + tokens * width * config.resolved_d_ff * act / tp

    dropout_masks = tokens * 2 * d * mask_bytes if config.dropout > 0 else 0.0

    # RoPE saves its fp32 cos and sin tables for q and for k in every layer; xPos adds its
    # query and key scales. These do not grow with the batch.
    tables = {"rope": 4, "xpos": 6}.get(config.position["kind"], 0)
    position_tables = tables * seq_len * config.rotary_dim * FP32

    return LayerActivations(norms, attention, scores, feed_forward, dropout_masks, position_tables)


def outside_layers(config: DecoderConfig, batch: int, seq_len: int, act: int, tp: int = 1,
                   backend: Backend = BACKENDS["cuda"]) -> dict[str, float]:
    """Return the saved bytes outside the blocks: inputs, embedding, final norm, head and loss."""
    tokens = batch * seq_len
    d = config.d_model
    mask_bytes = backend.dropout_mask_bytes or act
    parts = {"token ids and targets": tokens * 2 * INDEX}
    if config.position["kind"] == "learned":
        parts["token ids and targets"] += seq_len * INDEX
    if config.position["kind"] == "relative":
        parts["T5 bucket indices"] = seq_len * seq_len * INDEX
    if config.dropout > 0:
        parts["embedding dropout mask"] = tokens * d * mask_bytes
    norm_calls = 1 + config.embedding_norm
    parts["final norm and head input"] = (tokens * (norm_bytes_per_token(config, act, norm_calls, norm_calls) + d * act)
                                          + norm_calls * NORM_ACTIVATIONS[config.norm["kind"]].per_layer_constant(config, act))
    # The fp32 log-softmax over the vocabulary; a vocabulary-parallel loss splits it over tp.
    parts["loss (fp32 log-softmax)"] = tokens * config.vocab_size * FP32 / tp
    return parts


@dataclass(frozen=True)
class ActivationEstimate:
    """Peak activation bytes of one micro-batch under a recomputation mode, with its parts."""

    recompute: str
    n_layer: int
    layer: LayerActivations
    stored_per_layer: float
    outside: dict[str, float]
    recompute_buffer: float  # one layer's activations rebuilt during backward (full recompute)

    @property
    def total(self) -> float:
        return self.n_layer * self.stored_per_layer + sum(self.outside.values()) + self.recompute_buffer


def activation_memory(config: DecoderConfig, batch: int, seq_len: int, act: int, recompute: str = "none",
                      tp: int = 1, backend: Backend = BACKENDS["cuda"]) -> ActivationEstimate:
    """Estimate the activation peak of a training step.

    ``selective`` recomputes the T x T attention tensors (softmax and its dropout) and keeps the
    rest, so it saves memory only on the math path. ``full`` keeps each layer's input and rebuilds one layer at a
    time in backward, so the peak adds one layer's activations.
    """
    if recompute not in RECOMPUTE_MODES:
        raise ValueError(f"invalid recompute={recompute!r}: expected one of {', '.join(RECOMPUTE_MODES)}")
    layer = layer_activations(config, batch, seq_len, act, tp, backend)
    outside = outside_layers(config, batch, seq_len, act, tp, backend)
    buffer = 0.0
    if recompute == "none":
        stored = layer.total
    elif recompute == "selective":
        stored = layer.total - layer.scores
    else:
        stored = batch * seq_len * config.d_model * act
        buffer = layer.total
    return ActivationEstimate(recompute, config.n_layer, layer, stored, outside, buffer)
