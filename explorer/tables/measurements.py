"""The numbers a table needs from one recipe, taken from ``explorer.measure`` and nowhere else.

The tables never count parameters, FLOPs or bytes themselves: ``measure_recipe`` runs the
project's ``measure()`` on the real model and copies the fields the tables show into a flat
``Measured`` record. Results are memoized by recipe and workload, because the base recipe
appears in several tables and timing it twice would only add noise and minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from model import DecoderConfig

from .recipes import TableSettings

Progress = Callable[[str], None]


@dataclass
class Measured:
    """What the tables show of one recipe, in base units (parameters, FLOPs, bytes, milliseconds)."""

    params_total: int
    params_by_component: dict[str, int]
    weights_bytes: int | None
    flops_forward: float
    flops_decode: float
    flops_by_component: dict[str, float]
    kv_bytes_per_token: int
    kv_bytes: int
    activation_peak_bytes: int | None
    prefill_ms: float | None = None
    prefill_spread: float | None = None
    decode_ms: float | None = None
    decode_spread: float | None = None
    latency_setup: dict[str, Any] = field(default_factory=dict)


def _get(d: dict, path: str, default: Any = None) -> Any:
    for key in path.split("."):
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def from_report(report: dict) -> Measured:
    """Copy the fields the tables use out of ``Report.to_dict()``."""
    latency = report.get("latency") or {}
    spread = latency.get("spread") or {}
    return Measured(
        params_total=_get(report, "params.total"),
        params_by_component=dict(_get(report, "params.by_component", {})),
        weights_bytes=_get(report, "memory.weights_bytes"),
        flops_forward=_get(report, "flops.forward"),
        flops_decode=_get(report, "flops.decode_token"),
        flops_by_component=dict(_get(report, "flops.by_component", {}) or {}),
        kv_bytes_per_token=_get(report, "memory.kv_cache_bytes_per_token"),
        kv_bytes=_get(report, "memory.kv_cache_bytes"),
        activation_peak_bytes=_get(report, "memory.activation_peak_bytes"),
        prefill_ms=latency.get("prefill_ms"),
        prefill_spread=spread.get("prefill_iqr_ms"),
        decode_ms=latency.get("decode_ms_per_token"),
        decode_spread=spread.get("decode_iqr_ms"),
        latency_setup={k: latency.get(k) for k in ("device", "threads", "dtype") if k in latency},
    )


class Measurer:
    """Measures recipes through ``explorer.measure`` with the table settings, once per recipe and workload."""

    def __init__(self, settings: TableSettings, progress: Progress | None = None):
        self.settings = settings
        self.progress = progress
        self._done: dict[tuple, Measured] = {}

    def __call__(self, config: DecoderConfig, seq_len: int | None = None, latency: bool | None = None) -> Measured:
        seq_len = seq_len or self.settings.seq_len
        latency = self.settings.latency if latency is None else latency
        key = (config.to_json(), seq_len, latency)
        if key not in self._done:
            if self.progress:
                self.progress(f"measuring {config.name} at {seq_len} tokens{' with latency' if latency else ''}")
            self._done[key] = from_report(self._measure(config, seq_len, latency))
        return self._done[key]

    def _measure(self, config: DecoderConfig, seq_len: int, latency: bool) -> dict:
        from explorer.measure import Workload, measure

        s = self.settings
        workload = Workload(batch=s.batch, seq_len=seq_len, dtype=s.dtype, device=s.device, latency=latency)
        return measure(config, workload).to_dict()

    def kv_cache_bytes(self, config: DecoderConfig, tokens: int) -> int:
        """Return the KV cache for ``tokens`` tokens of one sequence, from the project's closed form."""
        from explorer.memory import kv_cache_bytes

        return kv_cache_bytes(config, tokens, 1, self.settings.dtype)


def check_real_model_fits(config: DecoderConfig, tokens: int, device: str, dtype: str = "float32") -> None:
    """Raise ValueError when building ``config`` and running one sequence of ``tokens`` would not fit in memory.

    Past ``max_seq_len`` the activation peak is scaled by the square of the length ratio, an upper
    bound for attention scores that grow quadratically.
    """
    from explorer import activations, memory

    measured_len = min(tokens, config.max_seq_len)
    peak, _ = activations.prefill_peak_bytes(config, 1, measured_len, dtype)
    needed = memory.weights_bytes(config, dtype) + int(peak * (tokens / measured_len) ** 2)
    fits, message = memory.check_budget(needed, device, share=0.8, budget=None, parts="weights + activations")
    if not fits:
        raise ValueError(f"invalid table settings: recipe {config.name!r} at {tokens} tokens: memory guard: {message}")
