"""The ``train`` subcommand: a tiny run with JSON output, reuse, and one-line errors."""

import json

from explorer.cli import main

TINY = ["--steps", "3", "--seq-len", "16", "--d-model", "32", "--n-layer", "1", "--batch-size", "4"]


def test_train_json_then_reuse(tmp_path, capsys):
    args = ["train", "gpt2-small", *TINY, "--seeds", "2", "--results-dir", str(tmp_path), "--json"]
    assert main(args) == 0
    output = json.loads(capsys.readouterr().out)
    (group,) = output["groups"]
    assert group["recipe"] == "gpt2-small-tiny"
    assert group["seeds"] == [0, 1]
    assert group["extrapolation"]["2x"]["note"].startswith("not applicable: learned table")
    assert [run["reused"] for run in output["runs"]] == [False, False]

    assert main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert [run["reused"] for run in again["runs"]] == [True, True]
    assert again["groups"][0]["validation_loss"] == group["validation_loss"]


def test_train_table_output(tmp_path, capsys):
    recipe = tmp_path / "alibi.json"
    recipe.write_text(json.dumps({"name": "my-alibi", "position": {"kind": "alibi"}}))
    assert main(["train", str(recipe), *TINY, "--seeds", "1", "--results-dir", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "my-alibi-tiny" in out
    assert "val@4x" in out
    assert "equal training FLOPs" in out


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    cases = [
        ["train", "no-such-preset", *TINY],
        ["train", "gpt2-small", *TINY, "--seeds", "0"],
        ["train", "gpt2-small", *TINY, "--corpus", str(tmp_path / "missing.txt")],
        ["train", "gpt2-small", "--steps", "0"],
        ["train", "gpt2-small", "--device", "tpu"],
        ["train", str(tmp_path / "missing.json")],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: "), argv
        assert "\n" not in err, argv
