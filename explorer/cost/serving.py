"""Serving: memory of weights and KV cache, the largest batch that fits, and roofline bounds.

The roofline bounds a phase's time from below by max(FLOPs / peak FLOP/s, bytes / bandwidth).
Prefill reads the weights once for many tokens, so compute bounds it. Each decode step reads all
weights and the whole KV cache for one new token per sequence, so bandwidth bounds it.
Quantised weights are weight-only: int8 and int4 count 1 and 0.5 bytes per parameter (scales and
zero points left out), the KV cache stays in bf16 and the matrix multiplies run at the bf16 peak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from model import DecoderConfig

from .. import memory
from ..flops import closed_form

# Short serving dtype names and the names explorer.memory uses for them.
SERVE_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "int8": "int8", "int4": "int4"}


def check_serve_dtype(dtype: str) -> None:
    if dtype not in SERVE_DTYPES:
        raise ValueError(f"invalid serve dtype={dtype!r}: expected one of {', '.join(SERVE_DTYPES)}")


def kv_dtype(serve_dtype: str) -> str:
    check_serve_dtype(serve_dtype)
    return "bf16" if serve_dtype in ("int8", "int4") else serve_dtype


def weights_bytes(config: DecoderConfig, serve_dtype: str) -> float:
    check_serve_dtype(serve_dtype)
    return memory.weights_bytes(config, SERVE_DTYPES[serve_dtype])


def kv_cache_bytes(config: DecoderConfig, context: int, batch: int, serve_dtype: str) -> float:
    """Return keys and values of every layer for ``batch`` sequences of ``context`` tokens."""
    return memory.kv_cache_bytes(config, context, batch, SERVE_DTYPES[kv_dtype(serve_dtype)])


def largest_batch(config: DecoderConfig, gpu_memory_bytes: float, context: int, serve_dtype: str) -> int:
    """Return how many sequences of ``context`` tokens fit beside the weights (0 when none does).

    Only weights and KV cache count; the forward pass's temporary activations need some room too.
    """
    room = gpu_memory_bytes - weights_bytes(config, serve_dtype)
    per_sequence = kv_cache_bytes(config, context, 1, serve_dtype)
    return max(0, math.floor(room / per_sequence))


def forward_flops(config: DecoderConfig, batch: int, seq_len: int) -> float:
    """Return the FLOPs of a forward pass over batch x seq_len tokens (2 per multiply-add, full square)."""
    return closed_form.forward_flops(config, batch, seq_len)["total"]


def decode_flops(config: DecoderConfig, batch: int, context: int) -> float:
    """Return the FLOPs of one decode step: one new token per sequence attending to ``context`` keys."""
    return closed_form.decode_flops(config, context, batch)["total"]


@dataclass(frozen=True)
class RooflinePoint:
    """One phase of serving on one device: its work, its traffic and the bounds they give."""

    phase: str  # "prefill" or "decode"
    device: str
    flops: float
    bytes: float
    tokens: int  # tokens the phase produces (prefill: batch x seq_len, decode: batch)
    peak_flops: float
    bandwidth: float

    @property
    def intensity(self) -> float:
        """FLOPs per byte of memory traffic."""
        return self.flops / self.bytes

    @property
    def seconds(self) -> float:
        return max(self.flops / self.peak_flops, self.bytes / self.bandwidth)

    @property
    def bound(self) -> str:
        return "compute" if self.flops / self.peak_flops >= self.bytes / self.bandwidth else "memory"

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds

    @property
    def attainable_flops(self) -> float:
        return min(self.peak_flops, self.bandwidth * self.intensity)


def prefill_point(config: DecoderConfig, batch: int, seq_len: int, serve_dtype: str, device: str,
                  peak_flops: float, bandwidth: float) -> RooflinePoint:
    """Return the bounds of prefill, which reads the weights once and writes the KV cache of every prompt token."""
    traffic = weights_bytes(config, serve_dtype) + kv_cache_bytes(config, seq_len, batch, serve_dtype)
    return RooflinePoint("prefill", device, forward_flops(config, batch, seq_len), traffic,
                         batch * seq_len, peak_flops, bandwidth)


def decode_point(config: DecoderConfig, batch: int, context: int, serve_dtype: str, device: str,
                 peak_flops: float, bandwidth: float) -> RooflinePoint:
    """Return the bounds of one decode step, which reads every weight and ``context`` cached tokens per sequence."""
    traffic = weights_bytes(config, serve_dtype) + kv_cache_bytes(config, context, batch, serve_dtype)
    return RooflinePoint("decode", device, decode_flops(config, batch, context), traffic, batch,
                         peak_flops, bandwidth)


@dataclass(frozen=True)
class MeasuredPhase:
    """Measured time of one phase on the machine at hand, and the share of the measured peak it reached."""

    phase: str
    seconds: float
    achieved_flops: float  # FLOP/s
    achieved_bandwidth: float  # bytes/s
    fraction_of_peak: float  # MFU for prefill, bandwidth use for decode
    intensity: float


def measured_phase(point: RooflinePoint, seconds: float) -> MeasuredPhase:
    """Place a measured time on the roofline of ``point``'s device (whose peaks were measured)."""
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"invalid measured time {seconds!r} s: expected a positive number")
    achieved_flops = point.flops / seconds
    achieved_bandwidth = point.bytes / seconds
    fraction = achieved_flops / point.peak_flops if point.phase == "prefill" else achieved_bandwidth / point.bandwidth
    return MeasuredPhase(point.phase, seconds, achieved_flops, achieved_bandwidth, fraction, point.intensity)
