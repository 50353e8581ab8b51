"""The Cost tab rendered by Streamlit's AppTest on a tiny page that calls ``render``."""

import json

from streamlit.testing.v1 import AppTest

PAGE = '''
from types import SimpleNamespace
import streamlit as st
from explorer.ui.cost_tab import render
from model import DecoderConfig

latency = st.session_state.get("latency", False)
recipes = [DecoderConfig.from_preset("llama-2-7b"), DecoderConfig.from_preset("gpt2-small")]
if latency:
    recipes = [DecoderConfig(name="tiny", vocab_size=256, max_seq_len=64, n_layer=2, d_model=64, n_head=4)]
workload = SimpleNamespace(batch=1, seq_len=64 if latency else 1024, dtype="float32", device="cpu",
                           attention="full", latency=latency)
render(recipes, workload, slots=st.session_state.get("slots"))
'''


def _run(latency=False, slots=None) -> AppTest:
    app = AppTest.from_string(PAGE, default_timeout=120)
    app.session_state["latency"] = latency
    app.session_state["slots"] = slots
    return app.run()


def test_cost_tab_shows_numbers_and_charts():
    app = _run()
    assert not app.exception
    assert not app.error
    numbers = app.dataframe[0].value
    assert list(numbers.columns) == ["1. llama-2-7b", "2. gpt2-small"]
    assert numbers.loc["parameters", "1. llama-2-7b"] == "6.74 B"
    chart_keys = {chart.proto.id for chart in app.get("plotly_chart")}
    assert len(chart_keys) == 3


def test_cost_tab_labels_recipes_by_slot():
    # With recipe 2 invalid, the page passes slots 0 and 2; labels must match the recipe columns.
    app = _run(slots=[0, 2])
    assert list(app.dataframe[0].value.columns) == ["1. llama-2-7b", "3. gpt2-small"]


def test_cost_tab_widgets_change_numbers():
    app = _run()
    before = app.dataframe[0].value.loc["training memory per GPU", "1. llama-2-7b"]
    app.selectbox(key="cost-zero").set_value(0).run()
    after = app.dataframe[0].value.loc["training memory per GPU", "1. llama-2-7b"]
    assert before != after
    app.number_input(key="cost-tp").set_value(3).run()
    assert any("tp=3" in error.value or "gpus=8" in error.value for error in app.error)


def test_cost_tab_places_measured_latency():
    app = _run(latency=True)
    assert not app.exception
    machine = app.dataframe[1].value
    mfu = machine.loc["prefill MFU", "1. tiny"]
    assert mfu.endswith("%")
    assert machine.loc["measured matmul peak", "1. tiny"].endswith("GFLOP/s")


def test_cost_tab_memory_in_gib():
    app = _run()
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    memory_titles = [spec["layout"]["yaxis"]["title"]["text"] for spec in specs[:2]]
    assert memory_titles == ["GiB per GPU (2^30 bytes)", "GiB (2^30 bytes)"]
    serving = specs[1]["data"][0]
    assert serving["name"] == "weights"
    assert serving["y"][1] * 2**30 == 124_439_808 * 2  # gpt2-small in bf16, the default serving dtype
    assert any("1 GiB = 2^30 bytes" in caption.value for caption in app.caption)


def test_cost_tab_names_cost_currency():
    app = _run()
    numbers = app.dataframe[0].value
    assert "cost (in the currency of the price per GPU-hour)" in numbers.index
    assert "cost" not in numbers.index
