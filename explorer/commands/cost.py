"""``python -m explorer cost``: memory, GPUs, time and money to train a recipe, and what serving it needs."""

from __future__ import annotations

import argparse
import json

from ..cost import OPTIMIZERS, RECOMPUTE_MODES, SERVE_DTYPES, ZERO_STAGES, ServingSetup, TrainingSetup, cost_report
from ..cost.compute import DEFAULT_MFU
from ..hardware import get_accelerator, load_hardware
from ..measure import check_activation_elements, check_seq_len
from ..spec import load_spec

HELP = "Estimate training memory per GPU, GPU count, GPU-hours, cost, serving memory and roofline tokens/s."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="preset name, recipe JSON file or Hugging Face config.json")
    parser.add_argument("--tokens", type=float, default=None,
                        help="training tokens, e.g. 2e12 (default: Chinchilla's 20 per parameter)")
    parser.add_argument("--gpu", default="h100-sxm", help="accelerator key from the hardware table (default h100-sxm)")
    parser.add_argument("--gpus", type=int, default=1, help="GPUs in the training run (default 1)")
    parser.add_argument("--mfu", type=float, default=DEFAULT_MFU,
                        help=f"model FLOPs utilisation, a fraction of the dense 16-bit peak (default {DEFAULT_MFU})")
    parser.add_argument("--price", type=float, default=None, help="price per GPU-hour, e.g. 2.5 (default: no cost shown)")
    parser.add_argument("--optimizer", default="adamw-mixed", choices=list(OPTIMIZERS),
                        help="optimizer preset and its bytes per parameter (default adamw-mixed, 16 B/param)")
    parser.add_argument("--zero", type=int, default=0, choices=list(ZERO_STAGES),
                        help="ZeRO stage: 1 shards optimizer states, 2 also gradients, 3 also weights (default 0)")
    parser.add_argument("--tp", type=int, default=1, help="tensor-parallel degree; must divide n_head and --gpus (default 1)")
    parser.add_argument("--seq-len", type=int, default=None, help="training sequence length (default: the recipe's max_seq_len)")
    parser.add_argument("--micro-batch", type=int, default=1, help="sequences per GPU per forward pass (default 1)")
    parser.add_argument("--recompute", default="none", choices=list(RECOMPUTE_MODES),
                        help="activation recomputation (default none)")
    parser.add_argument("--serve-dtype", default="bf16", choices=list(SERVE_DTYPES),
                        help="weight dtype for serving; int8/int4 are weight-only with a bf16 KV cache (default bf16)")
    parser.add_argument("--serve-batch", type=int, default=1, help="sequences served together (default 1)")
    parser.add_argument("--context", type=int, default=None, help="serving context in tokens (default: max_seq_len)")
    parser.add_argument("--hardware", default=None, metavar="FILE",
                        help="JSON file of extra accelerators, merged into the built-in table")
    parser.add_argument("--json", action="store_true", help="print the full estimate as JSON")


def _bytes(n: float) -> str:
    return f"{n / 1e9:,.2f} GB" if n >= 1e8 else f"{n / 1e6:,.2f} MB"


def _counted(count: str, unit: str) -> str:
    """Join a formatted count and its unit, plural unless the count reads "1"."""
    return f"{count} {unit}" if count == "1" else f"{count} {unit}s"


def _rate(n: float | None) -> str:
    return "unknown" if n is None else f"{n:,.0f}"


def format_report(report: dict) -> str:
    t, c, s = report["training"], report["compute"], report["serving"]
    m = t["memory_per_gpu"]
    smallest = t["smallest_gpu_count"]
    sequence = _counted(str(t["seq_len"]), "token")
    tokens = _counted(format(c["tokens"], ".3g"), "token")
    gpu_hours = _counted(format(c["gpu_hours"], ",.0f"), "GPU-hour")
    gpus = _counted(str(t["gpus"]), "GPU")
    lines = [
        f"{report['recipe']}: {report['parameters']:,} parameters; GPU {report['gpu']['name']} "
        f"({_bytes(report['gpu']['memory_bytes'])})",
        "",
        f"training memory per GPU ({t['optimizer']}: {t['convention']}; ZeRO {t['zero']}, TP {t['tp']}, "
        f"DP {t['data_parallel']}, micro-batch {t['micro_batch']} x {sequence}, recompute {t['recompute']})",
    ]
    for key in ("weights", "gradients", "optimizer states", "activations"):
        lines.append(f"  {key:<18} {_bytes(m[key]):>14}")
    lines.append(f"  {'total':<18} {_bytes(m['total']):>14}  {'fits' if t['fits'] else 'does not fit'}")
    lines.append("  smallest GPU count that fits: "
                 + (f"{smallest}" if smallest is not None else "none (the unsharded part alone exceeds one GPU)"))
    lines += [
        "",
        f"compute: {tokens} ({c['tokens_rule']}), {c['flops_per_token']:.4g} FLOPs/token "
        f"(6N + 12·L·H·Q·T), {c['flops']:.4g} FLOPs",
        f"  at MFU {c['mfu']:.0%} of {c['peak_flops_per_gpu'] / 1e12:,.1f} TFLOP/s: {gpu_hours}, "
        f"{c['days']:,.1f} days on {gpus}"
        + ("" if c["cost"] is None else f", cost {c['cost']:,.0f} in the currency of the price per GPU-hour "
                                         f"({c['price_per_gpu_hour']:g})"),
        "",
        f"serving at {s['dtype']} (KV cache {s['kv_dtype']}), batch {s['batch']} x {s['context']} context: "
        f"weights {_bytes(s['weights_bytes'])} + KV cache {_bytes(s['kv_cache_bytes'])} = {_bytes(s['total_bytes'])}; "
        f"largest batch on this GPU: {s['largest_batch']}",
        "",
        "roofline upper bounds, tokens/s per GPU (prefill / decode):",
    ]
    for row in s["roofline"]:
        lines.append(f"  {row['gpu']:<10} {_rate(row['prefill_tokens_per_s']):>14} / {_rate(row['decode_tokens_per_s']):>10}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    config = load_spec(args.spec)
    table = load_hardware(args.hardware)
    gpu = get_accelerator(table, args.gpu)
    training = TrainingSetup(optimizer=args.optimizer, gpus=args.gpus, tp=args.tp, zero=args.zero,
                             micro_batch=args.micro_batch, seq_len=args.seq_len, recompute=args.recompute)
    serving = ServingSetup(dtype=args.serve_dtype, batch=args.serve_batch, context=args.context)
    # Checked here as well as in cost_report so that the message names the command-line option.
    if args.seq_len is not None:
        check_seq_len(config, args.seq_len, "--seq-len")
    if args.context is not None:
        check_seq_len(config, args.context, "--context")
    seq_len, context = args.seq_len or config.max_seq_len, args.context or config.max_seq_len
    check_activation_elements(config, args.micro_batch, seq_len, "--micro-batch", "--seq-len")
    check_activation_elements(config, args.serve_batch, context, "--serve-batch", "--context")
    report = cost_report(config, gpu, training, serving, table, args.tokens, args.mfu, args.price)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
