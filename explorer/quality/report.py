"""Seeds combined into mean and spread, and comparisons at equal training FLOPs.

Results are grouped by source recipe, scaled recipe and settings; the seeds of a group are its
samples. Spread is the sample standard deviation (n - 1) with min and max beside it, and n is
the number of seeds behind each number.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from .results import DEFAULT_RESULTS_DIR, load_results


def stats(values: list[float]) -> dict:
    """Return mean, sample standard deviation (None for one value), min, max and n of ``values``."""
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else None,
            "min": min(values), "max": max(values), "n": len(values)}


def _optional_stats(values: list[float | None]) -> dict | None:
    present = [v for v in values if v is not None]
    return stats(present) if present else None


def _group_id(result: dict) -> str:
    return json.dumps([result.get("source_recipe"), result["recipe"], result["settings"], result["corpus"]["fingerprint"]],
                      sort_keys=True)


def group_results(results: list[dict]) -> list[list[dict]]:
    """Group runs that differ only by seed, keeping the first seen order; one run per seed (the latest)."""
    groups: dict[str, dict[int, dict]] = {}
    for result in results:
        groups.setdefault(_group_id(result), {})[result["seed"]] = result
    return [sorted(by_seed.values(), key=lambda r: r["seed"]) for by_seed in groups.values()]


def _extrapolation(runs: list[dict]) -> dict:
    points: dict[str, dict] = {}
    for point in runs[0]["extrapolation"]:
        label = f"{point['factor']}x"
        losses = [p["loss"] for run in runs for p in run["extrapolation"] if p["factor"] == point["factor"]]
        if any(loss is None for loss in losses):
            points[label] = {"length": point["length"], "note": point["note"] or "not measured"}
        else:
            points[label] = {"length": point["length"], **stats(losses)}
    return points


def _delta(runs: list[dict], factor: int) -> dict | None:
    """Return stats of (loss at factor x) - (loss at 1x) per seed, or None where a length was refused."""
    deltas = []
    for run in runs:
        by_factor = {p["factor"]: p["loss"] for p in run["extrapolation"]}
        if by_factor.get(factor) is None or by_factor.get(1) is None:
            return None
        deltas.append(by_factor[factor] - by_factor[1])
    return stats(deltas)


def summarize_group(runs: list[dict]) -> dict:
    first = runs[0]
    return {
        "recipe": first["recipe"]["name"],
        "source_recipe": first.get("source_recipe", first["recipe"]["name"]),
        "position": first["recipe"]["position"]["kind"],
        "feed_forward": first["recipe"]["feed_forward"]["kind"],
        "seeds": [run["seed"] for run in runs],
        "settings": first["settings"],
        "corpus": first["corpus"],
        "params": first["params"],
        "train_flops": first["flops"]["train_total"],
        "flops_convention": first["flops"]["convention"],
        "validation_loss": stats([run["final"]["validation_loss"] for run in runs]),
        "train_loss": stats([run["final"]["train_loss"] for run in runs]),
        "extrapolation": _extrapolation(runs),
        "delta_4x": _delta(runs, 4),
        "tokens_per_second": _optional_stats([run["tokens_per_second"] for run in runs]),
        "versions": first["versions"],
    }


def loss_at_flops(run: dict, budget: float) -> float | None:
    """Return the validation loss of ``run`` after ``budget`` training FLOPs, interpolated between evaluations.

    None when the budget falls before the first evaluation or after the last.
    """
    per_token = 3 * run["flops"]["forward_per_token"]
    curve = [(per_token * tokens, loss) for _, tokens, loss in run["curves"]["validation"]]
    for (f0, l0), (f1, l1) in zip(curve, curve[1:]):
        if f0 <= budget <= f1:
            return l0 + (l1 - l0) * (budget - f0) / (f1 - f0)
    if curve and abs(curve[-1][0] - budget) <= 1e-9 * budget:
        return curve[-1][1]
    return None


def equal_flops(groups: list[list[dict]]) -> dict:
    """Compare groups at the smallest training budget any of them spent: each reads its curve there."""
    budget = min(runs[0]["flops"]["train_total"] for runs in groups)
    rows = {}
    for runs in groups:
        losses = [loss_at_flops(run, budget) for run in runs]
        rows[runs[0]["recipe"]["name"]] = stats(losses) if None not in losses else None
    return {"budget_flops": budget, "validation_loss": rows}


def summary(results_dir: str | Path = DEFAULT_RESULTS_DIR) -> dict:
    """Summarize the finished runs in ``results_dir`` for tables: one entry per source recipe.

    ``recipes`` maps a source recipe name to the group with the most seeds (the latest on ties);
    ``groups`` lists every group. Losses are next-byte cross-entropy in nats on the validation bytes.
    """
    groups = group_results(load_results(results_dir))
    summaries = [summarize_group(runs) for runs in groups]
    best: dict[str, dict] = {}
    for item in summaries:
        current = best.get(item["source_recipe"])
        if current is None or len(item["seeds"]) >= len(current["seeds"]):
            best[item["source_recipe"]] = item
    return {"results_dir": str(results_dir), "units": "nats per byte", "recipes": best, "groups": summaries}
