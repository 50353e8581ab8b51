"""Training memory per GPU: weights + gradients + optimizer states + activations, with sharding.

Data parallelism replicates the model on ``gpus / tp`` ranks. ZeRO stage 1 shards the optimizer
states (fp32 master copy and moments) across them, stage 2 also the gradients, and stage 3 also
the weights. PyTorch FSDP's FULL_SHARD is stage 3 and SHARD_GRAD_OP is stage 2. Tensor parallelism
of degree ``tp`` splits every matrix across ``tp`` GPUs; norm weights stay whole on each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from model import DecoderConfig
from model.schema import check_positive_int

from .activations import BACKENDS, RECOMPUTE_MODES, ActivationEstimate, activation_memory
from .optimizers import get_optimizer
from .params import parameter_counts

ZERO_STAGES = (0, 1, 2, 3)


@dataclass(frozen=True)
class TrainingSetup:
    """Training settings: optimizer, parallelism, micro-batch and recomputation."""

    optimizer: str = "adamw-mixed"
    gpus: int = 1
    tp: int = 1
    zero: int = 0
    micro_batch: int = 1
    seq_len: int | None = None  # None means the recipe's max_seq_len
    recompute: str = "none"
    activations: bool = True
    backend: str = "cuda"

    def __post_init__(self) -> None:
        get_optimizer(self.optimizer)
        for name in ("gpus", "tp", "micro_batch"):
            check_positive_int(name, getattr(self, name))
        if self.seq_len is not None:
            check_positive_int("seq_len", self.seq_len)
        if self.gpus % self.tp:
            raise ValueError(f"invalid gpus={self.gpus}: must be a multiple of tp={self.tp} (data parallel = gpus / tp)")
        if self.zero not in ZERO_STAGES:
            raise ValueError(f"invalid zero={self.zero!r}: expected one of 0, 1, 2, 3")
        if self.recompute not in RECOMPUTE_MODES:
            raise ValueError(f"invalid recompute={self.recompute!r}: expected one of {', '.join(RECOMPUTE_MODES)}")
        if self.backend not in BACKENDS:
            raise ValueError(f"invalid backend={self.backend!r}: expected one of {', '.join(BACKENDS)}")

    @property
    def data_parallel(self) -> int:
        return self.gpus // self.tp


@dataclass(frozen=True)
class TrainingMemory:
    """Bytes on one GPU by kind; ``sharded`` is the part ZeRO divides by the data-parallel size."""

    weights: float
    gradients: float
    optimizer_states: float
    activations: float
    activation_detail: ActivationEstimate | None
    setup: TrainingSetup
    replicated: float = field(repr=False, default=0.0)
    sharded_total: float = field(repr=False, default=0.0)

    @property
    def total(self) -> float:
        return self.weights + self.gradients + self.optimizer_states + self.activations

    def breakdown(self) -> dict[str, float]:
        return {"weights": self.weights, "gradients": self.gradients,
                "optimizer states": self.optimizer_states, "activations": self.activations}


def check_tensor_parallel(config: DecoderConfig, tp: int) -> None:
    if config.n_head % tp:
        raise ValueError(f"invalid tp={tp}: must divide n_head={config.n_head} so each GPU computes whole heads")


def training_memory(config: DecoderConfig, setup: TrainingSetup) -> TrainingMemory:
    """Estimate the memory on one GPU at the peak of a training step (temporary buffers left out)."""
    check_tensor_parallel(config, setup.tp)
    optimizer = get_optimizer(setup.optimizer)
    counts = parameter_counts(config)
    params_per_gpu = (counts.total - counts.norm) / setup.tp + counts.norm
    dp = setup.data_parallel

    kinds = {
        "weights": (optimizer.weight_bytes, setup.zero >= 3),
        "gradients": (optimizer.gradient_bytes, setup.zero >= 2),
        "optimizer states": (optimizer.optimizer_bytes, setup.zero >= 1),
    }
    per_gpu, replicated, sharded = {}, 0.0, 0.0
    for kind, (bytes_per_param, is_sharded) in kinds.items():
        full = params_per_gpu * bytes_per_param
        per_gpu[kind] = full / dp if is_sharded else full
        if is_sharded:
            sharded += full
        else:
            replicated += full

    detail = None
    activations = 0.0
    if setup.activations:
        seq_len = setup.seq_len or config.max_seq_len
        detail = activation_memory(config, setup.micro_batch, seq_len, optimizer.activation_bytes,
                                   setup.recompute, setup.tp, BACKENDS[setup.backend])
        activations = detail.total
    return TrainingMemory(per_gpu["weights"], per_gpu["gradients"], per_gpu["optimizer states"],
                          activations, detail, setup, replicated + activations, sharded)


def smallest_gpu_count(config: DecoderConfig, setup: TrainingSetup, gpu_memory_bytes: float) -> int | None:
    """Return the fewest GPUs (a multiple of tp) on which the setup fits, or None if no count does.

    Only the ZeRO-sharded part shrinks as GPUs are added. With ZeRO stage 0 the result is tp or
    None, and when the replicated part alone exceeds a GPU no count fits.
    """
    memory = training_memory(config, setup)
    room = gpu_memory_bytes - memory.replicated
    if room <= 0:
        return None
    if memory.sharded_total == 0:
        return setup.tp
    dp = max(1, math.ceil(memory.sharded_total / room))
    return dp * setup.tp
