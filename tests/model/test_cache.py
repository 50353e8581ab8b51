"""Decoding through the KV cache gives the logits of one full forward, for every position kind."""

import pytest
import torch

from model import build_model
from tiny_configs import KV_HEADS, POSITIONS, XPOS_BLOCKED, randomize, tiny_config

CASES = {**POSITIONS, "xpos-blocked": XPOS_BLOCKED}
TOLERANCE = 1e-4  # max abs difference of float32 logits


def tiny_model(position: str, attention: str):
    config = tiny_config(CASES[position], attention, feed_forward="swiglu", norm="rmsnorm")
    return randomize(build_model(config)).eval(), config


def decode_in_chunks(model, ids: torch.Tensor, chunks: list[int]) -> torch.Tensor:
    cache = model.new_cache(ids.shape[0], ids.shape[1])
    logits, start = [], 0
    for size in chunks:
        logits.append(model(ids[:, start:start + size], cache=cache))
        start += size
    assert cache.length == ids.shape[1]
    return torch.cat(logits, dim=1)


@pytest.mark.parametrize("attention", sorted(KV_HEADS))
@pytest.mark.parametrize("position", sorted(CASES))
@torch.no_grad()
def test_token_by_token_matches_full(position, attention):
    model, config = tiny_model(position, attention)
    ids = torch.randint(0, config.vocab_size, (2, 24), generator=torch.Generator().manual_seed(1))

    full = model(ids)
    cached = decode_in_chunks(model, ids, [10] + [1] * 14)

    assert (cached - full).abs().max() <= TOLERANCE
    # Context must matter, or the comparison above could not catch a wrong mask.
    alone = model(ids[:, -1:])
    assert (alone[:, -1] - full[:, -1]).abs().max() > 1e-2


@pytest.mark.parametrize("attention", sorted(KV_HEADS))
@pytest.mark.parametrize("position", sorted(CASES))
@torch.no_grad()
def test_chunks_after_prefill_match_full(position, attention):
    # Chunks of several queries after a prefill need the bottom-right causal alignment.
    model, config = tiny_model(position, attention)
    ids = torch.randint(0, config.vocab_size, (2, 24), generator=torch.Generator().manual_seed(2))

    full = model(ids)
    cached = decode_in_chunks(model, ids, [7, 5, 1, 4, 7])

    assert (cached - full).abs().max() <= TOLERANCE


@pytest.mark.parametrize("attention", sorted(KV_HEADS))
def test_cache_stores_kv_heads(attention):
    model, config = tiny_model("rope", attention)
    cache = model.new_cache(3, 16)

    assert len(cache.layers) == config.n_layer
    for layer in cache.layers:
        assert layer.k.shape == (3, config.n_kv_head, 16, config.resolved_head_dim)
        assert layer.v.shape == (3, config.n_kv_head, 16, config.resolved_head_dim)
    assert cache.nbytes() == 2 * config.n_layer * 3 * config.n_kv_head * 16 * config.resolved_head_dim * 4


def test_full_cache_rejects_more_tokens():
    model, config = tiny_model("rope", "GQA")
    cache = model.new_cache(1, 8)
    model(torch.zeros(1, 8, dtype=torch.long), cache=cache)

    with pytest.raises(ValueError, match="max_len=8"):
        model(torch.zeros(1, 1, dtype=torch.long), cache=cache)
