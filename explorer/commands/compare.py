"""``python -m explorer compare SPEC SPEC ...``: several recipes measured under one workload, side by side."""

from __future__ import annotations

import argparse

from .measure import add_workload_arguments, workload_for

HELP = "compare recipes side by side: parameters, FLOPs, memory and (with --latency) latency"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("specs", metavar="SPEC", nargs="+",
                        help="two or more preset names, recipe JSON files or Hugging Face config.json files")
    add_workload_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import json

    from explorer.format import notes, table
    from explorer.measure import measure
    from explorer.spec import load_spec

    if len(args.specs) < 2:
        raise ValueError(f"invalid SPEC list {args.specs!r}: compare needs at least two recipes")
    configs = [load_spec(spec) for spec in args.specs]
    # Every recipe gets one workload so the columns compare. The default seq_len fits the shortest max_seq_len.
    if args.seq_len is None:
        args.seq_len = min(min(c.max_seq_len for c in configs), 1024)
    reports = [measure(config, workload_for(args, config)).to_dict() for config in configs]
    if args.json:
        print(json.dumps(reports, indent=2))
        return 0
    print(table(reports, [f"{i + 1}: {r['recipe']}" for i, r in enumerate(reports)]))
    print()
    print("\n".join(notes(reports[0])))
    return 0
