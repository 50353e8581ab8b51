"""``python -m explorer import-hf CONFIG.json [--json]``: the recipe a Hugging Face config.json describes."""

from __future__ import annotations

import argparse
import sys

HELP = "read a Hugging Face config.json and print the recipe it describes, with its parameter count"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", metavar="CONFIG.json", help="a Hugging Face config.json file")
    parser.add_argument("--json", action="store_true", help="print the recipe JSON instead of a summary table")


def summary(config) -> list[tuple[str, str]]:
    from ..params import count_params

    params = count_params(config)["total"]
    windows = sorted({w for w in config.layer_windows() if w is not None})
    local = sum(w is not None for w in config.layer_windows())
    component = lambda part: ", ".join(f"{k}={v}" for k, v in part.items() if k != "kind")  # noqa: E731
    return [
        ("name", config.name),
        ("family", config.family or "-"),
        ("parameters", f"{params:,}"),
        ("layers x d_model", f"{config.n_layer} x {config.d_model}"),
        ("heads (q / kv) x head_dim", f"{config.n_head} / {config.n_kv_head} x {config.resolved_head_dim}"),
        ("d_ff", str(config.resolved_d_ff)),
        ("position", f"{config.position['kind']} ({component(config.position)})"),
        ("feed_forward", f"{config.feed_forward['kind']} ({component(config.feed_forward)})"),
        ("norm", f"{config.norm['kind']} ({component(config.norm)})"),
        ("bias", ", ".join(k for k, v in config.bias.items() if v) or "none"),
        ("tied embeddings", str(config.tie_embeddings).lower()),
        ("block", "parallel" + (", one shared norm" if config.shared_block_norm else "")
         if config.parallel_residual else "sequential"),
        ("sliding window", f"{windows[0]} tokens on {local} of {config.n_layer} layers" if windows else "none"),
        ("max_seq_len", str(config.max_seq_len)),
    ]


def run(args: argparse.Namespace) -> int:
    from explorer.hf_import import load_hf_file

    config = load_hf_file(args.config)
    if args.json:
        sys.stdout.write(config.to_json())
        return 0
    rows = summary(config)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return 0
