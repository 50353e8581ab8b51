"""Plotly figures for comparing recipes, built from explorer's numbers (no Streamlit here).

Each figure function takes the recipe labels and numbers already measured by ``explorer``
(``Report.to_dict()`` or the closed forms) and only draws them. The ``*_curves`` helpers call
explorer's closed forms over a range of context lengths.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from model import DecoderConfig

# Contexts for the curves: powers of two from 128 tokens to 8M tokens, far enough that a
# 124M-parameter recipe's KV cache fills an 80 GB GPU within the chart.
CONTEXTS = [2**k for k in range(7, 24)]

COMPONENT_ORDER = ["embedding", "position", "attention", "feed_forward", "norm", "output_head"]
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


def _ordered(keys: Sequence[str]) -> list[str]:
    known = [k for k in COMPONENT_ORDER if k in keys]
    return known + sorted(k for k in keys if k not in COMPONENT_ORDER)


def _stacked_components(labels: Sequence[str], parts: Sequence[Mapping[str, float]], y_title: str, hover_unit: str) -> go.Figure:
    fig = go.Figure()
    keys = _ordered({k for p in parts for k in p})
    for key in keys:
        values = [p.get(key, 0) for p in parts]
        fig.add_bar(name=key.replace("_", " "), x=list(labels), y=values,
                    hovertemplate=f"%{{x}}<br>{key.replace('_', ' ')}: %{{y:,.0f}} {hover_unit}<extra></extra>")
    fig.update_layout(barmode="stack", yaxis_title=y_title, legend_title="component", margin={"t": 30})
    return fig


def params_by_component(labels: Sequence[str], reports: Sequence[Mapping]) -> go.Figure:
    """Stacked bars of unique parameters per component (a tied matrix counts once)."""
    parts = [r["params"]["by_component"] for r in reports]
    return _stacked_components(labels, parts, "parameters", "params")


def flops_by_component(labels: Sequence[str], reports: Sequence[Mapping]) -> go.Figure:
    """Stacked bars of forward FLOPs per component (2 FLOPs per multiply-add)."""
    parts = [r["flops"]["by_component"] for r in reports]
    return _stacked_components(labels, parts, "FLOPs per forward (2 per multiply-add)", "FLOPs")


def memory_breakdown(labels: Sequence[str], reports: Sequence[Mapping]) -> go.Figure:
    """Stacked bars of weights, KV cache and peak activations, in GiB.

    An activation peak that was not measured is left out of the bar and named in the hover text,
    never drawn as 0.
    """
    fig = go.Figure()
    for key, name in (("weights_bytes", "weights"), ("kv_cache_bytes", "KV cache"), ("activation_peak_bytes", "activations (peak)")):
        values = [r["memory"].get(key) for r in reports]
        text = ["not measured" if v is None else "" for v in values]
        fig.add_bar(name=name, x=list(labels), y=[None if v is None else v / 2**30 for v in values], hovertext=text,
                    hovertemplate=f"%{{x}}<br>{name}: %{{y:.3f}} GiB %{{hovertext}}<extra></extra>")
    fig.update_layout(barmode="stack", yaxis_title="memory (GiB)", legend_title="part", margin={"t": 30})
    return fig


def kv_cache_curves(configs: Sequence[DecoderConfig], batch: int, dtype: str, contexts: Sequence[int] = CONTEXTS) -> list[list[int]]:
    """KV-cache bytes of each recipe for ``batch`` sequences at each context length."""
    from explorer.memory import kv_cache_bytes

    return [[kv_cache_bytes(c, tokens, batch, dtype) for tokens in contexts] for c in configs]


def decode_flops_curves(configs: Sequence[DecoderConfig], contexts: Sequence[int] = CONTEXTS) -> list[list[int]]:
    """FLOPs to decode one token of one sequence at each context length."""
    from explorer.flops.closed_form import decode_flops

    return [[decode_flops(c, context, 1)["total"] for context in contexts] for c in configs]


def context_limit(gpu_bytes: float, weights_bytes: float, kv_bytes_per_context_token: float) -> float | None:
    """Return the context at which weights plus KV cache fill ``gpu_bytes``; None if weights alone do."""
    room = gpu_bytes - weights_bytes
    if room <= 0 or kv_bytes_per_context_token <= 0:
        return None
    return room / kv_bytes_per_context_token


def _mark_gpu(fig: go.Figure, labels: Sequence[str], curves: Sequence[Sequence[float]], contexts: Sequence[int],
              gpu: tuple[str, float], weights_bytes: Sequence[float]) -> None:
    """Draw the GPU's memory as a dotted line and cross each recipe's curve where weights + KV cache fill it.

    Lines are drawn as traces, not layout shapes, so they sit at data coordinates on the log axes.
    """
    name, gpu_bytes = gpu
    fig.add_scatter(x=[contexts[0], contexts[-1]], y=[gpu_bytes / 2**30] * 2, mode="lines", name=f"{name} memory",
                    line={"dash": "dot", "color": "#444"}, hovertemplate=f"{name}: %{{y:.0f}} GiB<extra></extra>")
    for i, (label, curve, weights) in enumerate(zip(labels, curves, weights_bytes)):
        colour = PALETTE[i % len(PALETTE)]
        per_token = curve[-1] / contexts[-1]  # the KV cache grows linearly with context
        limit = context_limit(gpu_bytes, weights, per_token)
        if limit is None:
            fig.add_annotation(text=f"{label}: weights alone exceed {name}", xref="paper", yref="paper",
                               x=0.01, y=0.9 - 0.07 * i, showarrow=False, font={"color": colour})
        elif contexts[0] <= limit <= contexts[-1]:
            fig.add_scatter(x=[limit], y=[(gpu_bytes - weights) / 2**30], mode="markers", showlegend=False,
                            marker={"symbol": "x", "size": 13, "color": colour},
                            hovertemplate=f"{label}: weights + KV cache fill {name} at %{{x:,.0f}} tokens<extra></extra>")


def _interpolate(contexts: Sequence[int], curve: Sequence[float], context: float) -> float:
    """Return the curve's value at ``context`` by linear interpolation between its two nearest points.

    Exact where the KV cache grows linearly between those points. A sliding window that caps the
    cache between them makes it an estimate.
    """
    above = next(k for k, c in enumerate(contexts) if c >= context)
    if above == 0 or contexts[above] == context:
        return curve[above]
    low, high = contexts[above - 1], contexts[above]
    share = (context - low) / (high - low)
    return curve[above - 1] + share * (curve[above] - curve[above - 1])


def _add_limited_curve(fig: go.Figure, label: str, colour: str, contexts: Sequence[int], curve: Sequence[float],
                       max_seq_len: int | None, scale: float = 1.0, value_format: str = "%{y:.3g}") -> None:
    """Draw one recipe's curve against context, solid up to ``max_seq_len`` and dashed beyond it, with a marker at it.

    Values are divided by ``scale`` before plotting (2**30 for GiB); ``value_format`` is the
    hover text of one y value.
    """
    hover = f"{label}<br>%{{x:,}} tokens: {value_format}<extra></extra>"
    if max_seq_len is None or max_seq_len >= contexts[-1]:
        fig.add_scatter(x=list(contexts), y=[b / scale for b in curve], mode="lines+markers", name=label,
                        legendgroup=label, line={"color": colour}, hovertemplate=hover)
        return

    within = [(c, b) for c, b in zip(contexts, curve) if c < max_seq_len]
    beyond = [(c, b) for c, b in zip(contexts, curve) if c > max_seq_len]
    if max_seq_len >= contexts[0]:
        at_limit = (max_seq_len, _interpolate(contexts, curve, max_seq_len))
        within.append(at_limit)
        beyond.insert(0, at_limit)  # the dashed part starts where the solid part ends
    if within:
        fig.add_scatter(x=[c for c, _ in within], y=[b / scale for _, b in within], mode="lines+markers", name=label,
                        legendgroup=label, line={"color": colour}, hovertemplate=hover)
    fig.add_scatter(x=[c for c, _ in beyond], y=[b / scale for _, b in beyond], mode="lines", legendgroup=label,
                    name=f"{label}: beyond max_seq_len ({max_seq_len:,})", line={"color": colour, "dash": "dash"},
                    hovertemplate=f"{label}, beyond max_seq_len {max_seq_len:,}<br>%{{x:,}} tokens: {value_format}<extra></extra>")
    if max_seq_len >= contexts[0]:
        fig.add_scatter(x=[at_limit[0]], y=[at_limit[1] / scale], mode="markers", legendgroup=label, showlegend=False,
                        name=f"{label}: max_seq_len", marker={"symbol": "diamond", "size": 11, "color": colour},
                        hovertemplate=f"{label}: max_seq_len %{{x:,}} tokens, {value_format}<extra></extra>")


def kv_cache_vs_context(labels: Sequence[str], curves: Sequence[Sequence[float]], contexts: Sequence[int] = CONTEXTS,
                        gpu: tuple[str, float] | None = None, weights_bytes: Sequence[float] = (), batch: int = 1,
                        max_seq_lens: Sequence[int | None] = ()) -> go.Figure:
    """Log-log lines of KV-cache memory against context, with where each recipe fills the GPU.

    ``gpu`` is (name, memory in bytes), for example from ``explorer.hardware``. Each recipe's
    ``max_seq_lens`` entry, when given, gets a diamond marker, and its curve is dashed beyond it.
    """
    fig = go.Figure()
    limits = list(max_seq_lens) + [None] * (len(labels) - len(max_seq_lens))
    for i, (label, curve, limit) in enumerate(zip(labels, curves, limits)):
        _add_limited_curve(fig, label, PALETTE[i % len(PALETTE)], contexts, curve, limit, 2**30, "%{y:.3g} GiB")
    if gpu is not None:
        _mark_gpu(fig, labels, curves, contexts, gpu, weights_bytes)
    fig.update_xaxes(type="log", title=f"context length (tokens per sequence, batch {batch})")
    fig.update_yaxes(type="log", title="KV cache (GiB)")
    fig.update_layout(margin={"t": 30}, legend_title="recipe")
    return fig


def flops_per_token_vs_context(labels: Sequence[str], curves: Sequence[Sequence[float]], contexts: Sequence[int] = CONTEXTS,
                               max_seq_lens: Sequence[int | None] = ()) -> go.Figure:
    """Lines of FLOPs per decoded token against the context already in the KV cache.

    Each recipe's ``max_seq_lens`` entry, when given, gets a diamond marker, and its curve is
    dashed beyond it.
    """
    fig = go.Figure()
    limits = list(max_seq_lens) + [None] * (len(labels) - len(max_seq_lens))
    for i, (label, curve, limit) in enumerate(zip(labels, curves, limits)):
        _add_limited_curve(fig, label, PALETTE[i % len(PALETTE)], contexts, curve, limit, 1.0, "%{y:.4g} FLOPs")
    fig.update_xaxes(type="log", title="context length (tokens in the KV cache)")
    fig.update_yaxes(type="log", title="FLOPs per decoded token (2 per multiply-add)")
    fig.update_layout(margin={"t": 30}, legend_title="recipe")
    return fig


def latency_vs_seq_len(labels: Sequence[str], points: Sequence[Mapping[int, Mapping]], device: str = "") -> go.Figure:
    """Measured prefill time and decode time per token against sequence length.

    ``points[i]`` maps a sequence length to that run's latency dict (``prefill_ms``,
    ``decode_ms_per_token``); incomplete runs are not passed in.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("prefill (whole prompt)", "decode (one token, cached)"))
    for i, (label, by_len) in enumerate(zip(labels, points)):
        lengths = sorted(by_len)
        colour = PALETTE[i % len(PALETTE)]
        for col, key in ((1, "prefill_ms"), (2, "decode_ms_per_token")):
            fig.add_scatter(x=lengths, y=[by_len[n][key] for n in lengths], mode="lines+markers", name=label,
                            line={"color": colour}, showlegend=col == 1, legendgroup=label, row=1, col=col,
                            hovertemplate=f"{label}<br>%{{x}} tokens: %{{y:.3g}} ms<extra></extra>")
    fig.update_xaxes(type="log", title="sequence length (tokens)")
    fig.update_yaxes(title="ms" + (f" on {device}" if device else ""))
    fig.update_layout(margin={"t": 40}, legend_title="recipe")
    return fig
