"""Optimizer presets: the bytes each parameter costs in training, by kind of state.

Every preset states its convention per parameter: the weights the forward pass reads, the
gradients, an fp32 master copy (mixed precision keeps one so small updates are not lost in
bf16) and the optimizer's own states. Temporary buffers (gradient buckets, ZeRO-3 all-gather
buffers, allocator fragmentation) are not part of any preset.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OptimizerPreset:
    """Bytes per parameter of each training state, and the dtype the activations use."""

    name: str
    description: str
    weight_bytes: float
    gradient_bytes: float
    master_bytes: float
    state_bytes: float
    activation_bytes: int  # bytes of one activation element: 2 for bf16 training, 4 for fp32

    @property
    def bytes_per_parameter(self) -> float:
        return self.weight_bytes + self.gradient_bytes + self.master_bytes + self.state_bytes

    @property
    def optimizer_bytes(self) -> float:
        """Bytes per parameter that ZeRO stage 1 shards: the master copy and the states."""
        return self.master_bytes + self.state_bytes


OPTIMIZERS: dict[str, OptimizerPreset] = {
    preset.name: preset
    for preset in (
        OptimizerPreset("adamw-fp32", "AdamW in float32: 4 weights + 4 gradients + 8 (two moments) = 16 B/param",
                        4, 4, 0, 8, 4),
        OptimizerPreset("adamw-mixed", "AdamW, mixed precision: 2 bf16 weights + 2 bf16 gradients + 4 fp32 master "
                        "+ 8 fp32 moments = 16 B/param", 2, 2, 4, 8, 2),
        OptimizerPreset("adamw-mixed-fp32-grads", "AdamW, mixed precision with fp32 gradients: 2 + 4 + 4 master "
                        "+ 8 moments = 18 B/param", 2, 4, 4, 8, 2),
        # 8-bit Adam stores each moment in 1 byte plus one fp32 scale per block of values. The
        # scales add well under 0.1 B/param and are left out.
        OptimizerPreset("adam-8bit", "8-bit Adam, mixed precision: 2 bf16 weights + 2 bf16 gradients + 4 fp32 master "
                        "+ 2 (two 1-byte moments) = 10 B/param", 2, 2, 4, 2, 2),
        OptimizerPreset("sgd-momentum", "SGD with momentum in float32: 4 weights + 4 gradients + 4 momentum "
                        "= 12 B/param", 4, 4, 0, 4, 4),
    )
}


def get_optimizer(name: str) -> OptimizerPreset:
    if name not in OPTIMIZERS:
        raise ValueError(f"invalid optimizer={name!r}: expected one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name]
