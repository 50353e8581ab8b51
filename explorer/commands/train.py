"""``python -m explorer train``: train small versions of recipes and compare loss and extrapolation."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from model import DecoderConfig

from ..quality import TrainSettings, load_corpus, run_or_reuse
from ..quality.report import equal_flops, group_results, summarize_group
from ..quality.results import DEFAULT_RESULTS_DIR

HELP = "Train small byte-level versions of recipes; report validation loss at 1x, 2x and 4x the trained length."

DEFAULTS = TrainSettings()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="preset name or recipe JSON file")
    parser.add_argument("--steps", type=int, default=DEFAULTS.steps, help=f"optimizer steps per run (default {DEFAULTS.steps})")
    parser.add_argument("--seq-len", type=int, default=DEFAULTS.seq_len, help=f"trained length in bytes (default {DEFAULTS.seq_len})")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per recipe, 0..K-1 (default 3)")
    parser.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size, help=f"sequences per step (default {DEFAULTS.batch_size})")
    parser.add_argument("--lr", type=float, default=DEFAULTS.lr, help=f"peak AdamW learning rate (default {DEFAULTS.lr})")
    parser.add_argument("--d-model", type=int, default=DEFAULTS.d_model, help=f"width of the scaled recipe (default {DEFAULTS.d_model})")
    parser.add_argument("--n-layer", type=int, default=DEFAULTS.n_layer, help=f"depth of the scaled recipe (default {DEFAULTS.n_layer})")
    parser.add_argument("--threads", type=int, default=DEFAULTS.threads,
                        help=f"CPU threads; part of the settings because it can change the last bits (default {DEFAULTS.threads})")
    parser.add_argument("--device", default=DEFAULTS.device, help="torch device, e.g. cpu or cuda (default cpu)")
    parser.add_argument("--corpus", default=None, help="UTF-8 text file to train on (default: the Python standard library's sources)")
    parser.add_argument("--results-dir", default=str(DEFAULT_RESULTS_DIR), help="folder of saved results (default results/quality)")
    parser.add_argument("--no-reuse", action="store_true", help="train again even when a saved result matches")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")


def load_recipe(spec: str) -> DecoderConfig:
    """Return the recipe that SPEC names: the shared spec loader where it exists, else a file or a preset."""
    try:
        from ..spec import load_spec
    except ImportError:
        load_spec = None
    if load_spec is not None:
        return load_spec(spec)
    path = Path(spec)
    if path.suffix == ".json" or path.is_file():
        if not path.is_file():
            raise ValueError(f"invalid SPEC {spec!r}: recipe file not found")
        return DecoderConfig.from_json(path.read_text())
    return DecoderConfig.from_preset(spec)


def settings_from(args: argparse.Namespace) -> TrainSettings:
    device = args.device
    if device.startswith("cuda"):
        import torch
        if not torch.cuda.is_available():
            raise ValueError(f"invalid --device {device!r}: CUDA is not available here; use cpu")
    elif device != "cpu":
        raise ValueError(f"invalid --device {device!r}: expected cpu or cuda[:N]")
    return TrainSettings(steps=args.steps, seq_len=args.seq_len, batch_size=args.batch_size, lr=args.lr,
                         d_model=args.d_model, n_layer=args.n_layer, threads=args.threads, device=device,
                         eval_interval=max(1, min(DEFAULTS.eval_interval, args.steps)))


class Progress:
    """A one-line progress bar on stderr; without a terminal, one line per finished run."""

    def __init__(self, total_steps: int):
        self.total, self.done, self.tty = total_steps, 0, sys.stderr.isatty()

    def update(self, label: str, step: int, steps: int, loss: float) -> None:
        if not self.tty:
            return
        share = (self.done + step) / self.total
        bar = "#" * round(30 * share)
        sys.stderr.write(f"\r[{bar:<30}] {share:4.0%} {label} step {step}/{steps} loss {loss:.3f} ")
        sys.stderr.flush()

    def finish_run(self, label: str, steps: int, note: str) -> None:
        self.done += steps
        prefix = "\r" if self.tty else ""
        sys.stderr.write(f"{prefix}{label}: {note}".ljust(80) + "\n")
        sys.stderr.flush()


def _cell(entry: dict | None, digits: int = 3) -> str:
    if entry is None:
        return "n/a"
    if "mean" not in entry:
        return "n/a (learned table)" if "learned" in entry.get("note", "") else "n/a"
    spread = f" ± {entry['std']:.{digits}f}" if entry.get("std") is not None else ""
    return f"{entry['mean']:.{digits}f}{spread}"


def format_table(groups: list[dict], compare: dict) -> str:
    header = ["recipe", "params", "train TFLOP", "val@1x", "val@2x", "val@4x", "4x-1x", "tok/s", "seeds"]
    rows = [header]
    for g in groups:
        ex = g["extrapolation"]
        rows.append([g["recipe"], f"{g['params']['total']:,}", f"{g['train_flops'] / 1e12:.3f}",
                     _cell(ex.get("1x")), _cell(ex.get("2x")), _cell(ex.get("4x")), _cell(g["delta_4x"]),
                     f"{g['tokens_per_second']['mean']:,.0f}" if g["tokens_per_second"] else "n/a",
                     str(len(g["seeds"]))])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("Losses: validation next-byte cross-entropy, nats (mean ± sample std over seeds).")
    lines.append(f"At equal training FLOPs ({compare['budget_flops'] / 1e12:.3f} TFLOP, the smallest run's budget):")
    for name, entry in compare["validation_loss"].items():
        lines.append(f"  {name}: {_cell(entry)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.seeds < 1:
        raise ValueError(f"invalid --seeds {args.seeds}: expected an integer >= 1")
    recipes = [load_recipe(spec) for spec in args.specs]
    settings = settings_from(args)
    corpus = load_corpus(args.corpus)

    progress = Progress(len(recipes) * args.seeds * settings.steps)
    results, runs = [], []
    for recipe in recipes:
        for seed in range(args.seeds):
            label = f"{recipe.name} seed {seed}"
            started = time.perf_counter()
            result, reused = run_or_reuse(
                recipe, settings, seed, corpus, args.results_dir, reuse=not args.no_reuse,
                on_step=lambda step, steps, loss, _val, label=label: progress.update(label, step, steps, loss))
            note = "reused saved result" if reused else f"trained in {time.perf_counter() - started:.0f} s"
            progress.finish_run(label, settings.steps, f"{note}, validation loss {result['final']['validation_loss']:.3f}")
            results.append(result)
            runs.append({"recipe": result["recipe"]["name"], "seed": seed, "key": result["key"], "reused": reused})

    grouped = group_results(results)
    groups = [summarize_group(runs_) for runs_ in grouped]
    compare = equal_flops(grouped)
    if args.json:
        print(json.dumps({"settings": settings.to_dict(), "corpus": corpus.describe(), "groups": groups,
                          "equal_flops": compare, "runs": runs}, indent=2))
    else:
        print(format_table(groups, compare))
    return 0
