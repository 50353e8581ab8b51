"""Training in the quality lab: determinism, a falling loss, the schedule and the settings checks."""

import math

import pytest

from explorer.quality import TrainSettings, load_corpus, scale_recipe, train_run
from explorer.quality.train import learning_rate
from model import DecoderConfig

TINY = TrainSettings(steps=6, seq_len=16, batch_size=4, d_model=32, n_layer=1, eval_interval=3, eval_windows=4)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def tiny_recipe(kind="rope", settings=TINY):
    base = DecoderConfig.from_preset("llama-style-124m").replace(position={"kind": kind})
    return scale_recipe(base, settings.seq_len, settings.d_model, settings.n_layer)


def test_same_seed_repeats_exactly(corpus):
    first = train_run(tiny_recipe(), TINY, 7, corpus)
    second = train_run(tiny_recipe(), TINY, 7, corpus)
    assert first["curves"] == second["curves"]
    assert first["extrapolation"] == second["extrapolation"]


def test_other_seed_differs(corpus):
    first = train_run(tiny_recipe(), TINY, 0, corpus)
    second = train_run(tiny_recipe(), TINY, 1, corpus)
    assert first["curves"]["train"] != second["curves"]["train"]


def test_loss_falls_well_below_uniform(corpus):
    settings = TrainSettings(steps=100, seq_len=64, batch_size=16, d_model=64, n_layer=2, eval_interval=50,
                             eval_windows=8)
    result = train_run(tiny_recipe("rope", settings), settings, 0, corpus)
    # The untrained model is near uniform (ln 256 = 5.55 nats); a tied head already favours
    # repeating the input byte, which is common in indented source, so it starts a little lower.
    first_loss = result["curves"]["train"][0][1]
    assert first_loss > 0.8 * math.log(256)
    assert result["final"]["validation_loss"] < 3.0
    assert result["final"]["train_loss"] < 3.0


def test_result_records_settings_and_flops(corpus):
    result = train_run(tiny_recipe(), TINY, 0, corpus)
    assert result["status"] == "complete"
    assert result["settings"] == TINY.to_dict()
    assert result["recipe"]["vocab_size"] == 256
    assert result["versions"]["torch"]
    assert result["tokens"] == TINY.steps * TINY.batch_size * TINY.seq_len
    assert result["flops"]["train_total"] == 3 * result["flops"]["forward_per_token"] * result["tokens"]
    assert [step for step, *_ in result["curves"]["validation"]] == [3, 6]
    assert result["tokens_per_second"] > 0


def test_stop_event_ends_run_incomplete(corpus):
    import threading

    stop = threading.Event()
    stop.set()
    result = train_run(tiny_recipe(), TINY, 0, corpus, stop=stop)
    assert result["status"] == "stopped"
    assert result["steps_done"] == 0
    assert result["extrapolation"] == []


def test_schedule_warms_up_then_decays():
    settings = TrainSettings(steps=100, lr=1e-3, warmup_fraction=0.1, min_lr_ratio=0.1)
    assert learning_rate(settings, 0) == pytest.approx(1e-4)
    assert learning_rate(settings, 9) == pytest.approx(1e-3)
    assert learning_rate(settings, 10) == pytest.approx(1e-3)
    assert learning_rate(settings, 99) == pytest.approx(1e-4, rel=0.01)
    rates = [learning_rate(settings, s) for s in range(10, 100)]
    assert rates == sorted(rates, reverse=True)


@pytest.mark.parametrize("field, value", [("steps", 0), ("seq_len", -1), ("lr", 0.0), ("warmup_fraction", 2.0),
                                          ("threads", 0)])
def test_settings_reject_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        TrainSettings(**{field: value})


@pytest.mark.parametrize("changes", [{"d_model": 100_000}, {"batch_size": 100_000_000}])
def test_oversized_run_rejected_before_allocating(corpus, changes):
    settings = TrainSettings(**{**TINY.to_dict(), **changes})
    with pytest.raises(ValueError, match="memory guard: needs about .* bytes"):
        train_run(tiny_recipe(settings=settings), settings, 0, corpus)
