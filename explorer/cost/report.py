"""One recipe's training and serving cost, gathered into a plain dict for the CLI, app and JSON."""

from __future__ import annotations

from dataclasses import dataclass

from model import DecoderConfig
from model.schema import check_positive_int

from ..hardware import Accelerator
from ..measure import check_activation_elements, check_seq_len
from .compute import DEFAULT_MFU, training_compute
from .optimizers import get_optimizer
from .serving import (decode_point, kv_cache_bytes, kv_dtype, largest_batch, prefill_point, weights_bytes)
from .training import TrainingSetup, smallest_gpu_count, training_memory


@dataclass(frozen=True)
class ServingSetup:
    """Serving settings: weight dtype, sequences per batch and their context length."""

    dtype: str = "bf16"
    batch: int = 1
    context: int | None = None  # None means the recipe's max_seq_len

    def __post_init__(self) -> None:
        kv_dtype(self.dtype)
        for name in ("batch", "context"):
            if getattr(self, name) is not None:
                check_positive_int(name, getattr(self, name))


def roofline_rows(config: DecoderConfig, serving: ServingSetup, table: dict[str, Accelerator]) -> list[dict]:
    """Return prefill and decode upper bounds on tokens/s for each accelerator in ``table``."""
    context = serving.context or config.max_seq_len
    rows = []
    for gpu in table.values():
        peak = gpu.dense_16bit_flops
        row = {"gpu": gpu.key, "name": gpu.name, "peak_flops": peak, "bandwidth": gpu.bandwidth}
        if peak is None:
            # NOTE: without a 16-bit peak no bound can be computed; shown as unknown, not zero.
            row.update(prefill_tokens_per_s=None, decode_tokens_per_s=None, prefill_bound=None, decode_bound=None)
        else:
            prefill = prefill_point(config, serving.batch, context, serving.dtype, gpu.key, peak, gpu.bandwidth)
            decode = decode_point(config, serving.batch, context, serving.dtype, gpu.key, peak, gpu.bandwidth)
            row.update(prefill_tokens_per_s=prefill.tokens_per_second, prefill_bound=prefill.bound,
                       prefill_intensity=prefill.intensity,
                       decode_tokens_per_s=decode.tokens_per_second, decode_bound=decode.bound,
                       decode_intensity=decode.intensity)
        rows.append(row)
    return rows


def cost_report(config: DecoderConfig, gpu: Accelerator, training: TrainingSetup, serving: ServingSetup,
                table: dict[str, Accelerator], tokens: float | None = None, mfu: float = DEFAULT_MFU,
                price_per_gpu_hour: float | None = None) -> dict:
    """Return training memory, sharding, compute, serving memory and roofline bounds of one recipe."""
    optimizer = get_optimizer(training.optimizer)
    seq_len = training.seq_len or config.max_seq_len
    check_seq_len(config, seq_len)
    context = serving.context or config.max_seq_len
    check_seq_len(config, context, "context")
    check_activation_elements(config, training.micro_batch, seq_len, "micro_batch", "seq_len")
    check_activation_elements(config, serving.batch, context, "batch", "context")
    memory = training_memory(config, training)
    activation_parts = {}
    if memory.activation_detail is not None:
        detail = memory.activation_detail
        activation_parts = {"layers (stored, all)": detail.n_layer * detail.stored_per_layer,
                            **detail.outside, "recompute buffer (one layer)": detail.recompute_buffer}
    compute = training_compute(config, gpu.dense_16bit_flops, training.gpus, tokens, seq_len, mfu, price_per_gpu_hour)

    weights = weights_bytes(config, serving.dtype)
    kv = kv_cache_bytes(config, context, serving.batch, serving.dtype)
    return {
        "recipe": config.name,
        "parameters": compute.parameters,
        "gpu": {"key": gpu.key, "name": gpu.name, "memory_bytes": gpu.memory_bytes, "source": gpu.source},
        "training": {
            "optimizer": optimizer.name,
            "bytes_per_parameter": optimizer.bytes_per_parameter,
            "convention": optimizer.description,
            "gpus": training.gpus, "tp": training.tp, "zero": training.zero,
            "data_parallel": training.data_parallel, "micro_batch": training.micro_batch,
            "seq_len": seq_len, "recompute": training.recompute,
            "memory_per_gpu": {**memory.breakdown(), "total": memory.total},
            "activations_by_part": activation_parts,
            "fits": memory.total <= gpu.memory_bytes,
            "smallest_gpu_count": smallest_gpu_count(config, training, gpu.memory_bytes),
        },
        "compute": {
            "tokens": compute.tokens,
            "tokens_rule": "chinchilla (20 per parameter)" if compute.tokens_from_chinchilla else "given",
            "flops_per_token": compute.flops_per_token, "flops": compute.flops,
            "peak_flops_per_gpu": compute.peak_flops_per_gpu, "mfu": compute.mfu,
            "gpu_hours": compute.gpu_hours, "days": compute.days,
            "price_per_gpu_hour": compute.price_per_gpu_hour, "cost": compute.cost,
        },
        "serving": {
            "dtype": serving.dtype, "kv_dtype": kv_dtype(serving.dtype), "batch": serving.batch, "context": context,
            "weights_bytes": weights, "kv_cache_bytes": kv, "total_bytes": weights + kv,
            "fits": weights + kv <= gpu.memory_bytes,
            "largest_batch": largest_batch(config, gpu.memory_bytes, context, serving.dtype),
            "roofline": roofline_rows(config, serving, table),
        },
    }
