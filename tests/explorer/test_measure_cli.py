"""``python -m explorer measure`` and ``compare`` run as a user runs them, in a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_measure_json_keys():
    result = cli("measure", "gpt2-small", "--seq-len", "64", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["params"]["total"] == 124_439_808
    assert report["flops"]["counters"]["torch"]["matmul"] == report["flops"]["forward_matmul"]
    assert report["memory"]["kv_cache_bytes_per_token"] == 73_728
    assert report["latency"] is None


def test_measure_table_and_compare():
    result = cli("compare", "gpt2-small", "llama-style-124m", "--seq-len", "32", "--attention", "causal")
    assert result.returncode == 0, result.stderr
    assert "1: gpt2-small" in result.stdout
    assert "2: llama-style-124m" in result.stdout
    assert "124,439,808" in result.stdout
    assert "causal" in result.stdout


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


@pytest.mark.parametrize("case", ["unknown", "too_long", "not_json", "list", "huge", "bad_field", "deep",
                                  "long_int", "huge_batch", "train_deep", "hardware_deep", "hardware_device"])
def test_bad_input_exits_2_with_one_line(case, tmp_path):
    args = {
        "unknown": ["measure", "gpt2-tiny"],
        "too_long": ["measure", "gpt2-small", "--seq-len", "2048"],
        "not_json": ["measure", write(tmp_path, "r.json", "{not json")],
        "list": ["measure", write(tmp_path, "r.json", "[1, 2]")],
        "huge": ["measure", write(tmp_path, "r.json", b" " * (5 * 1024 * 1024 + 1))],
        "bad_field": ["measure", write(tmp_path, "r.json", json.dumps({"schema": "decoder-recipe/1", "n_layer": 0}))],
        "deep": ["measure", write(tmp_path, "r.json", "[" * 100_000)],
        "long_int": ["measure", write(tmp_path, "r.json", '{"n_layer": ' + "9" * 5000 + "}")],
        "huge_batch": ["measure", "gpt2-small", "--device", "meta", "--batch", "10000000000000"],
        "train_deep": ["train", write(tmp_path, "r.json", "[" * 100_000)],
        "hardware_deep": ["cost", "gpt2-small", "--hardware", write(tmp_path, "h.json", "[" * 100_000)],
        "hardware_device": ["cost", "gpt2-small", "--hardware", "/dev/zero"],
    }[case]
    result = cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    if case == "too_long":
        assert "max_seq_len" in lines[0]
    if case in ("deep", "long_int", "train_deep"):
        assert "r.json" in lines[0]
    if case == "huge_batch":
        assert "batch=10000000000000" in lines[0]
