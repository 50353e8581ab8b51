"""``python -m explorer cost``: the table, the JSON and one-line errors with exit status 2."""

import json

from explorer.cli import main


def test_cost_json_llama(capsys):
    status = main(["cost", "llama-2-7b", "--tokens", "2e12", "--gpu", "h100-sxm", "--gpus", "8", "--mfu", "0.4",
                   "--price", "2.5", "--optimizer", "adamw-mixed", "--zero", "3", "--context", "4096", "--json"])
    assert status == 0
    report = json.loads(capsys.readouterr().out)
    memory = report["training"]["memory_per_gpu"]
    assert memory["weights"] + memory["gradients"] + memory["optimizer states"] == 107_814_649_856 / 8
    assert memory["activations"] > 0
    assert report["serving"]["weights_bytes"] == 13_476_831_232
    assert report["serving"]["kv_cache_bytes"] == 2_147_483_648
    assert report["compute"]["cost"] == report["compute"]["gpu_hours"] * 2.5
    assert {row["gpu"] for row in report["serving"]["roofline"]} >= {"h100-sxm", "mi300x", "tpu-v5e"}


def test_cost_table_output(capsys):
    assert main(["cost", "gpt2-small", "--gpu", "a100-80gb", "--recompute", "full"]) == 0
    out = capsys.readouterr().out
    assert "training memory per GPU" in out
    assert "smallest GPU count" in out
    assert "roofline upper bounds" in out


def test_cost_bad_input_exits_2(capsys, tmp_path):
    assert main(["cost", "gpt2-small", "--gpu", "b200"]) == 2
    assert "gpu='b200'" in capsys.readouterr().err
    assert main(["cost", "gpt2-small", "--mfu", "2"]) == 2
    assert "mfu=2.0" in capsys.readouterr().err
    assert main(["cost", "gpt2-small", "--gpus", "3", "--tp", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "gpus=3" in err
    bad = tmp_path / "hw.json"
    bad.write_text('{"accelerators": {"x": {"name": "x"}}}')
    assert main(["cost", "gpt2-small", "--hardware", str(bad)]) == 2
    assert "missing memory_gb" in capsys.readouterr().err


def test_cost_seq_len_above_max_exits_2(capsys):
    assert main(["cost", "gpt2-small", "--seq-len", "4096"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--seq-len=4096" in err
    assert "max_seq_len=1024" in err


def test_cost_context_above_max_exits_2(capsys):
    assert main(["cost", "gpt2-small", "--context", "4096"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--context=4096" in err
    assert "max_seq_len=1024" in err


def test_cost_huge_batches_exit_2(capsys):
    for option in ("--micro-batch", "--serve-batch"):
        assert main(["cost", "gpt2-small", option, str(10**20)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"invalid {option}={10**20}" in err
        assert "a tensor can hold" in err


def test_cost_table_names_currency(capsys):
    assert main(["cost", "gpt2-small", "--price", "2.5"]) == 0
    output = capsys.readouterr().out
    assert "in the currency of the price per GPU-hour (2.5)" in output


def test_cost_table_singular_units(capsys):
    assert main(["cost", "gpt2-small", "--seq-len", "1", "--tokens", "1"]) == 0
    output = capsys.readouterr().out
    assert "days on 1 GPU\n" in output
    assert "1 GPUs" not in output
    assert "micro-batch 1 x 1 token," in output
    assert "compute: 1 token (" in output
