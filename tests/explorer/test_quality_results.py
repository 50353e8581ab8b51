"""Saved results: reuse without training, the summary for tables, and the corpus rules."""

import json

import pytest

import explorer.quality.job as job_module
from explorer.quality import QualityJob, TrainSettings, load_corpus, run_or_reuse, summary
from explorer.quality.data import is_validation, load_text_corpus, stdlib_files
from explorer.quality.report import equal_flops, group_results, loss_at_flops
from explorer.quality.results import load_result, load_results
from model import DecoderConfig

TINY = TrainSettings(steps=4, seq_len=16, batch_size=4, d_model=32, n_layer=1, eval_interval=2, eval_windows=4)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def gpt2(kind="rope", **changes):
    return DecoderConfig.from_preset("gpt2-small").replace(position={"kind": kind}, **changes)


def test_saved_result_reloads_without_training(corpus, tmp_path, monkeypatch):
    trained, reused = run_or_reuse(gpt2(), TINY, 0, corpus, tmp_path)
    assert not reused

    def no_training(*args, **kwargs):
        raise AssertionError("train_run called for a saved result")

    monkeypatch.setattr(job_module, "train_run", no_training)
    loaded, reused = run_or_reuse(gpt2(), TINY, 0, corpus, tmp_path)
    assert reused
    assert loaded["curves"] == trained["curves"]
    assert loaded["key"] == trained["key"]


def test_changed_settings_train_again(corpus, tmp_path):
    first, _ = run_or_reuse(gpt2(), TINY, 0, corpus, tmp_path)
    other = TrainSettings(**{**TINY.to_dict(), "lr": 1e-3})
    second, reused = run_or_reuse(gpt2(), other, 0, corpus, tmp_path)
    assert not reused
    assert second["key"] != first["key"]


def test_result_file_is_json_with_versions(corpus, tmp_path):
    run_or_reuse(gpt2(), TINY, 3, corpus, tmp_path)
    (path,) = tmp_path.glob("*.json")
    data = json.loads(path.read_text())
    assert data["seed"] == 3
    assert set(data["versions"]) >= {"python", "torch", "threads"}
    assert data["source_recipe"] == "gpt2-small"
    assert load_result(path) == data


def test_invalid_result_file_rejected(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"schema": "other"}')
    with pytest.raises(ValueError, match="bad.json"):
        load_result(path)
    assert load_results(tmp_path) == []


def test_summary_gives_mean_and_spread(corpus, tmp_path):
    for seed in (0, 1):
        run_or_reuse(gpt2("alibi", name="tiny-alibi"), TINY, seed, corpus, tmp_path)
        run_or_reuse(gpt2("learned", name="tiny-learned"), TINY, seed, corpus, tmp_path)
    result = summary(tmp_path)
    alibi, learned = result["recipes"]["tiny-alibi"], result["recipes"]["tiny-learned"]
    assert alibi["seeds"] == [0, 1]
    assert alibi["validation_loss"]["n"] == 2
    assert alibi["validation_loss"]["std"] is not None
    assert alibi["extrapolation"]["4x"]["mean"] > 0
    assert alibi["position"] == "alibi"
    assert learned["extrapolation"]["4x"]["note"].startswith("not applicable")
    assert learned["delta_4x"] is None


def test_equal_flops_reads_curves_at_smallest_budget(corpus, tmp_path):
    small, _ = run_or_reuse(gpt2(), TINY, 0, corpus, tmp_path)
    longer = TrainSettings(**{**TINY.to_dict(), "steps": 8})
    large, _ = run_or_reuse(gpt2(), longer, 0, corpus, tmp_path)
    compare = equal_flops(group_results([small, large]))
    assert compare["budget_flops"] == small["flops"]["train_total"]
    # The longer run at the shorter run's budget reads its own validation point after 4 steps.
    assert loss_at_flops(large, compare["budget_flops"]) == pytest.approx(large["curves"]["validation"][1][2])


def test_stopped_job_is_incomplete_and_not_reused(corpus, tmp_path):
    job = QualityJob([gpt2()], TrainSettings(**{**TINY.to_dict(), "steps": 10_000}), [0], tmp_path)
    job.start()
    for _ in range(600):
        if job.snapshot()["done_steps"] > 0:
            break
        job.join(0.1)
    job.stop()
    job.join(60)
    state = job.snapshot()
    assert state["status"] == "stopped"
    assert state["runs"][0]["status"] == "stopped"
    assert load_results(tmp_path) == []
    assert len(load_results(tmp_path, include_stopped=True)) == 1


def test_job_finishes_with_results(corpus, tmp_path):
    job = QualityJob([gpt2("alibi")], TINY, [0, 1], tmp_path).start()
    job.join(120)
    state = job.snapshot()
    assert state["status"] == "complete"
    assert state["done_steps"] == state["total_steps"] == 8
    assert [run["status"] for run in state["runs"]] == ["complete", "complete"]


def test_stdlib_split_is_fixed_and_disjoint():
    root, files = stdlib_files()
    names = [p.relative_to(root).as_posix() for p in files]
    assert names == sorted(names)
    assert not any(part in ("test", "site-packages") for name in names for part in name.split("/")[:-1])
    validation = [n for n in names if is_validation(n)]
    assert 0.03 < len(validation) / len(names) < 0.2
    corpus = load_corpus()
    assert corpus.train.numel() > 10 * corpus.validation.numel() / 2
    assert corpus.fingerprint == load_corpus().fingerprint


def test_text_corpus_errors(tmp_path):
    with pytest.raises(ValueError, match="file not found"):
        load_text_corpus(tmp_path / "missing.txt")
    small = tmp_path / "small.txt"
    small.write_text("hello")
    with pytest.raises(ValueError, match="5 bytes"):
        load_text_corpus(small)
    binary = tmp_path / "binary.bin"
    binary.write_bytes(bytes([0xFF, 0xFE]) * 40_000)
    with pytest.raises(ValueError, match="not UTF-8"):
        load_text_corpus(binary)


def test_text_corpus_splits_by_chunk(tmp_path):
    path = tmp_path / "book.txt"
    path.write_text("the quick brown fox jumps over the lazy dog\n" * 20_000)
    corpus = load_text_corpus(path)
    assert corpus.train.numel() + corpus.validation.numel() == path.stat().st_size
    assert corpus.validation.numel() > 0
