"""Memory of a recipe: weights at each storage dtype, the KV cache by formula and from real cache tensors.

Activation peaks are measured in explorer.activations.
"""

from __future__ import annotations

import math
from functools import lru_cache

from model import DecoderConfig

# Bytes per parameter or cached value. int8 and int4 are weight-only quantized storage; the
# figures leave out the per-group scales that real int4/int8 formats add.
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "int8": 1, "int4": 0.5}
COMPUTE_DTYPES = ("float32", "bfloat16", "float16")


def dtype_bytes(dtype: str) -> float:
    if dtype not in DTYPE_BYTES:
        raise ValueError(f"invalid dtype={dtype!r}: expected one of {', '.join(DTYPE_BYTES)}")
    return DTYPE_BYTES[dtype]


def weights_bytes(config_or_count: DecoderConfig | int, dtype: str) -> int:
    """Return the bytes of the unique weights at ``dtype`` (a tied matrix stored once); int4 rounds up."""
    if isinstance(config_or_count, DecoderConfig):
        from .params import count_params

        count = count_params(config_or_count)["total"]
    else:
        count = int(config_or_count)
    return math.ceil(count * dtype_bytes(dtype))


def kv_cache_bytes(config: DecoderConfig, tokens: int, batch: int, dtype: str) -> int:
    """Return 2 · layers · kv_heads · head_dim · tokens · batch · bytes: keys and values of every layer.

    GQA and MQA store only the ``n_kv_head`` shared heads, which is where they save memory, and
    a sliding-window layer stores at most ``sliding_window`` tokens.
    """
    per_value = dtype_bytes(dtype)
    # A sliding-window layer keeps at most its window of tokens.
    cached = sum(tokens if window is None else min(tokens, window) for window in config.layer_windows())
    return math.ceil(2 * cached * config.n_kv_head * config.resolved_head_dim * batch * per_value)


def _cache_after_decoding(config: DecoderConfig, batch: int, seq_len: int, dtype: str) -> int:
    import torch

    from model import build_model

    model = build_model(config, device="meta", dtype=getattr(torch, dtype)).eval()
    cache = model.new_cache(batch, seq_len)
    with torch.no_grad():
        if seq_len > 1:
            model(torch.zeros(batch, seq_len - 1, dtype=torch.long, device="meta"), cache=cache)
        model(torch.zeros(batch, 1, dtype=torch.long, device="meta"), cache=cache)
    return cache.nbytes()


@lru_cache(maxsize=64)
def _measured_cache_bytes(config_json: str, batch: int, seq_len: int, dtype: str) -> tuple[int, str]:
    from .flops import by_layers

    config = DecoderConfig.from_json(config_json)
    nbytes, layers_method = by_layers(config, lambda c: _cache_after_decoding(c, batch, seq_len, dtype))
    return nbytes, f"{MEASURED_CACHE_METHOD}; {layers_method}"


MEASURED_CACHE_METHOD = ("bytes of the KVCache tensors the model allocates and fills in a prefill of seq_len-1 "
                         "tokens plus one decode step, run on the meta device (real shapes and dtypes, "
                         "no values computed)")


def measured_kv_cache_bytes(config: DecoderConfig, batch: int, seq_len: int, dtype: str) -> tuple[int, str]:
    """Return the bytes of the real cache tensors after decoding up to ``seq_len`` tokens, and the method."""
    if dtype not in COMPUTE_DTYPES:
        raise ValueError(f"invalid dtype={dtype!r}: a cache is measured at one of {', '.join(COMPUTE_DTYPES)}")
    return _measured_cache_bytes(config.to_json(), batch, seq_len, dtype)


def available_bytes(device: str) -> int:
    """Return the memory free for new tensors on ``device``: MemAvailable for the CPU, the CUDA free count on GPUs."""
    if device == "cuda":
        import torch

        free, _ = torch.cuda.mem_get_info()
        return int(free)
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    raise OSError("cannot read MemAvailable from /proc/meminfo")


def check_budget(needed: int, device: str, share: float, budget: int | None,
                 parts: str = "weights + activations + KV cache") -> tuple[bool, str]:
    """Return (fits, message) for allocating ``needed`` bytes within a share of free memory or a fixed budget.

    ``parts`` names what ``needed`` adds up, for the message.
    """
    if budget is None:
        available = available_bytes(device)
        budget = int(available * share)
        source = f"{share:.0%} of the {available:,} bytes free on {device}"
        remedy = "choose a smaller workload"
    else:
        source = f"the memory budget set for this run"
        remedy = "raise the budget or choose a smaller workload"
    if needed > budget:
        return False, f"needs about {needed:,} bytes ({parts}) but {source} allows {budget:,} bytes; {remedy}"
    return True, f"needs about {needed:,} bytes of {budget:,} allowed ({source})"
