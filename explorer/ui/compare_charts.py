"""The charts and layer diagrams of the Compare tab, and the latency run with its progress bar.

Every chart has a fixed key, so Streamlit keeps each one in place across reruns instead of
redrawing it under a new identity.
"""

from __future__ import annotations

import logging

import streamlit as st

from explorer import charts
from explorer.diagram import stack_figure

from . import results
from .results import Entry, WorkloadChoice

log = logging.getLogger(__name__)


def run_latency(entries: list[Entry], choice: WorkloadChoice) -> None:
    """Time every recipe at a few sequence lengths, with a progress bar.

    Each point is cached on its own, so a rerun that interrupts the timing keeps the points
    already done. A recipe's latency is shown only once all of its points are complete.
    """
    plan = [(e, n) for e in entries if e.report is not None
            for n in results.latency_lengths(choice.seq_len, e.config.max_seq_len)]
    if not plan:
        return
    bar = st.progress(0.0, text="Timing latency…")
    for done, (entry, seq_len) in enumerate(plan):
        bar.progress(done / len(plan), text=f"Timing {entry.label} at {seq_len} tokens ({done + 1} of {len(plan)})")
        try:
            point = results.latency_point(entry.config.to_json(), choice.to_json(), seq_len)
        except Exception as err:  # a failed timing is reported on its recipe, never as a traceback
            log.exception("latency of %s at %d tokens failed", entry.label, seq_len)
            entry.latency_note = f"latency at {seq_len} tokens failed: {type(err).__name__}: {err}"
            continue
        if point.get("complete"):
            entry.latency_points[seq_len] = point
        else:
            entry.latency_note = f"latency at {seq_len} tokens incomplete: {point.get('reason')}"
    bar.empty()
    for entry in entries:
        lengths = results.latency_lengths(choice.seq_len, entry.config.max_seq_len)
        if entry.report is not None and all(n in entry.latency_points for n in lengths):
            entry.latency = entry.latency_points[lengths[-1]]
        else:
            entry.latency_points = {}  # partial timings are never drawn as a complete curve


def render_charts(entries: list[Entry], choice: WorkloadChoice, gpu: tuple[str, float] | None) -> None:
    measured = [e for e in entries if e.report is not None]
    if not measured:
        st.info("No valid recipe to chart.")
        return
    labels = [e.label for e in measured]
    reports = [e.report for e in measured]

    left, right = st.columns(2)
    with left:
        st.subheader("Parameters by component")
        st.plotly_chart(charts.params_by_component(labels, reports), key="chart_params", width="stretch")
    with right:
        st.subheader("FLOPs by component")
        st.plotly_chart(charts.flops_by_component(labels, reports), key="chart_flops", width="stretch")

    left, right = st.columns(2)
    with left:
        st.subheader("KV cache against context")
        curves = [results.kv_curve(e.config.to_json(), choice.batch, choice.dtype) for e in measured]
        weights = [e.report["memory"]["weights_bytes"] for e in measured]
        limits = [e.config.max_seq_len for e in measured]
        st.plotly_chart(charts.kv_cache_vs_context(labels, curves, gpu=gpu, weights_bytes=weights, batch=choice.batch,
                                                   max_seq_lens=limits),
                        key="chart_kv_cache", width="stretch")
        st.caption("Diamonds mark each recipe's max_seq_len; the dashed part of a curve lies beyond it.")
        if gpu:
            st.caption(f"The crosses mark where weights plus KV cache fill the {gpu[1] / 1e9:g} GB of one {gpu[0]} "
                       "(datasheet memory; activations and runtime overhead not included).")
    with right:
        st.subheader("FLOPs per decoded token against context")
        flop_curves = [results.decode_curve(e.config.to_json()) for e in measured]
        st.plotly_chart(charts.flops_per_token_vs_context(labels, flop_curves, max_seq_lens=limits),
                        key="chart_decode_flops", width="stretch")
        st.caption("Diamonds mark each recipe's max_seq_len, as on the KV-cache chart.")

    left, right = st.columns(2)
    with left:
        st.subheader("Memory breakdown")
        st.plotly_chart(charts.memory_breakdown(labels, reports), key="chart_memory", width="stretch")
    with right:
        st.subheader("Measured latency against sequence length")
        timed = [e for e in measured if e.latency_points]
        if not choice.latency:
            st.caption("Timing is off. Switch on “Time latency” in the sidebar to measure it.")
        elif not timed:
            st.caption("No complete timing to show.")
        else:
            st.plotly_chart(charts.latency_vs_seq_len([e.label for e in timed], [e.latency_points for e in timed],
                                                      device=choice.device),
                            key="chart_latency", width="stretch")


def render_diagrams(entries: list[Entry]) -> None:
    columns = st.columns(len(entries))
    for column, entry in zip(columns, entries):
        with column:
            steps = results.stack(entry.config.to_json())
            st.plotly_chart(stack_figure(steps, entry.config.n_layer, title=entry.label), key=f"diagram_{entry.slot}",
                            width="stretch", config={"staticPlot": True})
