"""Peak activation memory of a prefill, measured.

A TorchDispatchMode records every tensor the forward allocates and frees (the information
torch.profiler's memory records hold) and keeps the running peak of live bytes. The forward runs
on FakeTensors of the CPU device: shapes, dtypes and the CPU's choice of SDPA kernel are real,
but no memory is allocated, so it works at any model size. A test checks the result against the
profiler's peak on a real CPU model. Materialised ALiBi/T5 bias tensors count like any other. On CUDA the caching allocator's
peak is used instead. Weights, the input ids and the KV cache exist before the measurement and
are not counted; the logits are.
"""

from __future__ import annotations

import weakref
from functools import lru_cache

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from model import DecoderConfig

TRACKER_METHOD = ("peak of live tensor bytes allocated during a no_grad prefill, recorded op by op with a "
                  "TorchDispatchMode on CPU FakeTensors (CPU kernel choices, no memory allocated); "
                  "excludes allocator rounding")
CUDA_METHOD = "torch.cuda.max_memory_allocated during a no_grad prefill, minus the memory allocated before it"


class LiveBytes(TorchDispatchMode):
    """Track bytes of live tensors created under this mode and their running peak.

    An op output that aliases an input (a view, an in-place op) shares storage and is skipped.
    A new tensor is counted until its TensorImpl dies; views keep their base alive, so a storage
    is released only when nothing refers to it.
    """

    def __init__(self):
        super().__init__()
        self.live = 0
        self.peak = 0

    def _release(self, nbytes: int) -> None:
        self.live -= nbytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        returns = func._schema.returns
        outputs, _ = tree_flatten(out)
        for i, tensor in enumerate(outputs):
            aliased = i < len(returns) and returns[i].alias_info is not None
            if not isinstance(tensor, torch.Tensor) or aliased:
                continue
            nbytes = tensor.untyped_storage().nbytes()
            self.live += nbytes
            self.peak = max(self.peak, self.live)
            weakref.finalize(tensor, self._release, nbytes)
        return out


def tracked_peak(model: torch.nn.Module, ids: torch.Tensor) -> int:
    """Return the peak live bytes of ``model(ids)`` under no_grad, recorded with LiveBytes."""
    with torch.no_grad():
        tracker = LiveBytes()
        with tracker:
            logits = model(ids)
        del logits
    return tracker.peak


@lru_cache(maxsize=64)
def _fake_cpu_peak(config_json: str, batch: int, seq_len: int, dtype: str) -> int:
    from torch._subclasses.fake_tensor import FakeTensorMode

    from model.decoder import Decoder

    config = DecoderConfig.from_json(config_json)
    # FakeTensor parameters cannot be converted with .to() (they carry weak references), so
    # they are created in the workload's dtype instead.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, dtype))
    try:
        with FakeTensorMode():
            model = Decoder(config).eval()
            return tracked_peak(model, torch.zeros(batch, seq_len, dtype=torch.long))
    finally:
        torch.set_default_dtype(previous)


# Deeper models are measured at 2 layers: under no_grad each block's temporaries are freed before
# the next block runs, so the peak does not depend on depth (a test checks that 1, 2 and 4 layers give the same peak).
FULL_MODEL_MAX_LAYERS = 12


def prefill_peak_bytes(config: DecoderConfig, batch: int, seq_len: int, dtype: str) -> tuple[int, str]:
    """Return the measured activation peak of a prefill of batch × seq_len tokens, and the method."""
    if config.n_layer <= FULL_MODEL_MAX_LAYERS:
        return _fake_cpu_peak(config.to_json(), batch, seq_len, dtype), TRACKER_METHOD
    reduced = config.replace(n_layer=2)
    method = TRACKER_METHOD + f"; measured on 2 of the {config.n_layer} layers, since the peak does not grow with depth"
    return _fake_cpu_peak(reduced.to_json(), batch, seq_len, dtype), method


def cuda_peak_bytes(model: torch.nn.Module, ids: torch.Tensor) -> int:
    """Return the CUDA allocator's peak during ``model(ids)`` above what was allocated before (see CUDA_METHOD)."""
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        logits = model(ids)
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - before
    del logits
    return peak


def profiler_peak_bytes(model: torch.nn.Module, ids: torch.Tensor) -> int:
    """Return the peak of the CPU allocations torch.profiler records during ``model(ids)`` (no_grad).

    This runs the real model, so it is used to check the dispatch-mode tracker on small models.
    """
    from torch.profiler import ProfilerActivity, profile

    with torch.no_grad(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        logits = model(ids)
        del logits
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    live = peak = 0
    for event in sorted(events, key=lambda e: e.start_ns()):
        live += event.nbytes()
        peak = max(peak, live)
    return peak
