"""The Quality tab in Streamlit's AppTest: start a tiny run, see curves and the extrapolation chart, stop one."""

import json

from streamlit.testing.v1 import AppTest


def tab_script(results_dir):
    from types import SimpleNamespace

    from explorer.ui.quality_tab import render
    from model import DecoderConfig

    recipes = [DecoderConfig.from_preset("gpt2-small"),
               DecoderConfig.from_preset("llama-style-124m").replace(name="tiny-rope")]
    render(recipes, SimpleNamespace(device="cpu"), results_dir=results_dir)


def tiny_app(tmp_path, steps):
    app = AppTest.from_function(tab_script, args=(str(tmp_path),), default_timeout=60)
    app.run()
    app.number_input(key="q.steps").set_value(steps)
    app.number_input(key="q.seq_len").set_value(16)
    app.number_input(key="q.seeds").set_value(1)
    app.selectbox(key="q.d_model").set_value(32)
    app.number_input(key="q.n_layer").set_value(1)
    app.run()
    return app


def plotly_titles(app):
    charts = app.get("plotly_chart")
    return [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in charts]


def test_run_shows_curves_and_extrapolation(tmp_path):
    app = tiny_app(tmp_path, steps=4)
    app.button(key="q.start").click().run()
    job = app.session_state["quality.job"]
    job.join(120)
    assert job.snapshot()["status"] == "complete"

    app.run()
    assert not app.exception
    titles = plotly_titles(app)
    assert "Loss over training" in titles
    assert any(title.startswith("Length extrapolation") for title in titles)
    assert any("complete: 8 of 8 steps" in p.proto.text for p in app.get("progress"))
    assert len(list(tmp_path.glob("*.json"))) == 2

    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    extrapolation = next(s for s in specs if s["layout"]["title"]["text"].startswith("Length extrapolation"))
    points = {trace["name"].split(" ")[0]: trace["x"] for trace in extrapolation["data"]}
    assert points["gpt2-small-tiny"] == [16]  # the learned table rejects 2x and 4x
    assert points["tiny-rope-tiny"] == [16, 32, 64]
    learned_name = next(t["name"] for t in extrapolation["data"] if t["name"].startswith("gpt2-small"))
    assert "2x rejected" in learned_name


def renamed_script():
    from types import SimpleNamespace

    import streamlit as st

    from explorer.ui.quality_tab import render
    from model import DecoderConfig

    recipes = [DecoderConfig.from_preset("gpt2-small"),
               DecoderConfig.from_preset("llama-style-124m").replace(name=st.session_state.get("name", "tiny-rope"))]
    render(recipes, SimpleNamespace(device="cpu"), results_dir=st.session_state["results_dir"])


def test_renamed_recipe_stays_picked(tmp_path):
    app = AppTest.from_function(renamed_script, default_timeout=60)
    app.session_state["results_dir"] = str(tmp_path)
    app.run()
    assert len(app.multiselect(key="q.recipes").value) == 2

    app.session_state["name"] = "renamed"
    app.run()
    assert not app.exception
    assert len(app.multiselect(key="q.recipes").value) == 2
    assert "2. renamed" in app.multiselect(key="q.recipes").options


def test_stopped_run_labelled_incomplete(tmp_path):
    app = tiny_app(tmp_path, steps=10_000)
    app.button(key="q.start").click().run()
    job = app.session_state["quality.job"]
    for _ in range(600):
        if job.snapshot()["done_steps"] > 0:
            break
        job.join(0.1)
    assert job.running
    app.run()
    app.button(key="q.stop").click().run()
    job.join(60)

    app.run()
    assert not app.exception
    assert any("incomplete" in w.value for w in app.warning)
    curves = [json.loads(c.proto.spec) for c in app.get("plotly_chart")]
    names = [trace["name"] for trace in curves[0]["data"]]
    assert any("stopped, incomplete" in name for name in names)


def test_extrapolation_legend_pluralises_seeds():
    from explorer.ui.quality_charts import extrapolation_chart

    point = {"length": 16, "mean": 2.0, "std": None}
    groups = [{"recipe": "one", "seeds": [0], "extrapolation": {"1x": point}},
              {"recipe": "three", "seeds": [0, 1, 2], "extrapolation": {"1x": point}}]
    names = [trace.name for trace in extrapolation_chart(groups).data]
    assert names[0] == "one (1 seed)"
    assert names[1] == "three (3 seeds)"


def slots_script():
    from types import SimpleNamespace

    import streamlit as st

    from explorer.ui.quality_tab import render
    from model import DecoderConfig

    slots = st.session_state["slots"]
    recipes = [DecoderConfig.from_preset("gpt2-small").replace(name=f"recipe-{slot}") for slot in slots]
    render(recipes, SimpleNamespace(device="cpu"), results_dir=st.session_state["results_dir"], slots=slots)


def test_pick_follows_recipe_when_earlier_invalid(tmp_path):
    app = AppTest.from_function(slots_script, default_timeout=60)
    app.session_state["results_dir"] = str(tmp_path)
    app.session_state["slots"] = [0, 1, 2]
    app.run()
    app.multiselect(key="q.recipes").set_value([1]).run()
    assert app.multiselect(key="q.recipes").value == [1]

    app.session_state["slots"] = [1, 2]  # the recipe in slot 0 turned invalid
    app.run()
    assert not app.exception
    picker = app.multiselect(key="q.recipes")
    assert picker.value == [1]
    assert picker.options == ["2. recipe-1", "3. recipe-2"]
