"""Plotly figures of the cost estimates: memory breakdowns and the roofline. No Streamlit here.

Memory is in GiB (2^30 bytes), as in the Cost tab's table.
"""

from __future__ import annotations

import plotly.graph_objects as go

from ..hardware import Accelerator
from .here import MachineAtHand
from .serving import RooflinePoint

TRAINING_PARTS = ("weights", "gradients", "optimizer states", "activations")
GIB = 2**30


def memory_breakdown(reports: list[dict], gpu: Accelerator) -> go.Figure:
    """Stacked bars of training memory per GPU, one bar per recipe, with the GPU's memory marked."""
    figure = go.Figure()
    names = [report["recipe"] for report in reports]
    for part in TRAINING_PARTS:
        values = [report["training"]["memory_per_gpu"][part] / GIB for report in reports]
        figure.add_bar(name=part, x=names, y=values, hovertemplate="%{x}: %{y:,.2f} GiB<extra>" + part + "</extra>")
    figure.add_hline(y=gpu.memory_bytes / GIB, line_dash="dash", annotation_text=f"{gpu.name} memory")
    figure.update_layout(barmode="stack", yaxis_title="GiB per GPU (2^30 bytes)", title="Training memory per GPU")
    return figure


def serving_breakdown(reports: list[dict], gpu: Accelerator) -> go.Figure:
    """Stacked bars of serving memory: weights at the serving dtype plus the KV cache."""
    figure = go.Figure()
    names = [report["recipe"] for report in reports]
    for key, label in (("weights_bytes", "weights"), ("kv_cache_bytes", "KV cache")):
        figure.add_bar(name=label, x=names, y=[report["serving"][key] / GIB for report in reports],
                       hovertemplate="%{x}: %{y:,.2f} GiB<extra>" + label + "</extra>")
    figure.add_hline(y=gpu.memory_bytes / GIB, line_dash="dash", annotation_text=f"{gpu.name} memory")
    figure.update_layout(barmode="stack", yaxis_title="GiB (2^30 bytes)", title="Serving memory")
    return figure


def _roof(figure: go.Figure, name: str, peak_flops: float, bandwidth: float, low: float, high: float, dash: str) -> None:
    ridge = peak_flops / bandwidth
    xs = [low, min(max(ridge, low), high), high]
    figure.add_scatter(x=xs, y=[min(peak_flops, bandwidth * x) for x in xs], mode="lines", name=f"{name} roof",
                       line={"dash": dash})


def roofline(points: list[tuple[str, RooflinePoint]], gpus: list[Accelerator],
             machine: list[tuple[str, MachineAtHand]] = ()) -> go.Figure:
    """Log-log roofline: each GPU's roof, each recipe's prefill and decode bound, and measured points."""
    intensities = [p.intensity for _, p in points] + [m.prefill.intensity for _, m in machine] + [1.0]
    low, high = min(intensities) / 4, max(max(intensities) * 4, 1e3)
    figure = go.Figure()
    for gpu in gpus:
        if gpu.dense_16bit_flops is not None:
            _roof(figure, gpu.name, gpu.dense_16bit_flops, gpu.bandwidth, low, high, "solid")
    for recipe, point in points:
        figure.add_scatter(x=[point.intensity], y=[point.attainable_flops], mode="markers",
                           marker={"symbol": "circle" if point.phase == "prefill" else "diamond", "size": 10},
                           name=f"{recipe} {point.phase} bound ({point.device})")
    for recipe, here in machine:
        _roof(figure, here.prefill.device + " measured", here.peak.matmul_flops, here.peak.copy_bandwidth, low, high, "dot")
        for measured in (here.measured_prefill, here.measured_decode):
            if measured is not None:
                figure.add_scatter(x=[measured.intensity], y=[measured.achieved_flops], mode="markers",
                                   marker={"symbol": "x", "size": 12},
                                   name=f"{recipe} {measured.phase} measured ({measured.fraction_of_peak:.0%} of peak)")
    figure.update_layout(xaxis={"type": "log", "title": "arithmetic intensity (FLOP per byte)"},
                         yaxis={"type": "log", "title": "FLOP/s"}, title="Roofline")
    return figure
