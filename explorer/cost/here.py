"""The machine at hand on the roofline: its measured peaks and the measured latency of a recipe."""

from __future__ import annotations

from dataclasses import dataclass

from model import DecoderConfig

from ..peak import MachinePeak, measure_peak
from .serving import MeasuredPhase, RooflinePoint, decode_point, measured_phase, prefill_point

# explorer.measure's dtype names and the serving dtype of the same width.
SERVE_DTYPE_OF = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


@dataclass(frozen=True)
class MachineAtHand:
    """Measured peaks, the bounds they give a recipe, and where its measured times land."""

    peak: MachinePeak
    prefill: RooflinePoint
    decode: RooflinePoint
    measured_prefill: MeasuredPhase | None
    measured_decode: MeasuredPhase | None


def place_latency(config: DecoderConfig, batch: int, seq_len: int, dtype: str, peak: MachinePeak,
                  latency: dict | None) -> MachineAtHand:
    """Place a latency result of ``explorer.measure`` (``prefill_ms``, ``decode_ms_per_token``) on the roofline.

    Decode is taken at a context of ``seq_len`` tokens, after a prefill of that length. Missing
    timings stay None.
    """
    serve_dtype = SERVE_DTYPE_OF[dtype]
    label = f"this machine ({peak.device})"
    prefill = prefill_point(config, batch, seq_len, serve_dtype, label, peak.matmul_flops, peak.copy_bandwidth)
    decode = decode_point(config, batch, seq_len, serve_dtype, label, peak.matmul_flops, peak.copy_bandwidth)
    latency = latency or {}
    prefill_ms, decode_ms = latency.get("prefill_ms"), latency.get("decode_ms_per_token")
    return MachineAtHand(
        peak=peak, prefill=prefill, decode=decode,
        measured_prefill=None if prefill_ms is None else measured_phase(prefill, prefill_ms / 1000),
        measured_decode=None if decode_ms is None else measured_phase(decode, decode_ms / 1000),
    )


def measure_machine_at_hand(config: DecoderConfig, batch: int, seq_len: int, dtype: str = "float32",
                            device: str = "cpu") -> MachineAtHand:
    """Measure the device's peaks and the recipe's latency on it, then place both on the roofline."""
    from ..measure import Workload, measure

    report = measure(config, Workload(batch=batch, seq_len=seq_len, dtype=dtype, device=device, latency=True))
    return place_latency(config, batch, seq_len, dtype, measure_peak(device, dtype), report.latency)
