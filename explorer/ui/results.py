"""Cached calls into explorer for the page: reports, curves, layer stacks and latency points.

Every cached function is keyed by the recipe JSON (sorted keys, so one recipe is one key) and
the workload as plain values, and caches one recipe at a time, so changing one slot leaves the
others' entries in place. ``st.cache_data`` hands each caller a copy of the stored value, so no
session can modify the value another session reads. ``max_entries`` bounds the memory a long session can pin.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import streamlit as st

from explorer import charts
from explorer.diagram import StackStep, layer_stack
from model import DecoderConfig

log = logging.getLogger(__name__)
ENTRIES = 24  # about six full sets of four recipes
# Seconds of repeated calls per timing; short, because the page times several lengths per recipe.
LATENCY_RUN_S = 0.25
MEMORY_SHARE = 0.8  # of the free memory a timed model may take, as explorer.measure's default


@dataclass(frozen=True)
class WorkloadChoice:
    """The shared workload as the sidebar sets it."""

    batch: int
    seq_len: int
    dtype: str
    device: str
    attention: str
    latency: bool

    def to_json(self) -> str:
        """Return the workload as a cache key; the latency switch is left out, since it changes no count."""
        return json.dumps({**self.__dict__, "latency": False}, sort_keys=True)

    def workload(self, **changes):
        """Return explorer's ``Workload`` for this choice, with some fields changed."""
        from explorer.measure import Workload

        values = {**self.__dict__, **changes}
        return Workload(batch=values["batch"], seq_len=values["seq_len"], dtype=values["dtype"],
                        device=values["device"], attention=values["attention"], latency=values["latency"])


def measurement_available() -> bool:
    try:
        import explorer.measure  # noqa: F401
    except ImportError:
        return False
    return True


@st.cache_resource(max_entries=4, show_spinner=False)
def model_for(recipe_json: str, device: str, dtype: str):
    """Build the real model once per recipe, device and dtype, shared by every session.

    Callers only run it under ``torch.no_grad()`` with their own KV cache, so no session
    changes what another one times.
    """
    import torch

    from model import build_model

    return build_model(DecoderConfig.from_json(recipe_json), device=device, dtype=getattr(torch, dtype)).eval()


@st.cache_data(max_entries=ENTRIES, show_spinner=False)
def report(recipe_json: str, workload_json: str) -> dict:
    """Return ``measure(config, workload).to_dict()`` with latency off, or {"error": why}.

    A failure is cached as its message too, so the page does not retry it on every rerun.
    """
    from explorer.measure import measure

    choice = WorkloadChoice(**json.loads(workload_json))
    try:
        return measure(DecoderConfig.from_json(recipe_json), choice.workload(latency=False)).to_dict()
    except ValueError as err:  # a workload this recipe cannot run, e.g. longer than its position table
        return {"error": str(err)}
    except Exception as err:  # a measurement bug is named on its recipe, never shown as a traceback
        log.exception("measuring %s under %s failed", recipe_json, workload_json)
        return {"error": f"measurement failed: {type(err).__name__}: {err}"}


@st.cache_data(max_entries=ENTRIES, show_spinner=False)
def quick_report(recipe_json: str, workload_json: str) -> dict:
    """Return the report's fast part from explorer's closed forms and parameter count, or {"error": why}.

    The page shows it while ``report`` (fvcore and torch counters, activation peak) runs. The
    activation peak is None here, so the page never draws it as 0.
    """
    from explorer import memory
    from explorer.flops.closed_form import decode_flops, forward_flops
    from explorer.params import count_params

    config = DecoderConfig.from_json(recipe_json)
    choice = WorkloadChoice(**json.loads(workload_json))
    try:
        choice.workload().check(config)
    except ValueError as err:
        return {"error": str(err)}
    forward = forward_flops(config, choice.batch, choice.seq_len, choice.attention)
    decode = decode_flops(config, choice.seq_len, choice.batch)
    return {
        "params": count_params(config),
        "flops": {"forward": forward["total"], "forward_matmul": forward["matmul"], "macs_forward": forward["matmul"] // 2,
                  "decode_token": decode["total"], "convention": choice.attention, "unsupported_ops": {},
                  "by_component": {k: v for k, v in forward.items() if k not in ("matmul", "total")}},
        "memory": {"weights_bytes": memory.weights_bytes(config, choice.dtype),
                   "kv_cache_bytes": memory.kv_cache_bytes(config, choice.seq_len, choice.batch, choice.dtype),
                   "kv_cache_bytes_per_token": memory.kv_cache_bytes(config, 1, 1, choice.dtype),
                   "activation_peak_bytes": None},
        "latency": None,
    }


@st.cache_data(max_entries=4 * ENTRIES, show_spinner=False)
def latency_point(recipe_json: str, workload_json: str, seq_len: int) -> dict:
    """Return explorer's latency dict for one recipe at one sequence length (``complete`` is false for a partial timing)."""
    from explorer import memory
    from explorer.latency import measure_latency

    choice = WorkloadChoice(**json.loads(workload_json))
    # The same guard as explorer.measure: refuse before allocating a model that would not fit.
    sizes = report(recipe_json, WorkloadChoice(**{**choice.__dict__, "seq_len": seq_len}).to_json())["memory"]
    needed = sizes["weights_bytes"] + sizes["activation_peak_bytes"] + sizes["kv_cache_bytes"]
    fits, message = memory.check_budget(needed, choice.device, MEMORY_SHARE, None)
    if not fits:
        return {"complete": False, "reason": f"memory guard: {message}", "prefill_ms": None, "decode_ms_per_token": None}
    model = model_for(recipe_json, choice.device, choice.dtype)
    return measure_latency(model, choice.batch, seq_len, choice.device, choice.dtype, min_run_time=LATENCY_RUN_S)


@st.cache_data(max_entries=ENTRIES, show_spinner=False)
def stack(recipe_json: str) -> list[StackStep]:
    return layer_stack(DecoderConfig.from_json(recipe_json))


@st.cache_data(max_entries=ENTRIES, show_spinner=False)
def kv_curve(recipe_json: str, batch: int, dtype: str) -> list[int]:
    return charts.kv_cache_curves([DecoderConfig.from_json(recipe_json)], batch, dtype)[0]


@st.cache_data(max_entries=ENTRIES, show_spinner=False)
def decode_curve(recipe_json: str) -> list[int]:
    return charts.decode_flops_curves([DecoderConfig.from_json(recipe_json)])[0]


def latency_lengths(seq_len: int, max_seq_len: int) -> list[int]:
    """Sequence lengths to time: powers of two from 32 up to the workload's length, then it."""
    top = min(seq_len, max_seq_len)
    lengths = [n for n in (32, 64, 128, 256, 512, 1024, 2048, 4096, 8192) if n < top]
    return lengths[-4:] + [top]


@dataclass
class Entry:
    """One recipe column: its label, config, report (quick or full) and latency, or why not."""

    slot: int
    label: str
    config: DecoderConfig
    report: dict | None = None
    error: str | None = None
    complete: bool = False  # the report is explorer.measure's full one, not the quick closed forms
    latency: dict | None = None  # the complete latency at the workload's length, else None
    latency_points: dict = field(default_factory=dict)  # seq_len -> complete latency dict
    latency_note: str | None = None  # why a requested timing is missing


def collect_entries(configs: list[tuple[int, DecoderConfig]], choice: WorkloadChoice) -> list[Entry]:
    """Return an entry per valid recipe with its full report if this session has one, else the quick one.

    Keys this session has already measured are remembered in its session state, so a rerun reads
    them from the cache instead of showing the quick numbers again.
    """
    measured = st.session_state.setdefault("measured_keys", {})
    entries = []
    for slot, config in configs:
        entry = Entry(slot=slot, label=f"{slot + 1}. {config.name}", config=config)
        key = (config.to_json(), choice.to_json())
        entry.complete = key in measured
        result = report(*key) if entry.complete else quick_report(*key)
        if "error" in result:
            entry.error = result["error"]
        else:
            entry.report = result
        entries.append(entry)
    return entries


def finish_entries(entries: list[Entry], choice: WorkloadChoice) -> bool:
    """Run the full measurement for entries that showed quick numbers; return whether any ran."""
    pending = [e for e in entries if not e.complete and e.error is None]
    if not pending:
        return False
    measured = st.session_state.setdefault("measured_keys", {})
    # The count below holds the GIL for seconds; a short sleep first lets the server thread send
    # the quick numbers to the browser.
    time.sleep(0.05)
    with st.spinner("Counting FLOPs with fvcore and torch's counter and measuring the activation peak…"):
        for entry in pending:
            key = (entry.config.to_json(), choice.to_json())
            report(*key)
            measured[key] = True
    while len(measured) > 4 * ENTRIES:  # forget the oldest; a forgotten key only shows quick numbers first
        del measured[next(iter(measured))]
    return True
