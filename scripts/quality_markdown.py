"""Print the QUALITY.md tables from saved quality-lab results.

Usage: .venv/bin/python scripts/quality_markdown.py [--results-dir results/quality]
Reads the runs that scripts/quality_experiment.sh saved; trains nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explorer.quality.report import equal_flops, group_results, summarize_group  # noqa: E402
from explorer.quality.results import DEFAULT_RESULTS_DIR, load_results  # noqa: E402

POSITION_RECIPES = ["gpt2-learned", "gpt2-sinusoidal", "gpt2-sinusoidal-scaled", "gpt2-relative", "gpt2-alibi",
                    "gpt2-rope", "gpt2-xpos"]
FEED_FORWARD_PAIR = ["gpt2-rope", "gpt2-rope-swiglu"]


def cell(entry: dict | None) -> str:
    if entry is None:
        return "n/a"
    if entry.get("mean") is None:
        return "not applicable (learned table has max_seq_len rows)" if "learned" in (entry.get("note") or "") else "n/a"
    spread = f" ± {entry['std']:.3f}" if entry.get("std") is not None else ""
    return f"{entry['mean']:.3f}{spread}"


def by_source(results_dir: Path) -> dict[str, list[dict]]:
    groups = {}
    for runs in group_results(load_results(results_dir)):
        source = runs[0].get("source_recipe", runs[0]["recipe"]["name"])
        if source not in groups or len(runs) > len(groups[source]):
            groups[source] = runs
    return groups


def positions_table(groups: dict[str, list[dict]]) -> list[str]:
    seq_len = next(iter(groups.values()))[0]["settings"]["seq_len"]
    lines = [f"| recipe | position | params | seeds | loss @1x ({seq_len}) | loss @2x ({2 * seq_len}) | "
             f"loss @4x ({4 * seq_len}) | 4x − 1x |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name in POSITION_RECIPES:
        if name not in groups:
            lines.append(f"| {name} | | | 0 | not run | | | |")
            continue
        g = summarize_group(groups[name])
        ex = g["extrapolation"]
        lines.append(f"| {name} | {g['position']} | {g['params']['total']:,} | {len(g['seeds'])} | {cell(ex['1x'])} | "
                     f"{cell(ex['2x'])} | {cell(ex['4x'])} | {cell(g['delta_4x'])} |")
    return lines


def feed_forward_table(groups: dict[str, list[dict]]) -> list[str]:
    if not all(name in groups for name in FEED_FORWARD_PAIR):
        return ["(GELU vs SwiGLU not run)"]
    pair = [groups[name] for name in FEED_FORWARD_PAIR]
    lines = ["| recipe | feed-forward | d_ff | params | train FLOPs | seeds | validation loss @1x |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for runs in pair:
        g = summarize_group(runs)
        lines.append(f"| {g['source_recipe']} | {g['feed_forward']} | {runs[0]['recipe']['d_ff']} | {g['params']['total']:,} | "
                     f"{g['train_flops'] / 1e12:.3f} T | {len(g['seeds'])} | {cell(g['extrapolation']['1x'])} |")

    gelu = {run["seed"]: run["extrapolation"][0]["loss"] for run in pair[0]}
    swiglu = {run["seed"]: run["extrapolation"][0]["loss"] for run in pair[1]}
    seeds = sorted(set(gelu) & set(swiglu))
    diffs = [swiglu[s] - gelu[s] for s in seeds]
    lines.append("")
    lines.append("Paired by seed (same initial seed and the same training bytes in the same order), SwiGLU − GELU: "
                 + ", ".join(f"seed {s}: {d:+.3f}" for s, d in zip(seeds, diffs))
                 + (f"; mean {statistics.fmean(diffs):+.3f} nats" if diffs else ""))
    compare = equal_flops(pair)
    lines.append(f"At equal training FLOPs ({compare['budget_flops'] / 1e12:.3f} TFLOP, the smaller run's budget): "
                 + ", ".join(f"{name}: {cell(entry)}" for name, entry in compare["validation_loss"].items()))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS_DIR)
    args = parser.parse_args()
    groups = by_source(args.results_dir)
    any_run = next(iter(groups.values()))[0]
    print(f"Settings: {any_run['settings']}")
    print(f"Corpus: {any_run['corpus']}")
    print(f"Versions: {any_run['versions']}")
    print(f"FLOPs: {any_run['flops']['convention']}")
    print()
    print("\n".join(positions_table(groups)))
    print()
    print("\n".join(feed_forward_table(groups)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
