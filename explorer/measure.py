"""measure(config, workload) -> Report: parameters, FLOPs, memory and (optionally) latency of a recipe.

    from explorer.measure import Workload, measure
    report = measure(config, Workload(batch=1, seq_len=1024, dtype="float32", device="cpu",
                                      attention="full", latency=False))
    report.to_dict()  # JSON-ready; keys as in the CLI's --json output

Everything except latency and the CUDA activation peak is computed on the meta device or on
FakeTensors, so it allocates no weight memory and works for any model size. A number that
cannot be measured is None with a reason beside it, never 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

from model import DecoderConfig
from model.schema import MAX_TENSOR_ELEMENTS, check_positive_int

from . import activations, memory
from .flops import measure_flops
from .params import count_params

DEVICES = ("cpu", "cuda", "meta")
ATTENTION_CONVENTIONS = ("full", "causal")
Progress = Callable[[float, str], None]


def check_seq_len(config: DecoderConfig, seq_len: int, name: str = "seq_len") -> None:
    """Raise ValueError when ``seq_len`` exceeds the recipe's max_seq_len; ``name`` labels the value."""
    if seq_len > config.max_seq_len:
        raise ValueError(f"invalid {name}={seq_len}: exceeds max_seq_len={config.max_seq_len} of recipe "
                         f"'{config.name}'; use a shorter {name} or a recipe with a larger max_seq_len")


def check_activation_elements(config: DecoderConfig, batch: int, seq_len: int, batch_name: str = "batch",
                              seq_len_name: str = "seq_len") -> None:
    """Raise ValueError when a forward pass of ``batch`` x ``seq_len`` tokens needs a tensor torch cannot hold."""
    # The logits, feed-forward and attention-score tensors grow with batch x seq_len. A size that
    # no tensor can hold is rejected here, because torch ends even a meta-device run with an overflow.
    widest = max(config.vocab_size, 2 * config.resolved_d_ff, 3 * config.n_head * config.resolved_head_dim,
                 config.n_head * seq_len)
    elements = batch * seq_len * widest
    if elements > MAX_TENSOR_ELEMENTS:
        raise ValueError(f"invalid {batch_name}={batch}: with {seq_len_name}={seq_len} an activation of recipe "
                         f"'{config.name}' would have {elements} elements, more than the {MAX_TENSOR_ELEMENTS} "
                         f"a tensor can hold; use a smaller {batch_name} or {seq_len_name}")


@dataclass(frozen=True)
class Workload:
    """What to measure: ``batch`` sequences of ``seq_len`` tokens at ``dtype`` on ``device``.

    ``attention`` is the FLOP convention for prefill attention ("full" square or "causal" half).
    ``latency`` times a real model; before allocating it, the memory guard refuses when weights,
    activations and KV cache need more than ``memory_share`` of the free memory, or more than
    ``memory_budget_bytes`` when that is set. ``latency_min_time_s`` is the minimum time spent on
    each of the prefill and decode timings.
    """

    batch: int = 1
    seq_len: int = 1024
    dtype: str = "float32"
    device: str = "cpu"
    attention: str = "full"
    latency: bool = False
    memory_share: float = 0.8
    memory_budget_bytes: int | None = None
    latency_min_time_s: float = 0.5

    def check(self, config: DecoderConfig) -> None:
        """Raise ValueError naming the field when this workload cannot run on ``config``."""
        for name in ("batch", "seq_len"):
            check_positive_int(name, getattr(self, name))
        check_seq_len(config, self.seq_len)
        check_activation_elements(config, self.batch, self.seq_len)
        if self.dtype not in memory.COMPUTE_DTYPES:
            raise ValueError(f"invalid dtype={self.dtype!r}: expected one of {', '.join(memory.COMPUTE_DTYPES)}")
        if self.device not in DEVICES:
            raise ValueError(f"invalid device={self.device!r}: expected one of {', '.join(DEVICES)}")
        if self.attention not in ATTENTION_CONVENTIONS:
            raise ValueError(f"invalid attention={self.attention!r}: expected one of {', '.join(ATTENTION_CONVENTIONS)}")
        if not 0 < self.memory_share <= 1:
            raise ValueError(f"invalid memory_share={self.memory_share!r}: expected a fraction in (0, 1]")
        if self.device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise ValueError("invalid device='cuda': no CUDA device is available to this PyTorch build")


@dataclass
class Report:
    """The measurements of one recipe under one workload; ``to_dict()`` gives the CLI's JSON."""

    recipe: str
    workload: Workload
    params: dict
    flops: dict
    memory: dict
    latency: dict | None

    def to_dict(self) -> dict:
        return {"recipe": self.recipe, "workload": asdict(self.workload), "params": self.params,
                "flops": self.flops, "memory": self.memory, "latency": self.latency}


def memory_section(config: DecoderConfig, w: Workload) -> dict:
    peak, method = activations.prefill_peak_bytes(config, w.batch, w.seq_len, w.dtype)
    cache_bytes, cache_method = memory.measured_kv_cache_bytes(config, w.batch, w.seq_len, w.dtype)
    return {
        "weights_bytes": memory.weights_bytes(config, w.dtype),
        "weights_dtype": w.dtype,
        "weights_bytes_by_dtype": {dtype: memory.weights_bytes(config, dtype) for dtype in memory.DTYPE_BYTES},
        "kv_cache_bytes": memory.kv_cache_bytes(config, w.seq_len, w.batch, w.dtype),
        "kv_cache_bytes_per_token": memory.kv_cache_bytes(config, 1, 1, w.dtype),
        "kv_cache_measured_bytes": cache_bytes,
        "kv_cache_measured_method": cache_method,
        "activation_peak_bytes": peak,
        "activation_method": method,
    }


def _run_real(config: DecoderConfig, w: Workload, mem: dict, progress: Progress) -> dict | None:
    """Build the real model if the memory guard allows, time it, and take the CUDA activation peak."""
    if w.device == "meta":
        return {"complete": False, "reason": "latency needs a real device; the meta device allocates no weights",
                "device": "meta", "prefill_ms": None, "decode_ms_per_token": None, "tokens_per_second": None}

    needed = mem["weights_bytes"] + mem["activation_peak_bytes"] + mem["kv_cache_bytes"]
    fits, message = memory.check_budget(needed, w.device, w.memory_share, w.memory_budget_bytes)
    if not fits:
        return {"complete": False, "reason": f"memory guard: {message}", "device": w.device,
                "prefill_ms": None, "decode_ms_per_token": None, "tokens_per_second": None}

    import torch

    from model import build_model

    from .latency import measure_latency

    progress(0.1, f"building the model on {w.device}")
    model = build_model(config, device=w.device, dtype=getattr(torch, w.dtype)).eval()
    if w.device == "cuda":
        ids = torch.zeros(w.batch, w.seq_len, dtype=torch.long, device="cuda")
        mem["activation_peak_bytes"] = activations.cuda_peak_bytes(model, ids)
        mem["activation_method"] = activations.CUDA_METHOD
    if not w.latency:
        return None
    timing = measure_latency(model, w.batch, w.seq_len, w.device, w.dtype, w.latency_min_time_s,
                             lambda f, m: progress(0.2 + 0.8 * f, m))
    timing["memory_guard"] = message
    return timing


def measure(config: DecoderConfig, workload: Workload | None = None, progress: Progress | None = None) -> Report:
    """Measure ``config`` under ``workload``; ``progress(fraction, message)`` is called during long work."""
    w = workload or Workload()
    w.check(config)
    report = progress or (lambda fraction, message: None)

    report(0.0, "counting parameters and FLOPs")
    params = count_params(config)
    flops = measure_flops(config, w.batch, w.seq_len, w.attention)
    mem = memory_section(config, w)

    latency = None
    if w.latency or w.device == "cuda":
        latency = _run_real(config, w, mem, report)
    report(1.0, "done")
    return Report(recipe=config.name, workload=w, params=params, flops=dict(flops), memory=mem, latency=latency)
