"""``python -m explorer export SPEC --format recipe|hf|litgpt [--output PATH]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "write a recipe as recipe JSON, a Hugging Face config.json or a LitGPT model config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="preset name, recipe JSON file or Hugging Face config.json")
    parser.add_argument("--format", choices=("recipe", "hf", "litgpt"), default="recipe",
                        help="recipe: our schema; hf: config.json for transformers' AutoConfig; "
                             "litgpt: model_config.yaml for litgpt.Config.from_file (default recipe)")
    parser.add_argument("--output", metavar="PATH", help="write to this file instead of standard output")


def run(args: argparse.Namespace) -> int:
    from explorer.export import export_text
    from explorer.spec import load_spec

    text = export_text(load_spec(args.spec), args.format)
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {args.output} ({args.format})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
