"""Count with torch.utils.flop_counter.FlopCounterMode on the meta device.

On the CPU the counter prices SDPA at zero, because the fused CPU kernel has no formula. On meta
SDPA falls back to its math path, two batched matrix multiplies the counter prices. The counter
prices matrix multiplies only, so its total equals its matmul figure. Its bmm formula is replaced
by one that applies the attention convention; the decoder's only bmm calls are those scores and
weighted sums.
"""

from __future__ import annotations

import torch
from torch import nn

from .handles import attention_pairs


def attention_bmm(head_dim: int, convention: str):
    """Return a bmm FLOP formula that prices attention's batched matmuls under ``convention``.

    Scores are (BH, q, head_dim) @ (BH, head_dim, k); the weighted sum is (BH, q, k) @ (BH, k, d_v).
    When k equals head_dim the two readings give the same pair count, so the guess is harmless.
    """

    def bmm_flop(a_shape, b_shape, out_shape=None, **kwargs) -> int:
        batch_heads, q_len, inner = a_shape
        if inner == head_dim:  # scores: contraction over head_dim, keys along the output
            k_len, width = b_shape[-1], inner
        else:  # weighted sum: contraction over the keys
            k_len, width = inner, b_shape[-1]
        return int(2 * batch_heads * attention_pairs(q_len, k_len, convention) * width)

    return bmm_flop


def _counter(model: nn.Module, convention: str):
    from torch.utils.flop_counter import FlopCounterMode

    mapping = {torch.ops.aten.bmm: attention_bmm(model.config.resolved_head_dim, convention)}
    return FlopCounterMode(display=False, custom_mapping=mapping)


def count_forward(model: nn.Module, batch: int, seq_len: int, convention: str) -> int:
    """Return the forward's matmul FLOPs on a meta-device ``model``."""
    ids = torch.zeros(batch, seq_len, dtype=torch.long, device="meta")
    with torch.no_grad(), _counter(model, convention) as counter:
        model(ids)
    return counter.get_total_flops()


def count_decode(model: nn.Module, batch: int, context: int) -> int:
    """Return the matmul FLOPs of decoding one token that attends to ``context`` keys."""
    cache = model.new_cache(batch, context)
    cache.mark_filled(context - 1)
    ids = torch.zeros(batch, 1, dtype=torch.long, device="meta")
    with torch.no_grad(), _counter(model, "full") as counter:
        model(ids, cache=cache)
    return counter.get_total_flops()


def count_train_step(model: nn.Module, batch: int, seq_len: int, convention: str) -> int:
    """Return forward plus backward matmul FLOPs of one training step (a cross-entropy loss on every position)."""
    ids = torch.zeros(batch, seq_len, dtype=torch.long, device="meta")
    model.train()
    try:
        with _counter(model, convention) as counter:
            logits = model(ids)
            loss = nn.functional.cross_entropy(logits.flatten(0, 1).float(), ids.flatten())
            loss.backward()
    finally:
        model.eval()
        model.zero_grad(set_to_none=True)
    return counter.get_total_flops()
