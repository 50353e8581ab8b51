"""Time our decoder against the transformers model of the same config and weights, on the CPU.

For each preset: one forward pass over batch 1 x SEQ_LEN tokens (logits at every position), and
one cached decode step of a single token after a SEQ_LEN-token prefill. Our model and the HF
model run alternately in the same process, so load from other processes on the machine slows
both alike. The reported ratio is the median over runs of ours / theirs, each pair timed back to
back (below 1 is faster), with the medians of both models beside it.

    .venv/bin/python bench/bench_model.py [--presets gpt2-small llama-style-124m] [--rounds 15]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import torch
import transformers
from torch.utils.benchmark import Measurement
from torch.utils.benchmark.utils.common import TaskSpec
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.hf_weights import load_hf_weights  # noqa: E402
from model import DecoderConfig, build_model  # noqa: E402


def hf_model_for(config: DecoderConfig) -> torch.nn.Module:
    """Build the transformers model with the sizes of ``config`` (GPT-2 or Llama recipes only)."""
    common = {"vocab_size": config.vocab_size, "bos_token_id": None, "eos_token_id": None}
    if config.position["kind"] == "learned":
        hf_config = GPT2Config(n_positions=config.max_seq_len, n_embd=config.d_model, n_layer=config.n_layer,
                               n_head=config.n_head, layer_norm_epsilon=config.norm["eps"],
                               resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, **common)
        model_class = GPT2LMHeadModel
    elif config.position["kind"] == "rope":
        hf_config = LlamaConfig(max_position_embeddings=config.max_seq_len, hidden_size=config.d_model,
                                intermediate_size=config.resolved_d_ff, num_hidden_layers=config.n_layer,
                                num_attention_heads=config.n_head, num_key_value_heads=config.n_kv_head,
                                rms_norm_eps=config.norm["eps"], rope_theta=config.position["theta"],
                                tie_word_embeddings=config.tie_embeddings, **common)
        model_class = LlamaForCausalLM
    else:
        raise ValueError(f"invalid position.kind={config.position['kind']!r}: the benchmark supports GPT-2 "
                         "(learned) and Llama (rope) recipes only")
    hf_config._attn_implementation = "sdpa"
    return model_class(hf_config).eval()


def time_alternately(stmts: dict[str, Callable[[], object]], rounds: int, number: int) -> dict[str, Measurement]:
    """Time each statement ``number`` times a round, switching statements every round.

    The order within a round flips every round (ABBA), so a load change on the machine does not
    always hit the same statement first. Timer.timeit would add two untimed warm-up calls to
    every round, which triples the cost of a 1-second forward pass. So the loop is timed here,
    and torch.utils.benchmark's Measurement supplies the median and interquartile range.
    """
    for stmt in stmts.values():
        stmt()  # one warm-up call each
    raw_times: dict[str, list[float]] = {name: [] for name in stmts}
    names = list(stmts)
    for round_index in range(rounds):
        for name in names if round_index % 2 == 0 else reversed(names):
            begin = time.perf_counter()
            for _ in range(number):
                stmts[name]()
            raw_times[name].append(time.perf_counter() - begin)
    return {name: Measurement(number, times, TaskSpec(name, "", num_threads=torch.get_num_threads()))
            for name, times in raw_times.items()}


def paired_ratio(ours: Measurement, theirs: Measurement) -> float:
    """Return the median over rounds of ours / theirs, each pair timed back to back."""
    return statistics.median(a / b for a, b in zip(ours.raw_times, theirs.raw_times))


def bench_preset(name: str, seq_len: int, rounds: int, decode_number: int) -> dict[str, float]:
    torch.manual_seed(0)
    config = DecoderConfig.from_preset(name)
    hf_model = hf_model_for(config)
    ours = build_model(config).eval()
    load_hf_weights(ours, hf_model)

    ids = torch.randint(0, config.vocab_size, (1, seq_len))
    next_id = torch.randint(0, config.vocab_size, (1, 1))
    with torch.inference_mode():
        max_diff = (ours(ids) - hf_model(ids).logits).abs().max().item()

        # Prefill once; each timed step appends one token and is then rolled back to seq_len.
        cache = ours.new_cache(1, seq_len + 1)
        ours(ids, cache=cache)
        hf_cache = hf_model(ids, use_cache=True).cache

    @torch.inference_mode()
    def our_forward():
        return ours(ids)

    @torch.inference_mode()
    def hf_forward():
        return hf_model(ids, use_cache=False).logits

    @torch.inference_mode()
    def our_step():
        cache.length = seq_len
        return ours(next_id, cache=cache)

    @torch.inference_mode()
    def hf_step():
        logits = hf_model(next_id, cache=hf_cache, use_cache=True).logits
        hf_cache.crop(-1)  # drop the token just appended
        return logits

    forward = time_alternately({"ours": our_forward, "hf": hf_forward}, rounds, number=1)
    decode = time_alternately({"ours": our_step, "hf": hf_step}, rounds, number=decode_number)

    return {
        "max_abs_logit_diff": max_diff,
        "forward_ours_ms": forward["ours"].median * 1e3,
        "forward_hf_ms": forward["hf"].median * 1e3,
        "forward_ratio": paired_ratio(forward["ours"], forward["hf"]),
        "forward_spread": max(forward["ours"].iqr / forward["ours"].median, forward["hf"].iqr / forward["hf"].median),
        "decode_ours_ms": decode["ours"].median * 1e3,
        "decode_hf_ms": decode["hf"].median * 1e3,
        "decode_ratio": paired_ratio(decode["ours"], decode["hf"]),
        "decode_spread": max(decode["ours"].iqr / decode["ours"].median, decode["hf"].iqr / decode["hf"].median),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["gpt2-small", "llama-style-124m"])
    parser.add_argument("--seq-len", type=int, default=512, help="prompt length in tokens (batch is 1)")
    parser.add_argument("--rounds", type=int, default=15, help="timed runs of each model, alternating")
    parser.add_argument("--decode-number", type=int, default=5, help="decode steps per timed run")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="intra-op CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; torch {torch.__version__}, "
          f"transformers {transformers.__version__}, Python {platform.python_version()}")
    print(f"# CPU: {platform.processor() or platform.machine()}, {args.threads} threads; float32, batch 1, "
          f"{args.seq_len} tokens; {args.rounds} runs of each model (decode: {args.decode_number} steps a run)")
    print("# ratio: median over runs of ours / HF timed back to back; IQR/median: the larger of the two models")
    print("| preset | forward ours (ms) | forward HF (ms) | forward ratio | decode ours (ms/token) | "
          "decode HF (ms/token) | decode ratio | max abs logit diff |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.presets:
        r = bench_preset(name, args.seq_len, args.rounds, args.decode_number)
        print(f"| {name} | {r['forward_ours_ms']:.0f} | {r['forward_hf_ms']:.0f} | "
              f"{r['forward_ratio']:.2f} (IQR/median {r['forward_spread']:.0%}) | {r['decode_ours_ms']:.1f} | "
              f"{r['decode_hf_ms']:.1f} | {r['decode_ratio']:.2f} (IQR/median {r['decode_spread']:.0%}) | "
              f"{r['max_abs_logit_diff']:.1e} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
