"""The decoder architecture explorer: `streamlit run app.py`.

Layout and widgets only: every number comes from ``explorer`` through ``explorer.ui``.
"""

from __future__ import annotations

import importlib
import logging

import streamlit as st

from explorer.ui import compare_charts, compare_tab, results
from explorer.ui.recipe_editor import render_editor
from explorer.ui.slots import init_slots
from explorer.ui.transfer import render_transfer
from explorer.ui.workload import render_workload

log = logging.getLogger("explorer.app")
OTHER_TABS = {"Cost": "explorer.ui.cost_tab", "Tables": "explorer.ui.tables_tab", "Quality": "explorer.ui.quality_tab"}

st.set_page_config(page_title="Decoder architecture explorer", layout="wide")
init_slots()
count, choice, gpu = render_workload()

st.title("Decoder architecture explorer")
st.caption("Pick the components of a decoder-only transformer and compare what each recipe costs. "
           "Every number is measured on the real PyTorch model the recipe builds.")

configs = []
for slot, column in enumerate(st.columns(count)):
    with column, st.container(border=True):
        st.subheader(f"Recipe {slot + 1}")
        config = render_editor(slot)
        with st.expander("Export / import", key=f"expander{slot}.transfer"):
            render_transfer(slot, config)
        if config is not None:
            configs.append((slot, config))


compare, *others = st.tabs(["Compare", *OTHER_TABS], key="tab", on_change="rerun")
if compare.open is not False:
    with compare:
        if not results.measurement_available():
            st.info("Measurement (explorer.measure) is not available in this build.")
        elif not configs:
            st.info("No valid recipe: fix the errors above.")
        else:
            entries = results.collect_entries(configs, choice)
            cards = st.empty()
            comparison = st.empty()
            if choice.latency:
                # Draw the page first with the latency marked as being timed, so the browser never
                # keeps the previous run's "timing off" cards while the timing runs.
                with cards.container():
                    compare_tab.render_cards(entries, choice, timing=True)
                with comparison.container():
                    st.subheader("Comparison")
                    compare_tab.render_table(entries, choice, timing=True)
                compare_charts.run_latency(entries, choice)
            with cards.container():
                compare_tab.render_cards(entries, choice)
            with comparison.container():
                st.subheader("Comparison")
                compare_tab.render_table(entries, choice)
            compare_charts.render_charts(entries, choice, gpu)
            st.subheader("Layer stacks")
            compare_charts.render_diagrams(entries)
            # Quick numbers were shown first; count them fully now and draw the page again.
            if results.finish_entries(entries, choice):
                st.rerun()

for tab, (name, module_name) in zip(others, OTHER_TABS.items()):
    if tab.open is False:
        continue
    with tab:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name != module_name:
                raise
            st.info(f"The {name} tab is not available in this build.")
            continue
        if not configs:
            st.info("No valid recipe: fix the errors above.")
            continue
        recipes = [config for _, config in configs]
        try:
            # Each tab labels a recipe by its slot, so the numbers match the recipe columns above.
            module.render(recipes, choice.workload(), slots=[slot for slot, _ in configs])
        except Exception as err:  # a tab's failure stays inside its tab, as a message
            log.exception("the %s tab failed", name)
            st.error(f"The {name} tab failed: {type(err).__name__}: {err}")
