"""Plotly figures for the Quality tab: loss curves over steps and loss against evaluation length.

Plain functions of result data (no Streamlit), so tests can check the traces directly.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.colors import qualitative

COLORS = qualitative.Plotly
INCOMPLETE = "stopped, incomplete"


def _color(index: int) -> str:
    return COLORS[index % len(COLORS)]


def run_label(run: dict) -> str:
    label = f"{run['recipe']} seed {run['seed']}"
    return f"{label} ({INCOMPLETE})" if run["status"] == "stopped" else label


def loss_curves(runs: list[dict]) -> go.Figure:
    """Return training loss (thin) and validation loss (markers) per run, one colour per recipe."""
    recipes = list(dict.fromkeys(run["recipe"] for run in runs))
    figure = go.Figure()
    for run in runs:
        if not run["train"]:
            continue
        color = _color(recipes.index(run["recipe"]))
        label = run_label(run)
        steps, losses = zip(*run["train"])
        figure.add_trace(go.Scatter(x=steps, y=losses, mode="lines", name=f"{label}: train", legendgroup=run["recipe"],
                                    line={"color": color, "width": 1}, opacity=0.6))
        if run["validation"]:
            val_steps, val_losses = zip(*run["validation"])
            figure.add_trace(go.Scatter(x=val_steps, y=val_losses, mode="lines+markers", name=f"{label}: validation",
                                        legendgroup=run["recipe"], line={"color": color, "dash": "dash"}))
    # showlegend: Plotly hides the legend of a one-trace figure, which would hide the "incomplete" label.
    figure.update_layout(title="Loss over training", xaxis_title="step", yaxis_title="next-byte loss (nats)",
                         height=420, margin={"t": 50, "b": 40}, showlegend=True)
    return figure


def extrapolation_chart(groups: list[dict]) -> go.Figure:
    """Return mean validation loss against evaluation length, one line per recipe, error bars = std over seeds.

    A length a recipe rejects (a learned table past its rows) has no point, and the legend gives the reason.
    """
    figure = go.Figure()
    for index, group in enumerate(groups):
        xs, ys, errors, refused = [], [], [], []
        for label, point in group["extrapolation"].items():
            if point.get("mean") is None:
                refused.append(f"{label} rejected")
                continue
            xs.append(point["length"])
            ys.append(point["mean"])
            errors.append(point.get("std") or 0.0)
        seeds = len(group["seeds"])
        name = f"{group['recipe']} ({seeds} seed{'' if seeds == 1 else 's'})"
        if refused:
            name += f"; {', '.join(refused)}: learned table has {group['extrapolation']['1x']['length']} rows"
        figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, line={"color": _color(index)},
                                    error_y={"type": "data", "array": errors, "visible": True}))
    figure.update_layout(title="Length extrapolation: validation loss vs evaluation length",
                         xaxis_title="evaluation length (bytes; trained at the first point)",
                         yaxis_title="next-byte loss (nats)", xaxis_type="log", height=420, margin={"t": 50, "b": 40},
                         showlegend=True)
    return figure


def group_rows(groups: list[dict]) -> list[dict]:
    """Return one table row per group: parameters, FLOPs and losses as mean ± std."""
    def cell(entry: dict | None) -> str:
        if not entry:
            return "not measured"
        if entry.get("mean") is None:
            return entry.get("note") or "not measured"
        return f"{entry['mean']:.3f}" + (f" ± {entry['std']:.3f}" if entry.get("std") is not None else "")

    rows = []
    for group in groups:
        extrapolation = group["extrapolation"]
        rows.append({"recipe": group["recipe"], "params": group["params"]["total"],
                     "train TFLOP": round(group["train_flops"] / 1e12, 4),
                     "loss @1x (nats)": cell(extrapolation.get("1x")), "loss @2x": cell(extrapolation.get("2x")),
                     "loss @4x": cell(extrapolation.get("4x")), "seeds": len(group["seeds"]),
                     "tokens/s": round(group["tokens_per_second"]["mean"]) if group["tokens_per_second"] else None})
    return rows
