"""Validation loss at the trained length and at 2x and 4x it (the length-extrapolation test of
ALiBi, Press et al., 2021).

The same validation bytes are scored at every length: ``n_windows`` spans of 4L + 1 bytes spread
evenly over the validation stream, each cut into non-overlapping windows of the evaluated length.
A longer window gives later tokens more context, so a model that uses positions it never trained
on well scores lower at 2x and 4x, and one that breaks scores higher.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .scale import EXTRAPOLATION_FACTORS


def validation_spans(tokens: torch.Tensor, span: int, n_windows: int) -> torch.Tensor:
    """Return ``n_windows`` spans of ``span + 1`` bytes at evenly spaced offsets, shape (n, span + 1)."""
    room = tokens.numel() - span - 1
    if room < 0:
        raise ValueError(f"invalid validation set: {tokens.numel():,} bytes cannot fill one window of "
                         f"{span + 1:,} bytes; use a larger corpus or a shorter --seq-len")
    starts = [round(i * room / max(1, n_windows - 1)) for i in range(n_windows)]
    return torch.stack([tokens[s: s + span + 1] for s in starts]).long()


@torch.no_grad()
def mean_loss(model: torch.nn.Module, spans: torch.Tensor, length: int, batch_size: int, device: torch.device) -> float:
    """Return the mean next-byte loss (nats) when ``spans`` are read in non-overlapping windows of ``length``."""
    n, width = spans.shape
    pieces = (width - 1) // length
    inputs = spans[:, : pieces * length].reshape(n * pieces, length)
    targets = spans[:, 1: pieces * length + 1].reshape(n * pieces, length)

    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for lo in range(0, inputs.shape[0], batch_size):
        x = inputs[lo: lo + batch_size].to(device)
        y = targets[lo: lo + batch_size].to(device)
        logits = model(x).float()
        total += F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
        count += y.numel()
    model.train(was_training)
    return total / count


def not_applicable(model: torch.nn.Module, length: int) -> str | None:
    """Return why ``model`` cannot be scored at ``length`` tokens, or None when it can."""
    limit = model.positions.max_positions
    if limit is not None and length > limit:
        kind = model.config.position["kind"]
        return f"not applicable: {kind} table has max_seq_len={limit} rows, fewer than {length} tokens"
    return None


def extrapolation(model: torch.nn.Module, spans: torch.Tensor, seq_len: int, batch_size: int,
                  device: torch.device) -> list[dict]:
    """Score ``model`` on ``spans`` at each multiple of the trained length.

    A length the model cannot encode gets a reason in ``note`` and no loss.
    """
    points = []
    for factor in EXTRAPOLATION_FACTORS:
        length = seq_len * factor
        reason = not_applicable(model, length)
        # Batches of equal token count keep the memory of every length the same.
        loss = None if reason else mean_loss(model, spans, length, max(1, batch_size // factor), device)
        points.append({"factor": factor, "length": length, "loss": loss, "note": reason})
    return points

