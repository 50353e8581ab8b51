"""The rating rules, the usual-rating checks and the table assembly, on fixed measurements."""

from __future__ import annotations

import math

import pytest

from explorer.tables.cells import add_verdicts, fill_column, fill_timed_column
from explorer.tables.measurements import Measured, Measurer
from explorer.tables.ratings import (NO_DIFFERENCE, Claim, RelativeRule, check_claim, compare_pair,
                                     rate_column, rate_timed_column)
from explorer.tables.recipe_table import decompose
from explorer.tables.recipes import TableSettings
from explorer.tables.render import to_json, to_markdown
from explorer.tables.table import Column, Row, Table


@pytest.mark.parametrize("value, expected", [
    (100.0, "low"), (105.0, "low"), (105.01, "medium"), (150.0, "medium"), (150.01, "high"), (800.0, "high"),
])
def test_relative_rule_thresholds(value, expected):
    assert RelativeRule().rate(value, 100.0) == expected


def test_relative_rule_missing_and_zero_best():
    rule = RelativeRule()
    assert rule.rate(None, 1.0) is None
    assert rule.rate(1.0, None) is None
    assert rule.rate(math.nan, 1.0) is None
    assert rule.rate(0.0, 0.0) == "low"
    assert rule.rate(3.0, 0.0) == "high"


def test_rate_column_uses_smallest_measured():
    assert rate_column([200.0, None, 100.0, 104.0, 140.0]) == ["high", None, "low", "low", "medium"]


def test_timed_within_spread_is_low():
    # 10.9 is 9% slower than 10.0, but inside the spreads 0.5 + 0.5: no measurable difference.
    assert rate_timed_column([10.0, 10.9, 12.0, 20.0], [0.5, 0.5, 0.1, 0.1]) == ["low", "low", "medium", "high"]


def test_timed_missing_values():
    assert rate_timed_column([None, None], [None, None]) == [None, None]
    assert rate_timed_column([None, 5.0], [None, 0.1]) == [None, "low"]


def test_compare_pair_outcomes():
    assert compare_pair(110.0, 100.0) == "higher"
    assert compare_pair(90.0, 100.0) == "lower"
    assert compare_pair(104.0, 100.0) == NO_DIFFERENCE
    assert compare_pair(11.0, 10.0, spread=0.6, reference_spread=0.5) == NO_DIFFERENCE
    assert compare_pair(None, 10.0) is None


def test_check_claim_levels():
    claim = Claim("relative", "memory", "medium-high memory", levels=("medium", "high"))
    assert check_claim(claim, "T5", "1 MiB", "high").agrees is True
    verdict = check_claim(claim, "T5", "1 MiB", "low")
    assert verdict.agrees is False
    assert "disagrees" in verdict.text
    assert '"medium-high memory"' in verdict.text
    assert check_claim(claim, "T5", "", None).agrees is None


def test_check_claim_comparisons():
    claim = Claim("gqa", "kv_cache", "medium", comparisons=(("mha", "lower"), ("mqa", "higher")))
    agrees = check_claim(claim, "GQA", "512 B", None, {"mha": "lower", "mqa": "higher"}, {"mha": "MHA"})
    assert agrees.agrees is True
    assert "lower than MHA" in agrees.text
    disagrees = check_claim(claim, "GQA", "512 B", None, {"mha": NO_DIFFERENCE, "mqa": "higher"})
    assert disagrees.agrees is False
    assert "no difference from mha" in disagrees.text
    unknown = check_claim(claim, "GQA", "", None, {"mha": None, "mqa": "higher"})
    assert unknown.agrees is None


def small_table(values, spreads=None):
    table = Table("t", "T", "setup", [Column("cost", "cost", rated=True)])
    for key in ("a", "b", "c"):
        table.rows.append(Row(key, key.upper(), key))
    if spreads is None:
        fill_column(table, "cost", values, "bytes")
    else:
        fill_timed_column(table, "cost", values, spreads)
    return table


def test_fill_column_ratings_follow_rule():
    table = small_table([100.0, 120.0, 300.0])
    assert [c.rating for c in table.column("cost")] == ["low", "medium", "high"]
    assert table.row("b").cells["cost"].text == "120 B"


def test_verdict_says_disagreement_in_words():
    table = small_table([100.0, 101.0, 300.0])
    claims = (Claim("b", "memory", "high memory", levels=("high",)), Claim("c", "memory", "high memory", levels=("high",)))
    add_verdicts(table, claims, {"memory": ["cost"]})
    assert len(table.verdicts) == 2
    assert table.verdicts[0].startswith('The usual rating calls B "high memory"')
    assert "rated low: the measurement disagrees" in table.verdicts[0]
    assert "rated high: the measurement agrees" in table.verdicts[1]


def test_timed_comparison_within_spread_is_no_difference():
    table = small_table([10.0, 10.4, 15.0], [0.3, 0.3, 0.3])
    claims = (Claim("b", "compute", "lighter", comparisons=(("a", "lower"),)),)
    add_verdicts(table, claims, {"compute": ["cost"]})
    assert "no difference from A" in table.verdicts[0]
    assert "disagrees" in table.verdicts[0]


def test_missing_measurement_reads_not_measured():
    table = small_table([None, 1.0, 2.0])
    assert table.row("a").cells["cost"].text == "not measured"
    assert table.row("a").cells["cost"].rating is None


def test_decompose_sums_to_difference():
    values = [10.0, 7.5, 7.25, 12.125, 11.0]
    total, shares = decompose(values)
    assert total == values[-1] - values[0]
    assert math.isclose(sum(shares), total, rel_tol=0, abs_tol=1e-12)
    assert shares == [-2.5, -0.25, 4.875, -1.125]
    assert decompose([1.0, None, 2.0]) == (None, [None, None])


def test_settings_reject_bad_values():
    with pytest.raises(ValueError, match="n_head"):
        TableSettings(d_model=100, n_head=8)
    with pytest.raises(ValueError, match="dtype"):
        TableSettings(dtype="float64")
    with pytest.raises(ValueError, match="seq_len"):
        TableSettings(seq_len=1)
    with pytest.raises(ValueError, match="device"):
        TableSettings(device="tpu")


def test_gqa_group_counts():
    assert TableSettings(n_head=8).gqa_kv_heads() == [4, 2]
    assert TableSettings(d_model=384, n_head=12).gqa_kv_heads() == [6, 4, 3, 2]
    assert TableSettings(n_head=8).base_kv_heads == 2
    assert TableSettings(d_model=64, n_head=2).base_kv_heads == 1


class FixedMeasurer(Measurer):
    """Returns fixed numbers keyed by the varied component, so the tables can be checked by hand."""

    def _measure(self, config, seq_len, latency):
        from explorer.memory import kv_cache_bytes
        from explorer.params import count_params

        params = count_params(config)
        peak = {"relative": 3_000_000, "alibi": 2_100_000}.get(config.position["kind"], 2_000_000)
        prefill = {"layernorm": 12.0}.get(config.norm["kind"], 10.0)
        return {
            "params": params,
            "flops": {"forward": 2.0 * params["total"] * seq_len, "decode_token": 2.0 * params["total"],
                      "by_component": {"feed_forward": 1e6, "norm": 2e4 if config.norm["kind"] == "layernorm" else 1.5e4}},
            "memory": {"weights_bytes": 4 * params["total"], "kv_cache_bytes_per_token": kv_cache_bytes(config, 1, 1, "float32"),
                       "kv_cache_bytes": kv_cache_bytes(config, seq_len, 1, "float32"), "activation_peak_bytes": peak},
            "latency": {"prefill_ms": prefill, "decode_ms_per_token": 1.0, "device": "cpu", "threads": 1, "dtype": "float32",
                        "spread": {"prefill_iqr_ms": 0.2, "decode_iqr_ms": 0.01}} if latency else None,
        }


def test_tables_from_fixed_measurements(tmp_path):
    from explorer.tables import build_tables

    settings = TableSettings(d_model=32, n_layer=1, n_head=4, vocab_size=64, seq_len=8, long_context=16,
                             quality_dir=str(tmp_path), latency=True)
    measurer = FixedMeasurer(settings)
    measurer_calls = []
    result = build_tables(settings, measure=measurer, only=("positions", "norm"), progress=measurer_calls.append)
    positions, norm = result["tables"]

    relative = positions.row("relative")
    assert relative.cells["memory_extra"].value == 1_000_000 + 4 * (4 * 32)  # bias activations + its 32x4 table
    assert relative.cells["memory_extra"].rating == "medium"
    assert positions.row("rope").cells["memory_extra"].rating == "low"
    assert any('T5 relative bias "medium-high memory"' in v and "agrees" in v for v in positions.verdicts)

    assert norm.row("layernorm").cells["prefill"].rating == "medium"  # 12 ms against 10 ms, spreads 0.2
    assert any("RMSNorm" in v and "lower than LayerNorm (with bias)" in v for v in norm.verdicts)

    markdown = to_markdown(result, "python -m explorer tables")
    assert "## Positional encoding" in markdown
    assert "**medium**" in markdown
    assert '"tables"' in to_json(result)


def test_measured_reads_report_fields():
    from explorer.tables.measurements import from_report

    report = {"params": {"total": 10, "by_component": {"norm": 2}}, "memory": {"weights_bytes": 40, "kv_cache_bytes_per_token": 8,
              "kv_cache_bytes": 64, "activation_peak_bytes": None}, "flops": {"forward": 5.0, "decode_token": 1.0},
              "latency": None}
    measured = from_report(report)
    assert isinstance(measured, Measured)
    assert measured.activation_peak_bytes is None
    assert measured.prefill_ms is None
    assert measured.flops_by_component == {}
