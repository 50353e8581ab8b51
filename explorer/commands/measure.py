"""``python -m explorer measure SPEC``: parameters, FLOPs, memory and optionally latency of one recipe."""

from __future__ import annotations

import argparse

HELP = "measure a recipe: parameters, FLOPs, memory and (with --latency) latency"


def add_workload_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=int, default=1, help="sequences per forward (default 1)")
    parser.add_argument("--seq-len", type=int, default=None,
                        help="tokens per sequence (default: the recipe's max_seq_len, at most 1024)")
    parser.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), default="float32",
                        help="weight, activation and KV-cache dtype (default float32)")
    parser.add_argument("--device", choices=("cpu", "cuda", "meta"), default="cpu",
                        help="device for latency; meta allocates no weights (default cpu)")
    parser.add_argument("--attention", choices=("full", "causal"), default="full",
                        help="prefill attention FLOP convention: full square or causal half (default full)")
    parser.add_argument("--latency", action="store_true", help="time prefill and decode on --device")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="preset name, recipe JSON file or Hugging Face config.json")
    add_workload_arguments(parser)


def workload_for(args: argparse.Namespace, config):
    from explorer.measure import Workload

    seq_len = args.seq_len if args.seq_len is not None else min(config.max_seq_len, 1024)
    return Workload(batch=args.batch, seq_len=seq_len, dtype=args.dtype, device=args.device,
                    attention=args.attention, latency=args.latency)


def progress_to_stderr(fraction: float, message: str) -> None:
    import sys

    print(f"[{fraction:4.0%}] {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    import json

    from explorer.format import notes, table
    from explorer.measure import measure
    from explorer.spec import load_spec

    config = load_spec(args.spec)
    progress = progress_to_stderr if args.latency and not args.json else None
    report = measure(config, workload_for(args, config), progress).to_dict()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(table([report], [report["recipe"]]))
    print()
    print("\n".join(notes(report)))
    return 0
