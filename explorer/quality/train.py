"""The training loop: AdamW, linear warm-up then cosine decay, gradient clipping, fixed seeds.

One run is fully set by (recipe, settings, seed, corpus). The seed fixes the initial weights and,
through its own generator, the order of training windows, so two recipes trained with one seed
see the same bytes in the same order. Runs execute with a fixed thread count and PyTorch's
deterministic algorithms, so the same run on the same machine and software repeats its losses.
"""

from __future__ import annotations

import math
import platform
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable

import torch
import torch.nn.functional as F

from model import DecoderConfig, build_model
from model.schema import check_positive_int

from .data import Corpus, sample_batch
from .evaluate import extrapolation, mean_loss, validation_spans
from .scale import DEFAULT_D_MODEL, DEFAULT_N_LAYER, EXTRAPOLATION_FACTORS

RESULT_SCHEMA = "quality-result/1"
FLOPS_CONVENTION = ("3 x forward FLOPs per token x training tokens; forward = 2 FLOPs per weight of every "
                    "matrix multiply (head included) + 4 x n_layer x seq_len x n_head x head_dim for "
                    "attention scores and weighted sum over the full square; norms and softmax not counted")


@dataclass(frozen=True)
class TrainSettings:
    """Everything besides the recipe and seed that changes the numbers of a run."""

    steps: int = 300
    seq_len: int = 128
    batch_size: int = 16
    lr: float = 3e-3
    min_lr_ratio: float = 0.1
    warmup_fraction: float = 0.1
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_interval: int = 50
    eval_windows: int = 32
    d_model: int = DEFAULT_D_MODEL
    n_layer: int = DEFAULT_N_LAYER
    threads: int = 1
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in ("steps", "seq_len", "batch_size", "eval_interval", "eval_windows", "d_model", "n_layer", "threads"):
            check_positive_int(name, getattr(self, name))
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"invalid lr={self.lr!r}: expected a number > 0")
        for name in ("min_lr_ratio", "warmup_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"invalid {name}={getattr(self, name)!r}: expected a number in [0, 1]")
        if self.weight_decay < 0 or self.grad_clip <= 0:
            raise ValueError(f"invalid weight_decay={self.weight_decay!r} or grad_clip={self.grad_clip!r}: "
                             "expected weight_decay >= 0 and grad_clip > 0")

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def warmup_steps(self) -> int:
        return max(1, round(self.warmup_fraction * self.steps))


def learning_rate(settings: TrainSettings, step: int) -> float:
    """Return the rate for ``step`` (0-based): linear warm-up, then cosine down to min_lr_ratio x lr."""
    if step < settings.warmup_steps:
        return settings.lr * (step + 1) / settings.warmup_steps
    progress = (step - settings.warmup_steps) / max(1, settings.steps - settings.warmup_steps)
    floor = settings.lr * settings.min_lr_ratio
    return floor + 0.5 * (settings.lr - floor) * (1 + math.cos(math.pi * progress))


def forward_flops_per_token(model: torch.nn.Module, seq_len: int) -> int:
    """Return the forward FLOPs per token of ``model`` at ``seq_len`` under FLOPS_CONVENTION."""
    config = model.config
    matmul_weights = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    attention = 4 * config.n_layer * seq_len * config.n_head * config.resolved_head_dim
    return 2 * matmul_weights + attention


def count_params(model: torch.nn.Module) -> dict:
    total = sum(p.numel() for p in model.parameters())  # parameters() lists a tied matrix once
    embedding = model.embedding.weight.numel()
    table = getattr(model.positions, "table", None)
    position = table.weight.numel() if table is not None and model.config.position["kind"] == "learned" else 0
    untied_head = 0 if model.config.tie_embeddings else model.head.weight.numel()
    return {"total": total, "non_embedding": total - embedding - position - untied_head}


def make_optimizer(model: torch.nn.Module, settings: TrainSettings) -> torch.optim.AdamW:
    # Decay matrices and embeddings; norms' gains and biases stay free.
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": settings.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=settings.lr, betas=(0.9, 0.95), eps=1e-8)


@contextmanager
def reproducible(threads: int):
    """Run with ``threads`` intra-op threads and deterministic kernels, then restore both settings.

    NOTE: both settings are process-wide, so other torch work in the same process (the app timing
    latency while the Quality tab trains) runs with them until the run ends.
    """
    previous_threads = torch.get_num_threads()
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(threads)
    # warn_only: an op without a deterministic kernel (some CUDA backward passes) warns instead of failing.
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(previous_deterministic, warn_only=previous_warn)


def versions(settings: TrainSettings) -> dict:
    info = {"python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform(),
            "machine": platform.machine(), "threads": settings.threads}
    if settings.device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(settings.device))
    return info


# on_step(step, total_steps, train_loss, validation_loss_or_None) is called after every step.
StepCallback = Callable[[int, int, float, "float | None"], None]


def train_run(config: DecoderConfig, settings: TrainSettings, seed: int, corpus: Corpus,
              on_step: StepCallback | None = None, stop: threading.Event | None = None) -> dict:
    """Train ``config`` (already scaled) for ``settings.steps`` steps and return the result record.

    Setting ``stop`` ends the run after the current step; the record then has status "stopped"
    and no extrapolation scores.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"invalid seed={seed!r}: expected an integer >= 0")
    # NOTE: only the CPU path has been run; on CUDA, kernels without a deterministic version warn
    # (warn_only) and repeated runs may differ in the last bits.
    check_training_memory(config, settings)
    device = torch.device(settings.device)
    with reproducible(settings.threads):
        return _train(config, settings, seed, corpus, device, on_step, stop)


def check_training_memory(config: DecoderConfig, settings: TrainSettings) -> None:
    """Raise ValueError when a run would need more than 80% of the free memory on its device.

    The estimate is float32 weights, gradients and AdamW's two moments (16 bytes a parameter)
    plus the training-step activation estimate of ``explorer.cost``.
    """
    from explorer import memory
    from explorer.cost.activations import BACKENDS, activation_memory

    device = "cuda" if settings.device.startswith("cuda") else "cpu"
    activations = activation_memory(config, settings.batch_size, settings.seq_len, 4, backend=BACKENDS[device]).total
    needed = int(4 * memory.weights_bytes(config, "float32") + activations)
    fits, message = memory.check_budget(needed, device, share=0.8, budget=None,
                                        parts="weights, gradients and AdamW moments in float32 + activations")
    if not fits:
        raise ValueError(f"invalid training run of {config.name!r} (d_model={config.d_model}, "
                         f"batch_size={settings.batch_size}, seq_len={settings.seq_len}): memory guard: {message}")


def _train(config, settings, seed, corpus, device, on_step, stop) -> dict:
    torch.manual_seed(seed)
    model = build_model(config, device=device)
    optimizer = make_optimizer(model, settings)
    batches = torch.Generator().manual_seed(seed)
    # The curve scores the same bytes as the 1x point of the extrapolation test, so they agree.
    val_spans = validation_spans(corpus.validation, settings.seq_len * max(EXTRAPOLATION_FACTORS), settings.eval_windows)
    tokens_per_step = settings.batch_size * settings.seq_len
    flops_per_token = forward_flops_per_token(model, settings.seq_len)

    train_curve: list[list[float]] = []
    validation_curve: list[list[float]] = []
    train_seconds = 0.0
    status = "complete"
    started = time.perf_counter()

    model.train()
    for step in range(settings.steps):
        if stop is not None and stop.is_set():
            status = "stopped"
            break
        tick = time.perf_counter()
        x, y = sample_batch(corpus.train, settings.batch_size, settings.seq_len, batches)
        x, y = x.to(device), y.to(device)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(settings, step)

        logits = model(x)
        loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimizer.step()

        loss_value = loss.item()  # .item() synchronises, so the timing below includes the step
        train_seconds += time.perf_counter() - tick
        train_curve.append([step + 1, loss_value])

        val_loss = None
        if (step + 1) % settings.eval_interval == 0 or step + 1 == settings.steps:
            val_loss = mean_loss(model, val_spans, settings.seq_len, settings.batch_size * 2, device)
            validation_curve.append([step + 1, (step + 1) * tokens_per_step, val_loss])
        if on_step is not None:
            on_step(step + 1, settings.steps, loss_value, val_loss)

    steps_done = len(train_curve)
    points = []
    if status == "complete":
        points = extrapolation(model, val_spans, settings.seq_len, settings.batch_size * 2, device)
    tokens = steps_done * tokens_per_step
    tail = [loss for _, loss in train_curve[-10:]]
    return {
        "schema": RESULT_SCHEMA,
        "status": status,
        "recipe": config.to_dict(),
        "settings": settings.to_dict(),
        "seed": seed,
        "corpus": corpus.describe(),
        "versions": versions(settings),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "params": count_params(model),
        "flops": {"forward_per_token": flops_per_token, "train_total": 3 * flops_per_token * tokens,
                  "convention": FLOPS_CONVENTION},
        "steps_done": steps_done,
        "tokens": tokens,
        "tokens_per_second": tokens / train_seconds if train_seconds > 0 else None,
        "wall_seconds": time.perf_counter() - started,
        "curves": {"train": train_curve, "validation": validation_curve},
        "final": {"train_loss": sum(tail) / len(tail) if tail else None,
                  "validation_loss": validation_curve[-1][2] if validation_curve else None},
        "extrapolation": points,
    }
