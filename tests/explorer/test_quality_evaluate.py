"""Length extrapolation: every position kind is scored at 1x, 2x, 4x, except learned, which is rejected."""

import math

import pytest
import torch

from explorer.quality import TrainSettings, load_corpus, scale_recipe, train_run
from explorer.quality.evaluate import extrapolation, validation_spans
from model import DecoderConfig, build_model
from model.config import POSITION_KINDS

SETTINGS = TrainSettings(steps=2, seq_len=16, batch_size=4, d_model=32, n_layer=1, eval_interval=2, eval_windows=4)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def scaled(kind):
    base = DecoderConfig.from_preset("gpt2-small").replace(position={"kind": kind})
    return scale_recipe(base, SETTINGS.seq_len, SETTINGS.d_model, SETTINGS.n_layer)


@pytest.mark.parametrize("kind", sorted(set(POSITION_KINDS) - {"learned"}))
def test_longer_lengths_scored(kind, corpus):
    result = train_run(scaled(kind), SETTINGS, 0, corpus)
    points = result["extrapolation"]
    assert [p["length"] for p in points] == [16, 32, 64]
    for point in points:
        assert point["note"] is None
        assert math.isfinite(point["loss"])


def test_learned_rejects_longer_lengths(corpus):
    result = train_run(scaled("learned"), SETTINGS, 0, corpus)
    one, two, four = result["extrapolation"]
    assert math.isfinite(one["loss"])
    for point in (two, four):
        assert point["loss"] is None
        assert point["note"].startswith("not applicable: learned table has max_seq_len=16 rows")


def test_learned_model_itself_rejects_longer_input():
    model = build_model(scaled("learned"))
    with pytest.raises(ValueError, match="max_seq_len=16"):
        model(torch.zeros(1, 32, dtype=torch.long))


def test_one_x_point_matches_final_validation(corpus):
    result = train_run(scaled("alibi"), SETTINGS, 0, corpus)
    assert result["extrapolation"][0]["loss"] == result["final"]["validation_loss"]


def test_spans_cover_whole_validation_evenly():
    tokens = torch.arange(1000) % 256
    spans = validation_spans(tokens.to(torch.uint8), 99, 5)
    assert spans.shape == (5, 100)
    assert spans[0, 0] == 0
    assert spans[-1, -1] == tokens[-1]


def test_spans_reject_short_validation():
    with pytest.raises(ValueError, match="shorter --seq-len"):
        validation_spans(torch.zeros(10, dtype=torch.uint8), 64, 2)


def test_extrapolation_on_untrained_model_matches_lengths():
    model = build_model(scaled("rope"))
    spans = validation_spans(torch.randint(0, 256, (500,), generator=torch.Generator().manual_seed(0)).to(torch.uint8), 64, 2)
    points = extrapolation(model, spans, 16, 4, torch.device("cpu"))
    # An untrained model is near uniform over bytes at every length.
    for point in points:
        assert point["loss"] == pytest.approx(math.log(256), abs=0.2)
