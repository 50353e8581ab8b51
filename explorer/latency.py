"""Prefill and decode latency of a real model, timed with torch.utils.benchmark.

Each timing discards a warm-up call, then runs ``Timer.blocked_autorange`` and reports the
median, the interquartile range (IQR) as the spread and the number of timed blocks. On CUDA
every timed call ends with ``torch.cuda.synchronize()`` so queued kernels are included.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch.utils import benchmark

Progress = Callable[[float, str], None]
MIN_RUNS = 3


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def time_call(fn: Callable[[], object], device: str, min_run_time: float) -> dict:
    """Return {"median_ms", "iqr_ms", "runs"} for ``fn`` after one discarded warm-up call."""

    def call() -> None:
        fn()
        _sync(device)

    call()  # warm-up: first-call allocations and kernel selection are not timed
    timer = benchmark.Timer(stmt="call()", globals={"call": call}, num_threads=torch.get_num_threads())
    measurement = timer.blocked_autorange(min_run_time=min_run_time)
    if len(measurement.times) < MIN_RUNS:  # a slow call fits once in min_run_time; a spread needs more runs
        extra = [timer.timeit(number=1) for _ in range(MIN_RUNS - len(measurement.times))]
        measurement = benchmark.Measurement.merge([measurement, *extra])[0]
    return {"median_ms": measurement.median * 1e3, "iqr_ms": measurement.iqr * 1e3, "runs": len(measurement.times)}


def measure_latency(model: torch.nn.Module, batch: int, seq_len: int, device: str, dtype: str,
                    min_run_time: float = 0.5, progress: Progress | None = None) -> dict:
    """Time a prefill of batch × seq_len tokens and one decode step at context seq_len.

    Returns the ``latency`` section of a report. If a timing fails or is interrupted, the
    timings taken so far are returned with ``complete`` false and the reason, never as complete.
    """
    report = progress or (lambda fraction, message: None)
    result = {"device": device, "threads": torch.get_num_threads(), "dtype": dtype, "batch": batch,
              "seq_len": seq_len, "prefill_ms": None, "decode_ms_per_token": None, "tokens_per_second": None,
              "spread": {"prefill_iqr_ms": None, "decode_iqr_ms": None}, "runs": {"prefill": 0, "decode": 0},
              "complete": False, "reason": None}
    prompt = torch.randint(0, model.config.vocab_size, (batch, seq_len), device=device)
    try:
        with torch.no_grad():
            report(0.0, f"timing a prefill of {batch}x{seq_len} tokens")
            prefill = time_call(lambda: model(prompt), device, min_run_time)
            result.update(prefill_ms=prefill["median_ms"])
            result["spread"]["prefill_iqr_ms"] = prefill["iqr_ms"]
            result["runs"]["prefill"] = prefill["runs"]

            report(0.5, f"timing one decode step at context {seq_len}")
            cache = model.new_cache(batch, seq_len)
            if seq_len > 1:
                model(prompt[:, :-1], cache=cache)
            next_token = prompt[:, -1:]

            def decode_step() -> None:
                cache.length = seq_len - 1  # decode the same position again: the context stays seq_len
                model(next_token, cache=cache)

            decode = time_call(decode_step, device, min_run_time)
            result.update(decode_ms_per_token=decode["median_ms"],
                          tokens_per_second=batch * 1e3 / decode["median_ms"], complete=True)
            result["spread"]["decode_iqr_ms"] = decode["iqr_ms"]
            result["runs"]["decode"] = decode["runs"]
    except (RuntimeError, KeyboardInterrupt) as err:
        result["reason"] = f"timing stopped early: {type(err).__name__}: {err}".splitlines()[0]
    report(1.0, "latency done" if result["complete"] else "latency incomplete")
    return result
