"""The tables built from real measurements of tiny models (no latency, so the tests stay fast)."""

from __future__ import annotations

import json
import math

import pytest

from explorer.cli import main
from explorer.tables import TableSettings, build_tables
from explorer.tables.positions_table import probe_past_length
from explorer.tables.recipe_table import SWAP_ORDER, swap_steps
from explorer.tables.recipes import POSITION_KINDS, modern_recipe
from model import DecoderConfig

TINY = TableSettings(d_model=64, n_layer=1, n_head=8, vocab_size=128, seq_len=16, long_context=32, latency=False)


@pytest.fixture(scope="module")
def tiny_tables(tmp_path_factory):
    settings = TableSettings(**{**TINY.__dict__, "quality_dir": str(tmp_path_factory.mktemp("no-quality"))})
    result = build_tables(settings, only=("attention", "recipes"))
    return {table.key: table for table in result["tables"]}


def test_kv_ratio_is_head_ratio(tiny_tables):
    table = tiny_tables["attention"]
    mha = table.row("kv8").cells["kv_token"].value
    assert [row.key for row in table.rows] == ["kv8", "kv4", "kv2", "kv1"]
    for row in table.rows:
        n_kv_head = row.recipe["n_kv_head"]
        assert mha / row.cells["kv_token"].value == 8 / n_kv_head
        assert row.cells["kv_ratio"].value == 8 / n_kv_head
        for tokens in (8192, 32768):
            assert row.cells[f"kv_{tokens}"].value == row.cells["kv_token"].value * tokens


def test_kv_per_token_matches_formula(tiny_tables):
    row = tiny_tables["attention"].row("kv2")
    # 2 (K and V) x 1 layer x 2 KV heads x head_dim 8 x 4 bytes
    assert row.cells["kv_token"].value == 2 * 1 * 2 * 8 * 4


def test_timed_cells_not_measured_without_latency(tiny_tables):
    cell = tiny_tables["attention"].row("kv8").cells["decode_long"]
    assert cell.value is None
    assert cell.text == "not measured"


def test_recipe_decomposition_sums_to_difference(tiny_tables):
    table = tiny_tables["recipes"]
    checked = 0
    for row in table.rows:
        total = row.cells["difference"].value
        if total is None:
            continue
        shares = [row.cells[f"share_{c}"].value for c in SWAP_ORDER]
        assert math.isclose(sum(shares), total, rel_tol=1e-12, abs_tol=1e-9), row.key
        assert math.isclose(total, row.cells["modern"].value - row.cells["older"].value, rel_tol=1e-12, abs_tol=1e-9)
        checked += 1
    assert checked >= 6  # params, FLOPs, decode FLOPs, KV cache, weights, activation peak


def test_recipe_swaps_change_one_component():
    steps = swap_steps(TINY, d_ff=100)
    assert [name for name, _ in steps] == ["older", *SWAP_ORDER]
    older, modern = steps[0][1], steps[-1][1]
    assert (older.position["kind"], older.n_kv_head, older.feed_forward["kind"], older.norm["kind"]) == \
        ("learned", 8, "gelu", "layernorm")
    assert (modern.position["kind"], modern.n_kv_head, modern.feed_forward["kind"], modern.norm["kind"]) == \
        ("rope", 2, "swiglu", "rmsnorm")
    assert modern.resolved_d_ff == 100
    assert steps[1][1].position["kind"] == "rope"
    assert steps[1][1].n_kv_head == 8


def test_matched_size_is_close(tiny_tables):
    params = tiny_tables["recipes"].row("params")
    assert abs(params.cells["difference"].value) / params.cells["older"].value < 0.01


def test_learned_rejects_past_table_others_run():
    for kind in POSITION_KINDS:
        config = modern_recipe(TINY, position={"kind": kind})
        ran, message = probe_past_length(config)
        if kind == "learned":
            assert not ran
            assert "max_seq_len=16" in message
        else:
            assert ran, f"{kind}: {message}"
            assert message == "runs at 32 tokens"


def run_cli(capsys, *argv):
    code = main(["tables", *argv])
    return code, capsys.readouterr()


@pytest.mark.parametrize("argv, field", [
    (["--format", "xml"], "--format"),
    (["--d-model", "100"], "n_head"),
    (["--dtype", "float64"], "dtype"),
    (["--tables", "positions,colours"], "--tables"),
    (["--seq-len", "1"], "seq_len"),
])
def test_cli_bad_input_exits_2(capsys, argv, field):
    code, out = run_cli(capsys, *argv)
    assert code == 2
    assert out.err.count("\n") == 1
    assert field in out.err


def test_cli_missing_output_dir_exits_2(capsys, tmp_path):
    output = tmp_path / "nosuch" / "x.md"
    code, out = run_cli(capsys, "--output", str(output))
    assert code == 2
    assert out.err.count("\n") == 1  # one error line and no progress lines, so nothing was measured
    assert "--output" in out.err
    assert str(output.parent) in out.err


def test_cli_missing_quality_dir_exits_2(capsys, tmp_path):
    missing = tmp_path / "nosuch"
    code, out = run_cli(capsys, "--tables", "norm", "--no-latency", "--quality-dir", str(missing))
    assert code == 2
    assert out.err.count("\n") == 1
    assert "--quality-dir" in out.err
    assert str(missing) in out.err


def test_cli_absent_default_quality_dir_accepted(capsys, tmp_path, monkeypatch):
    absent = tmp_path / "results" / "quality"
    monkeypatch.setattr("explorer.commands.tables.DEFAULT_RESULTS_DIR", absent)
    code, out = run_cli(capsys, "--d-model", "32", "--n-layer", "1", "--n-head", "4", "--vocab-size", "64",
                        "--seq-len", "8", "--no-latency", "--tables", "norm", "--quality-dir", str(absent))
    assert code == 0, out.err


def test_cli_json_norm_table(capsys, tmp_path):
    code, out = run_cli(capsys, "--d-model", "32", "--n-layer", "1", "--n-head", "4", "--vocab-size", "64",
                        "--seq-len", "8", "--no-latency", "--format", "json", "--tables", "norm",
                        "--quality-dir", str(tmp_path))
    assert code == 0
    payload = json.loads(out.out)
    table = payload["tables"][0]
    assert table["key"] == "norm"
    rows = {row["key"]: row for row in table["rows"]}
    assert rows["layernorm"]["cells"]["norm_params"]["value"] == 2 * rows["rmsnorm"]["cells"]["norm_params"]["value"]
    assert rows["rmsnorm"]["cells"]["norm_time"]["text"] == "not measured"


def test_probe_rejects_model_beyond_free_memory():
    config = DecoderConfig(vocab_size=10**11, max_seq_len=16, n_layer=1, d_model=256, n_head=8,
                           position={"kind": "rope"})
    with pytest.raises(ValueError, match="memory guard: needs about .* bytes"):
        probe_past_length(config)
