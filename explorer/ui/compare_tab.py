"""The Compare tab: metric cards, the comparison table, the charts and the layer diagrams.

Numbers come from ``explorer.measure`` through the cached calls in ``results``; this module only
lays them out. Differences are relative to the first valid recipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from explorer.ui import format as fmt
from .results import Entry, WorkloadChoice


@dataclass(frozen=True)
class Metric:
    name: str
    value: Callable[[Entry], float | None]
    format: Callable[[Any], str]
    help: Callable[[Entry], str]
    lower_is_better: bool = True
    timed: bool = False  # a latency, which exists only when timing is on and complete


def _get(entry: Entry, *path: str) -> Any:
    data: Any = entry.report
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _macs_help(flops_value: float | None, what: str) -> str:
    if flops_value is None:
        return f"{what}: not measured."
    return (f"{what}: {flops_value:,.0f} FLOPs = {flops_value / 2:,.0f} MACs (multiply-adds). "
            "FLOPs count 2 per multiply-add.")


def _latency(key: str) -> Callable[[Entry], float | None]:
    return lambda e: None if e.latency is None else e.latency.get(key)


def metrics(choice: WorkloadChoice) -> list[Metric]:
    tokens = f"{choice.batch} × {choice.seq_len} tokens"
    return [
        Metric("Parameters (total)", lambda e: _get(e, "params", "total"), fmt.count,
               lambda e: "Unique parameters: a tied embedding and head count once.", lower_is_better=False),
        Metric("Parameters (non-embedding)", lambda e: _get(e, "params", "non_embedding"), fmt.count,
               lambda e: "Total minus the token embedding, an untied head and a learned position table.",
               lower_is_better=False),
        Metric("FLOPs per forward", lambda e: _get(e, "flops", "forward"), fmt.flops,
               lambda e: _macs_help(_get(e, "flops", "forward"), f"One forward over {tokens}, logits at every "
                                    f"position, attention counted {choice.attention}")),
        Metric("FLOPs per decoded token", lambda e: _get(e, "flops", "decode_token"), fmt.flops,
               lambda e: _macs_help(_get(e, "flops", "decode_token"),
                                    f"One new token per sequence at context {choice.seq_len} with a KV cache")),
        Metric("Weights memory", lambda e: _get(e, "memory", "weights_bytes"), fmt.nbytes,
               lambda e: f"Every unique parameter at {choice.dtype}."),
        Metric("KV cache", lambda e: _get(e, "memory", "kv_cache_bytes"), fmt.nbytes,
               lambda e: f"Keys and values of every layer for {tokens} at {choice.dtype}."),
        Metric("Prefill latency", _latency("prefill_ms"), fmt.millis,
               lambda e: f"Measured: one forward over {tokens} on {choice.device}, median of repeats.", timed=True),
        Metric("Decode latency per token", _latency("decode_ms_per_token"), fmt.millis,
               lambda e: f"Measured: one cached decode step at context {choice.seq_len} on {choice.device}.", timed=True),
    ]


def _delta(value: float | None, reference: float | None, is_reference: bool) -> str | None:
    return None if is_reference else fmt.relative_change(value, reference)


def _value_text(metric: Metric, entry: Entry, choice: WorkloadChoice, timing: bool = False) -> str:
    value = metric.value(entry)
    if value is None and metric.timed:
        if timing:
            return "timing…"
        return "timing off" if not choice.latency else "incomplete"
    return metric.format(value)


def render_cards(entries: list[Entry], choice: WorkloadChoice, timing: bool = False) -> None:
    """Draw a row of metric cards per recipe, with the change from the first recipe.

    ``timing`` is true while the latency is being measured, so the latency cards show "timing…".
    """
    measured = [e for e in entries if e.report is not None]
    reference = measured[0] if measured else None
    for entry in entries:
        st.markdown(f"**{entry.label}**")
        if entry.report is None:
            st.error(entry.error or "not measured")
            continue
        cards = metrics(choice)
        columns = [column for _ in range(2) for column in st.columns(4)]  # two rows of four
        for column, metric in zip(columns, cards):
            value = metric.value(entry)
            delta = _delta(value, metric.value(reference), entry is reference)
            colour = "inverse" if metric.lower_is_better else "off"
            column.metric(metric.name, _value_text(metric, entry, choice, timing), delta=delta, delta_color=colour,
                          help=metric.help(entry))
        if entry.latency_note:
            st.warning(entry.latency_note)


def comparison_rows(entries: list[Entry], choice: WorkloadChoice, timing: bool = False) -> list[dict[str, str]]:
    """Rows of the comparison table: one per metric, a value and a change column per recipe."""
    measured = [e for e in entries if e.report is not None]
    rows = []
    for metric in metrics(choice):
        row = {"metric": metric.name}
        for entry in entries:
            if entry.report is None:
                row[entry.label] = "invalid or failed"
                continue
            row[entry.label] = _value_text(metric, entry, choice, timing)
            if measured and entry is not measured[0]:
                row[f"{entry.label} vs {measured[0].label}"] = fmt.relative_change(metric.value(entry), metric.value(measured[0])) or "–"
        rows.append(row)
    return rows


def conventions(choice: WorkloadChoice, entries: list[Entry]) -> str:
    stated = {_get(e, "flops", "convention") for e in entries} - {None}
    text = (f"Workload: batch {choice.batch}, sequence length {choice.seq_len}, {choice.dtype} on {choice.device}. "
            f"FLOPs count 2 per multiply-add (MACs are half); attention scores are counted "
            f"{'for the full square' if choice.attention == 'full' else 'for the causal half only'}. "
            "Memory uses binary units (1 GiB = 2³⁰ bytes); counts use decimal prefixes (M = 10⁶, B = 10⁹).")
    if stated:
        text += " Counter convention: " + "; ".join(sorted(str(s) for s in stated)) + "."
    return text


def counter_check(entry: Entry) -> str | None:
    """Say how far the three FLOP counters of a full report are apart, or None before it exists."""
    counters = _get(entry, "flops", "counters")
    if not entry.complete or not counters:
        return None
    matmuls = [c["matmul"] for c in counters.values()]
    spread = (max(matmuls) - min(matmuls)) / max(matmuls) * 100
    return f"{entry.label}: matrix-multiply FLOPs of {', '.join(counters)} agree within {spread:.4f}%"


def render_table(entries: list[Entry], choice: WorkloadChoice, timing: bool = False) -> None:
    """Draw the comparison table and its notes, with the latency rows marked "timing…" when ``timing`` is true."""
    # The key stays on the final table only, since the page draws the table twice in a run while timing.
    st.dataframe(comparison_rows(entries, choice, timing), hide_index=True, width="stretch",
                 key=None if timing else "compare_table")
    st.caption(conventions(choice, entries))
    if any(not e.complete for e in entries if e.report is not None):
        st.caption("Showing explorer's closed-form counts while fvcore and torch's counter run on the model; "
                   "the page redraws with their counts and the activation peak when they finish.")
    else:
        st.caption("FLOPs counted by fvcore on the model built on the meta device. "
                   + "; ".join(filter(None, map(counter_check, entries))) + ".")
    for entry in entries:
        unsupported = _get(entry, "flops", "unsupported_ops")
        if unsupported:
            st.warning(f"{entry.label}: operators no FLOP counter priced, left out of the FLOPs: "
                       f"{', '.join(map(str, unsupported))}")
