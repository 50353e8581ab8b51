"""Latency on the page: real timings with a progress bar, and partial timings never shown as complete."""

from __future__ import annotations

from conftest import metric, small_app

from explorer.ui import results


def test_latency_timed_and_charted():
    at = small_app()
    at.toggle(key="w.latency").set_value(True).run()
    assert not at.exception
    for label in ("Prefill latency", "Decode latency per token"):
        values = metric(at, label)
        assert len(values) == 2
        assert all(v.endswith(" ms") for v in values), values
    keys = [chart.proto.id for chart in at.get("plotly_chart")]
    assert any(k.endswith("chart_latency") for k in keys)


def test_latency_lengths_end_at_workload():
    assert results.latency_lengths(1024, 2048) == [64, 128, 256, 512, 1024]
    assert results.latency_lengths(128, 2048) == [32, 64, 128]
    assert results.latency_lengths(4096, 1024) == [64, 128, 256, 512, 1024]  # capped at the position table


def test_incomplete_timing_not_shown(monkeypatch):
    real = results.latency_point

    def stop_at_64(recipe_json, workload_json, seq_len):
        if seq_len == 64:
            return {"complete": False, "reason": "timing stopped early: RuntimeError: out of memory",
                    "prefill_ms": 1.0, "decode_ms_per_token": None}
        return real(recipe_json, workload_json, seq_len)

    monkeypatch.setattr(results, "latency_point", stop_at_64)
    at = small_app()
    at.toggle(key="w.latency").set_value(True).run()
    assert not at.exception
    assert metric(at, "Prefill latency") == ["incomplete", "incomplete"]
    assert any("latency at 64 tokens incomplete" in w.value for w in at.warning)
    keys = [chart.proto.id for chart in at.get("plotly_chart")]
    assert not any(k.endswith("chart_latency") for k in keys)


def test_latency_cards_show_timing_while_timed(monkeypatch):
    """Stop the page inside the timing, so the test reads what the browser shows while timing runs."""
    import streamlit as st

    from explorer.ui import compare_charts

    monkeypatch.setattr(compare_charts, "run_latency", lambda entries, choice: st.stop())
    at = small_app()
    at.toggle(key="w.latency").set_value(True).run()
    assert not at.exception
    for label in ("Prefill latency", "Decode latency per token"):
        assert metric(at, label) == ["timing…", "timing…"]
    table = at.dataframe[0].value
    assert "timing off" not in table.to_string()
    assert "timing…" in table.to_string()
