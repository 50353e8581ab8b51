"""Scaling a recipe down keeps its components and sets the position limit for extrapolation."""

import pytest

from explorer.quality import scale_recipe
from model import DecoderConfig, build_model


def test_scaled_llama_style_keeps_components():
    base = DecoderConfig.from_preset("llama-style-124m")
    small = scale_recipe(base, seq_len=128, d_model=128, n_layer=4)
    assert small.vocab_size == 256
    assert (small.d_model, small.n_layer, small.n_head) == (128, 4, 4)
    assert small.position == base.position
    assert small.feed_forward == base.feed_forward
    assert small.norm == base.norm
    assert small.tie_embeddings == base.tie_embeddings
    assert small.d_ff == round(2432 * 128 / 768)
    assert small.n_kv_head == 1  # 12 query heads per 4 key/value heads is 3 per group; 4 // 3 = 1
    assert small.max_seq_len == 512


def test_learned_table_limited_to_trained_length():
    small = scale_recipe(DecoderConfig.from_preset("gpt2-small"), seq_len=128)
    assert small.max_seq_len == 128


def test_default_size_near_one_million():
    small = scale_recipe(DecoderConfig.from_preset("gpt2-small"), seq_len=128)
    params = sum(p.numel() for p in build_model(small).parameters())
    assert 0.7e6 < params < 1.5e6


def test_rejects_width_not_multiple_of_head():
    with pytest.raises(ValueError, match="d_model=100"):
        scale_recipe(DecoderConfig.from_preset("gpt2-small"), seq_len=64, d_model=100)
