"""Quality-lab results, matched to table rows by the component each row varies.

The lab trains small versions of recipes (``explorer.quality.summary``); its groups carry the
position and feed-forward kind of the recipe trained. A row takes the group with its component
that has the most seeds. Losses are the lab's: next-byte cross-entropy in nats on its validation
bytes, at a much smaller size than the tables measure, which each cell states.
"""

from __future__ import annotations

import json

from .table import Cell, NOT_MEASURED, text_cell

FACTORS = ("1x", "2x", "4x")
# A SwiGLU result counts as "equal parameters" when its parameters are within this share of GELU's.
EQUAL_PARAMS_TOLERANCE = 0.05


def load_summary(results_dir: str | None) -> dict | None:
    """Return the lab's summary, or None when the lab has no finished runs there."""
    from explorer import quality

    summary = quality.summary(results_dir) if results_dir else quality.summary()
    return summary if summary.get("groups") else None


def _best(groups: list[dict]) -> dict | None:
    return max(groups, key=lambda g: len(g["seeds"]), default=None)


def _total_params(group: dict) -> float | None:
    params = group.get("params")
    if isinstance(params, dict):
        return params.get("total")
    return params


def _cohort(groups: list[dict], varied: str, fixed: str) -> list[dict]:
    """Return the groups trained alike (settings, corpus and the ``fixed`` component) that cover most ``varied`` kinds.

    Only such groups differ by the varied component alone, so only they are compared in one column.
    """
    cohorts: dict[str, list[dict]] = {}
    for group in groups:
        key = json.dumps([group.get("settings"), group.get("corpus"), group.get(fixed)], sort_keys=True, default=str)
        cohorts.setdefault(key, []).append(group)
    return max(cohorts.values(), key=lambda c: (len({g.get(varied) for g in c}), sum(len(g["seeds"]) for g in c)),
               default=[])


def position_losses(summary: dict | None, kind: str) -> dict | None:
    """Return {"1x": stats or note, "2x": ..., "4x": ..., "source": ...} for a position kind, or None."""
    if not summary:
        return None
    cohort = _cohort(summary["groups"], "position", "feed_forward")
    group = _best([g for g in cohort if g.get("position") == kind])
    if group is None:
        return None
    return {**{f: group["extrapolation"].get(f) for f in FACTORS}, "source": _source(group)}


def feed_forward_group(summary: dict | None, row_key: str) -> dict | None:
    """Return the lab group for a feed-forward row (sigmoid, gelu, swiglu, swiglu-equal), or None.

    The lab's groups name only the kind, so SwiGLU at equal parameters is told apart from the
    wider SwiGLU by its parameter count against the GELU group's.
    """
    if not summary:
        return None
    groups = _cohort(summary["groups"], "feed_forward", "position")
    if row_key in ("sigmoid", "gelu"):
        return _best([g for g in groups if g.get("feed_forward") == row_key])
    gelu = _best([g for g in groups if g.get("feed_forward") == "gelu"])
    swiglu = [g for g in groups if g.get("feed_forward") == "swiglu"]
    if gelu is None or _total_params(gelu) is None:
        return _best(swiglu) if row_key == "swiglu" else None
    reference = _total_params(gelu)

    def is_equal(g: dict) -> bool:
        total = _total_params(g)
        return total is not None and abs(total / reference - 1) <= EQUAL_PARAMS_TOLERANCE

    return _best([g for g in swiglu if is_equal(g) == (row_key == "swiglu-equal")])


def _source(group: dict) -> str:
    return f"quality lab: {group['recipe']}, {len(group['seeds'])} seed(s)"


def loss_cell(losses: dict | None) -> Cell:
    """Return "1x / 2x / 4x" losses in nats, "rejects" where the lab rejected a length, or "not measured"."""
    if losses is None:
        return text_cell(f"{NOT_MEASURED} (no quality-lab result)")
    parts = []
    for factor in FACTORS:
        point = losses.get(factor)
        if not point or point.get("mean") is None:
            parts.append("rejects" if point and point.get("note") and point["note"] != NOT_MEASURED else NOT_MEASURED)
        else:
            parts.append(f"{point['mean']:.3f}")
    return text_cell(" / ".join(parts) + f" nats ({losses['source']})")


def extrapolation_holds(losses: dict | None, tolerance: float) -> bool | None:
    """Return whether the loss at 2x stays within ``tolerance`` of the loss at 1x; None when unknown."""
    if not losses:
        return None
    one, two = losses.get("1x") or {}, losses.get("2x") or {}
    if one.get("mean") is None or two.get("mean") is None:
        return None
    return two["mean"] <= one["mean"] * (1 + tolerance)


def validation_loss_cell(group: dict | None) -> Cell:
    if group is None:
        return text_cell(f"{NOT_MEASURED} (no quality-lab result)")
    loss = group["validation_loss"]
    return Cell(loss["mean"], "nats", spread=loss.get("std"),
                text=f"{loss['mean']:.3f}" + (f" ± {loss['std']:.2g}" if loss.get("std") else "")
                + f" nats ({_source(group)})")
