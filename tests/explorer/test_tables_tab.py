"""The Tables tab rendered by Streamlit's AppTest: the form builds tiny tables, each with a chart."""

from streamlit.testing.v1 import AppTest

PAGE = '''
from types import SimpleNamespace
from explorer.ui.tables_tab import render
from model import DecoderConfig

recipes = [DecoderConfig(name="tiny", vocab_size=64, max_seq_len=16, n_layer=1, d_model=32, n_head=4)]
workload = SimpleNamespace(batch=1, seq_len=16, dtype="float32", device="cpu", attention="full", latency=False)
render(recipes, workload)
'''


def build_tiny_tables() -> AppTest:
    app = AppTest.from_string(PAGE, default_timeout=240).run()
    assert not app.exception
    app.number_input(key="tables-d-model").set_value(32)
    app.number_input(key="tables-n-layer").set_value(1)
    app.number_input(key="tables-n-head").set_value(4)
    app.number_input(key="tables-vocab").set_value(64)
    app.number_input(key="tables-seq-len").set_value(8)
    app.number_input(key="tables-long-context").set_value(16)
    app.checkbox(key="tables-latency").uncheck()
    app.multiselect(key="tables-which").set_value(["attention", "norm", "recipes"])
    app.button[0].click()
    return app.run()


def test_tables_tab_builds_tables_with_charts():
    app = build_tiny_tables()
    assert not app.exception
    assert not app.error
    assert [s.value for s in app.subheader] == ["Attention", "Normalization", "Older against modern recipe"]
    attention = app.dataframe[0].value
    assert attention.loc["MHA (4 KV heads)", "MHA cache / this cache"] == "1x"
    assert attention.loc["MQA (1 KV head)", "MHA cache / this cache"] == "4x"
    chart_ids = [chart.proto.id for chart in app.get("plotly_chart")]
    assert len(chart_ids) == 3
    assert all("tables-chart-" in chart_id for chart_id in chart_ids)
