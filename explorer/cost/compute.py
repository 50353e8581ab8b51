"""Training compute: FLOPs, GPU-hours, days and cost.

FLOPs per token follow PaLM (Chowdhery et al., 2022, appendix B). The forward and backward
matrix multiplies of N parameters cost 6 · N. Attention scores and weighted sums over the full
T x T square add 12 · layers · heads · head_dim · seq_len. N is the total parameter count
(embeddings included), as the Chinchilla rule of 20 training tokens per parameter uses it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from model import DecoderConfig

from .params import parameter_counts

CHINCHILLA_TOKENS_PER_PARAMETER = 20
DEFAULT_MFU = 0.4


@dataclass(frozen=True)
class TrainingCompute:
    """FLOPs of a training run and what they take on ``gpus`` GPUs at a model FLOPs utilisation."""

    parameters: int
    tokens: float
    tokens_from_chinchilla: bool
    seq_len: int
    flops_per_token: float
    flops: float
    peak_flops_per_gpu: float
    mfu: float
    gpus: int
    price_per_gpu_hour: float | None

    @property
    def gpu_hours(self) -> float:
        return self.flops / (self.peak_flops_per_gpu * self.mfu) / 3600

    @property
    def days(self) -> float:
        return self.gpu_hours / self.gpus / 24

    @property
    def cost(self) -> float | None:
        return None if self.price_per_gpu_hour is None else self.gpu_hours * self.price_per_gpu_hour


def flops_per_token(config: DecoderConfig, seq_len: int) -> float:
    """Return PaLM's training FLOPs per token: 6 N + 12 · layers · heads · head_dim · seq_len."""
    n = parameter_counts(config).total
    attention = 12 * config.n_layer * config.n_head * config.resolved_head_dim * seq_len
    return 6 * n + attention


def training_compute(config: DecoderConfig, peak_flops_per_gpu: float, gpus: int, tokens: float | None = None,
                     seq_len: int | None = None, mfu: float = DEFAULT_MFU,
                     price_per_gpu_hour: float | None = None) -> TrainingCompute:
    """Return the compute of training on ``tokens`` tokens (Chinchilla's 20 per parameter when None)."""
    if not (isinstance(mfu, (int, float)) and 0 < mfu <= 1):
        raise ValueError(f"invalid mfu={mfu!r}: expected a fraction of peak in (0, 1], e.g. 0.4")
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
        raise ValueError(f"invalid gpus={gpus!r}: expected an integer >= 1")
    if tokens is not None and not (math.isfinite(tokens) and tokens > 0):
        raise ValueError(f"invalid tokens={tokens!r}: expected a positive number of training tokens, e.g. 2e12")
    if price_per_gpu_hour is not None and not (math.isfinite(price_per_gpu_hour) and price_per_gpu_hour >= 0):
        raise ValueError(f"invalid price={price_per_gpu_hour!r}: expected a price per GPU-hour >= 0")
    if not peak_flops_per_gpu or peak_flops_per_gpu <= 0:
        raise ValueError("the chosen GPU has no 16-bit FLOP/s figure, so training time cannot be estimated")

    n = parameter_counts(config).total
    seq_len = seq_len or config.max_seq_len
    from_chinchilla = tokens is None
    tokens = CHINCHILLA_TOKENS_PER_PARAMETER * n if tokens is None else tokens
    per_token = flops_per_token(config, seq_len)
    return TrainingCompute(n, tokens, from_chinchilla, seq_len, per_token, per_token * tokens,
                           peak_flops_per_gpu, mfu, gpus, price_per_gpu_hour)
