"""Benchmark `measure`: a Llama-3.1-405B-sized recipe on the meta device, and gpt2-small in process.

Run: .venv/bin/python bench/bench_measure.py
Prints one line per case with wall time and peak RSS; BENCHMARKS.md records the results.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LLAMA_405B = {
    "schema": "decoder-recipe/1", "name": "llama-3.1-405b-sized", "vocab_size": 128256, "max_seq_len": 131072,
    "n_layer": 126, "d_model": 16384, "n_head": 128, "n_kv_head": 8, "d_ff": 53248,
    "position": {"kind": "rope", "theta": 500000.0}, "feed_forward": {"kind": "swiglu"},
    "norm": {"kind": "rmsnorm", "eps": 1e-5}, "tie_embeddings": False,
}


def bench_405b_cli() -> None:
    """Time `python -m explorer measure RECIPE --device meta --json` end to end, imports included."""
    with tempfile.TemporaryDirectory() as tmp:
        recipe = Path(tmp) / "llama-405b.json"
        recipe.write_text(json.dumps(LLAMA_405B))
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "explorer", "measure", str(recipe), "--device", "meta", "--json"],
                                cwd=ROOT, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
    rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux reports KiB
    report = json.loads(result.stdout)
    print(f"405b-sized meta CLI: {wall:.2f} s wall, {rss_mib:.0f} MiB peak RSS, "
          f"params {report['params']['total']:,}, forward {report['flops']['forward']:.4g} FLOP "
          f"({report['flops']['method']})")


def bench_gpt2_in_process() -> None:
    """Time measure() on gpt2-small: a cold first call, a repeated call, and a new workload in a warm process."""
    from explorer.measure import Workload, measure
    from model import DecoderConfig

    config = DecoderConfig.from_preset("gpt2-small")
    for label, workload in (("first call, seq_len 1024", Workload(seq_len=1024)),
                            ("same workload again", Workload(seq_len=1024)),
                            ("new workload, seq_len 512", Workload(seq_len=512)),
                            ("new workload, batch 4 x 256", Workload(batch=4, seq_len=256))):
        start = time.perf_counter()
        measure(config, workload)
        print(f"gpt2-small in process, {label}: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    bench_405b_cli()
    bench_gpt2_in_process()
