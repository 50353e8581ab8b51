"""Parameter counts of the presets against the published counts of the same models."""

import pytest

from model import DecoderConfig, build_model

# Counts from transformers 5.25 building each model on the meta device (a tied matrix counts once).
PUBLISHED_COUNTS = {
    "gpt2-small": 124_439_808,
    "llama-2-7b": 6_738_415_616,
    "tinyllama-1.1b": 1_100_048_384,
}


def count(name: str) -> int:
    model = build_model(DecoderConfig.from_preset(name), device="meta")
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", sorted(PUBLISHED_COUNTS))
def test_preset_matches_published_count(name):
    assert count(name) == PUBLISHED_COUNTS[name]


def test_llama_style_matches_gpt2_budget():
    modern, older = count("llama-style-124m"), count("gpt2-small")
    assert abs(modern - older) / older < 0.02


def test_gpt2_small_untied_count():
    # Untying adds a second 50257 x 768 matrix for the head.
    untied = DecoderConfig.from_preset("gpt2-small").replace(tie_embeddings=False)
    assert sum(p.numel() for p in build_model(untied, device="meta").parameters()) == 163_037_184


def test_tied_matrix_counted_once():
    model = build_model(DecoderConfig.from_preset("gpt2-small"), device="meta")
    assert model.head.weight is model.embedding.weight
    assert sum(t.numel() for t in model.state_dict().values()) - count("gpt2-small") == 50257 * 768
