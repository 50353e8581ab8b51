"""Measure the peak of the machine at hand: matmul FLOP/s and memory-copy bandwidth.

Measured latencies are compared with these roofs, so they are measured, not taken from a
datasheet. A square matrix multiply (2 n^3 FLOPs) gives compute. A copy of a large buffer gives
bandwidth, counting 2 x its size of traffic because every byte is read and written. Both are
timed with ``torch.utils.benchmark``, which synchronises CUDA and reports the median.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
from torch.utils import benchmark

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass(frozen=True)
class MachinePeak:
    """Measured peaks of one device at one dtype, with how they were measured."""

    device: str
    dtype: str
    threads: int
    matmul_flops: float  # FLOP/s of an n x n matmul
    copy_bandwidth: float  # bytes/s read plus written by a buffer copy
    matmul_size: int
    copy_bytes: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _median_seconds(statement: str, globals_: dict, min_run_time: float) -> float:
    timer = benchmark.Timer(stmt=statement, globals=globals_)
    return timer.blocked_autorange(min_run_time=min_run_time).median


@lru_cache(maxsize=8)
def measure_peak(device: str = "cpu", dtype: str = "float32", matmul_size: int | None = None,
                 copy_megabytes: int | None = None, min_run_time: float = 0.5) -> MachinePeak:
    """Measure matmul FLOP/s and copy bandwidth on ``device`` (cached per process).

    Defaults: a 2048 x 2048 matmul and a 256 MB copy on CPU; 8192 and 1024 MB on CUDA, large
    enough to leave the caches and reach the sustained rates.
    """
    if dtype not in DTYPES:
        raise ValueError(f"invalid dtype={dtype!r}: expected one of {', '.join(DTYPES)}")
    torch_device = torch.device(device)
    if torch_device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("invalid device='cuda': no CUDA device is available here")
    if torch_device.type not in ("cpu", "cuda"):
        raise ValueError(f"invalid device={device!r}: expected cpu or cuda")
    on_cuda = torch_device.type == "cuda"
    n = matmul_size or (8192 if on_cuda else 2048)
    copy_bytes = (copy_megabytes or (1024 if on_cuda else 256)) * 2**20

    a = torch.randn(n, n, device=torch_device).to(DTYPES[dtype])
    b = torch.randn(n, n, device=torch_device).to(DTYPES[dtype])
    matmul_seconds = _median_seconds("torch.mm(a, b)", {"torch": torch, "a": a, "b": b}, min_run_time)
    del a, b

    source = torch.empty(copy_bytes, dtype=torch.uint8, device=torch_device)
    target = torch.empty_like(source)
    copy_seconds = _median_seconds("target.copy_(source)", {"source": source, "target": target}, min_run_time)

    return MachinePeak(device=str(torch_device), dtype=dtype, threads=torch.get_num_threads(),
                       matmul_flops=2 * n**3 / matmul_seconds, copy_bandwidth=2 * copy_bytes / copy_seconds,
                       matmul_size=n, copy_bytes=copy_bytes)
