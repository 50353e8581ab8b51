"""``python -m explorer tables``: regenerate the component comparison tables from measurements."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from ..quality.results import DEFAULT_RESULTS_DIR
from ..tables import TABLE_KEYS, TableSettings, build_tables, to_json, to_markdown

HELP = ("Measure positional encodings, attention kinds, feed-forwards, norms and the older against the "
        "modern recipe, and print the comparison tables with derived ratings.")

DEFAULTS = TableSettings()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--d-model", type=int, default=DEFAULTS.d_model, help=f"model width (default {DEFAULTS.d_model})")
    parser.add_argument("--n-layer", type=int, default=DEFAULTS.n_layer, help=f"number of blocks (default {DEFAULTS.n_layer})")
    parser.add_argument("--n-head", type=int, default=DEFAULTS.n_head, help=f"query heads (default {DEFAULTS.n_head})")
    parser.add_argument("--vocab-size", type=int, default=DEFAULTS.vocab_size,
                        help=f"vocabulary size (default {DEFAULTS.vocab_size})")
    parser.add_argument("--seq-len", type=int, default=DEFAULTS.seq_len,
                        help=f"tokens per sequence, also the trained length max_seq_len (default {DEFAULTS.seq_len})")
    parser.add_argument("--batch", type=int, default=DEFAULTS.batch, help=f"sequences per batch (default {DEFAULTS.batch})")
    parser.add_argument("--long-context", type=int, default=DEFAULTS.long_context,
                        help=f"context in tokens at which the attention table times a decode step (default {DEFAULTS.long_context})")
    parser.add_argument("--device", default=DEFAULTS.device, help="cpu or cuda (default cpu)")
    parser.add_argument("--dtype", default=DEFAULTS.dtype, help="float32, bfloat16 or float16 (default float32)")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for every timing (default: torch's default for this machine)")
    parser.add_argument("--format", default="markdown", help="markdown or json (default markdown)")
    parser.add_argument("--no-latency", action="store_true", help="skip every timing; timed cells read 'not measured'")
    parser.add_argument("--tables", default=",".join(TABLE_KEYS),
                        help=f"comma-separated tables to build (default all: {','.join(TABLE_KEYS)})")
    parser.add_argument("--quality-dir", default=None,
                        help="folder of quality-lab results for the loss columns (default: the lab's results/quality)")
    parser.add_argument("--output", default=None, help="write to this file instead of standard output")


def settings_from(args: argparse.Namespace) -> TableSettings:
    if args.format not in ("markdown", "json"):
        raise ValueError(f"invalid --format={args.format!r}: expected markdown or json")
    if args.device == "cuda":
        import torch
        if not torch.cuda.is_available():
            raise ValueError("invalid --device='cuda': no CUDA device is available; use --device cpu")
    return TableSettings(d_model=args.d_model, n_layer=args.n_layer, n_head=args.n_head, vocab_size=args.vocab_size,
                         seq_len=args.seq_len, batch=args.batch, long_context=args.long_context, device=args.device,
                         dtype=args.dtype, latency=not args.no_latency, quality_dir=args.quality_dir)


def selected_tables(text: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    for key in keys:
        if key not in TABLE_KEYS:
            raise ValueError(f"invalid --tables entry {key!r}: expected a comma-separated list of {', '.join(TABLE_KEYS)}")
    if not keys:
        raise ValueError(f"invalid --tables={text!r}: name at least one of {', '.join(TABLE_KEYS)}")
    return keys


def check_paths(args: argparse.Namespace) -> None:
    """Raise ValueError for an unusable --output or --quality-dir, so that no measuring is wasted."""
    if args.output:
        output = Path(args.output).absolute()
        if output.is_dir():
            raise ValueError(f"invalid --output={args.output!r}: {output} is a directory; give a file path")
        if not output.parent.is_dir():
            raise ValueError(f"invalid --output={args.output!r}: directory {output.parent} does not exist; "
                             f"create it or choose another path")
        if not os.access(output.parent, os.W_OK):
            raise ValueError(f"invalid --output={args.output!r}: directory {output.parent} is not writable; "
                             f"choose another path")
    if args.quality_dir is not None:
        quality_dir = Path(args.quality_dir)
        # A missing default directory only means that no quality runs have been saved yet.
        if quality_dir.resolve() == DEFAULT_RESULTS_DIR and not quality_dir.exists():
            return
        if not quality_dir.is_dir():
            raise ValueError(f"invalid --quality-dir={args.quality_dir!r}: directory {quality_dir.absolute()} "
                             f"not found; give the directory that contains the quality-lab results")


def run(args: argparse.Namespace) -> int:
    check_paths(args)
    settings = settings_from(args)
    only = selected_tables(args.tables)
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"invalid --threads={args.threads}: expected an integer >= 1")
        import torch
        torch.set_num_threads(args.threads)

    def progress(message: str) -> None:
        print(f"tables: {message}", file=sys.stderr, flush=True)

    result = build_tables(settings, progress=progress, only=only)
    command = "python -m explorer tables " + " ".join(shlex.quote(a) for a in sys.argv[2:] if a) \
        if len(sys.argv) > 1 and sys.argv[1] == "tables" else "python -m explorer tables"
    text = to_json(result) if args.format == "json" else to_markdown(result, command.strip())
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0
