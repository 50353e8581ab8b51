"""The Streamlit page under AppTest: the default comparison, component changes and bad input."""

from __future__ import annotations

import pytest
from conftest import APP, TIMEOUT, metric, page_errors, small_app
from streamlit.testing.v1 import AppTest

from explorer.ui import results
from model import DecoderConfig
from model.config import FEED_FORWARD_KINDS, NORM_KINDS, POSITION_KINDS, list_presets


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT).run()


def test_default_page_compares_gpt2_and_llama(default_page):
    at = default_page
    assert not at.exception
    assert page_errors(at) == []
    assert metric(at, "Parameters (total)") == ["124.44 M", "124.73 M"]
    assert metric(at, "KV cache") == ["72.00 MiB", "24.00 MiB"]  # 12 against 4 KV heads, float32, 1024 tokens
    assert metric(at, "Prefill latency") == ["timing off", "timing off"]
    for label in ("Parameters (non-embedding)", "FLOPs per forward", "FLOPs per decoded token", "Weights memory"):
        assert all(v and v[0].isdigit() for v in metric(at, label)), label


def test_default_page_has_every_chart(default_page):
    keys = [chart.proto.id for chart in default_page.get("plotly_chart")]
    for key in ("chart_params", "chart_flops", "chart_kv_cache", "chart_decode_flops", "chart_memory",
                "diagram_0", "diagram_1"):
        assert any(k.endswith(key) for k in keys), key


def test_default_page_reports_full_count(default_page):
    captions = " ".join(c.value for c in default_page.caption)
    assert "FLOPs counted by fvcore" in captions
    assert "closed-form counts while" not in captions


def test_default_table_has_difference_column(default_page):
    table = default_page.dataframe[0].value
    assert list(table.columns) == ["metric", "1. gpt2-small", "2. llama-style-124m",
                                   "2. llama-style-124m vs 1. gpt2-small"]
    kv_row = table[table["metric"] == "KV cache"].iloc[0]
    assert kv_row["2. llama-style-124m vs 1. gpt2-small"] == "-66.7%"


@pytest.mark.parametrize("part, kinds", [("position", POSITION_KINDS), ("feed_forward", FEED_FORWARD_KINDS),
                                         ("norm", NORM_KINDS)])
def test_each_component_kind_renders(part, kinds):
    at = small_app()
    params = metric(at, "Parameters (total)")[0]
    seen = {params}
    for kind in kinds:
        at.selectbox(key=f"r0.{part}.kind").set_value(kind).run()
        assert not at.exception, kind
        assert page_errors(at) == [], kind
        assert at.session_state["recipes"][0][part]["kind"] == kind
        assert metric(at, "Parameters (total)")[1] == metric(at, "Parameters (total)")[1]
        seen.add(metric(at, "Parameters (total)")[0])
    assert len(seen) > 1  # some kinds change the parameter count


def test_component_settings_change_numbers():
    at = small_app()
    before = metric(at, "KV cache")[1]
    at.number_input(key="r1.n_kv_head").set_value(4).run()  # GQA with 2 KV heads -> MHA
    assert metric(at, "KV cache")[1] != before
    at.selectbox(key="r1.position.kind").set_value("rope").run()
    at.number_input(key="r1.position.fraction").set_value(0.5).run()
    assert not at.exception
    position = at.session_state["recipes"][1]["position"]
    assert position["kind"] == "rope"
    assert position["fraction"] == 0.5
    assert position["theta"] == 10000.0


def test_invalid_kv_heads_shows_inline_error():
    at = small_app()
    recipe_2 = metric(at, "Parameters (total)")[1]
    at.number_input(key="r0.n_kv_head").set_value(3).run()  # 3 does not divide 4 heads
    assert not at.exception
    errors = page_errors(at)
    assert len(errors) == 2  # once beside the KV heads widget, once at the top of the recipe
    assert all("invalid n_kv_head=3" in e for e in errors)
    assert "must divide n_head=4" in errors[1]
    assert metric(at, "Parameters (total)") == [recipe_2]  # the other recipe keeps working
    keys = [chart.proto.id for chart in at.get("plotly_chart")]
    assert any(k.endswith("diagram_1") for k in keys)  # chart keys follow the slot, not the position
    assert not any(k.endswith("diagram_0") for k in keys)


def test_invalid_heads_for_width_names_field():
    at = small_app()
    at.number_input(key="r1.n_head").set_value(5).run()  # 5 heads do not divide d_model=64
    assert not at.exception
    assert any(e.startswith("invalid n_head=5") for e in page_errors(at))
    at.number_input(key="r1.n_head").set_value(4).run()
    assert page_errors(at) == []


def test_workload_longer_than_positions_is_named():
    at = small_app()
    at.number_input(key="w.seq_len").set_value(512).run()  # the learned table of recipe 1 has 256 rows
    assert not at.exception
    assert any("seq_len=512" in e and "max_seq_len=256" in e for e in page_errors(at))


def test_preset_load_resets_recipe():
    at = small_app()
    at.selectbox(key="r0.preset").set_value("llama-style-124m").run()
    assert not at.exception
    assert at.session_state["recipes"][0]["name"] == "llama-style-124m"
    assert at.number_input(key="r0.n_kv_head").value == 4


def test_four_recipes_side_by_side():
    at = small_app(count=4)
    assert not at.exception
    assert len(metric(at, "Parameters (total)")) == 4


def test_sessions_do_not_share_recipes():
    first, second = small_app(), small_app()
    first.number_input(key="r0.n_layer").set_value(3).run()
    second.run()
    assert first.session_state["recipes"][0]["n_layer"] == 3
    assert second.session_state["recipes"][0]["n_layer"] == 2


@pytest.mark.parametrize("tab", ["Cost", "Tables", "Quality"])
def test_other_tabs_render_without_error(tab):
    at = small_app()
    at.session_state["tab"] = tab
    at.run()
    assert not at.exception
    assert page_errors(at) == []
    assert not any("not available in this build" in i.value for i in at.info)
    assert metric(at, "Parameters (total)") == []  # only the open tab runs


def test_every_preset_loads_in_editor(monkeypatch):
    # Explorer's own tests cover the fvcore phase of each preset. This test draws only the editor
    # and the quick numbers, so 19 presets (up to 405B) load in seconds.
    monkeypatch.setattr(results, "finish_entries", lambda entries, choice: False)
    at = small_app()
    for name in list_presets():
        at.selectbox(key="r0.preset").set_value(name).run()
        assert not at.exception, name
        assert page_errors(at) == [], name
        assert at.session_state["recipes"][0] == DecoderConfig.from_preset(name).to_dict(), name
        assert len(metric(at, "Parameters (total)")) == 2, name
