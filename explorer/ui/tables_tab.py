"""The Tables tab: the component comparison tables of ``python -m explorer tables``, with a chart each.

Layout and widgets only; the tables come from ``explorer.tables.build_tables``, the same code the
command runs, so the page and TABLES.md show the same kind of numbers.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from explorer.tables import TABLE_KEYS, TableSettings, build_tables
from explorer.tables.recipe_table import SWAP_LABELS, SWAP_ORDER
from explorer.tables.render import cell_text, timing_line
from explorer.tables.table import Table

RESULT_KEY = "tables-result"
TABLE_NAMES = {"positions": "Positional encoding", "attention": "Attention", "feed_forward": "Feed-forward",
               "norm": "Normalization", "recipes": "Older against modern recipe"}


def _settings_form(recipes, workload) -> tuple[TableSettings, tuple[str, ...]] | None:
    """Draw the size and timing controls; return the settings when the user presses Build."""
    defaults = TableSettings()
    first = recipes[0] if recipes else None
    with st.form("tables-form"):
        st.caption("The tables measure small models so they build in minutes on a CPU. Start from the defaults "
                   f"or from recipe 1's shape{f' ({first.name})' if first else ''}; latency takes most of the time.")
        use_recipe = st.checkbox("Use recipe 1's width, depth, heads and vocabulary", value=False, key="tables-use-recipe",
                                 disabled=first is None)
        left, middle, right = st.columns(3)
        d_model = left.number_input("d_model", 8, 8192, defaults.d_model, step=8, key="tables-d-model")
        n_layer = middle.number_input("layers", 1, 128, defaults.n_layer, key="tables-n-layer")
        n_head = right.number_input("heads", 1, 128, defaults.n_head, key="tables-n-head")
        vocab = left.number_input("vocabulary", 2, 262144, defaults.vocab_size, key="tables-vocab")
        seq_len = middle.number_input("tokens (trained length)", 2, 32768, defaults.seq_len, key="tables-seq-len")
        long_context = right.number_input("decode context for the attention table", 2, 131072,
                                          defaults.long_context, key="tables-long-context")
        latency = st.checkbox("Measure latency", value=True, key="tables-latency")
        chosen = st.multiselect("Tables", list(TABLE_KEYS), default=list(TABLE_KEYS),
                                format_func=TABLE_NAMES.get, key="tables-which")
        pressed = st.form_submit_button("Build tables")
    if not pressed:
        return None
    if use_recipe and first is not None:
        d_model, n_layer, n_head, vocab = first.d_model, first.n_layer, first.n_head, first.vocab_size
    device = getattr(workload, "device", "cpu")
    dtype = getattr(workload, "dtype", "float32")
    settings = TableSettings(d_model=int(d_model), n_layer=int(n_layer), n_head=int(n_head), vocab_size=int(vocab),
                             seq_len=int(seq_len), long_context=int(long_context), device=device if device != "meta" else "cpu",
                             dtype=dtype, latency=bool(latency))
    return settings, tuple(k for k in TABLE_KEYS if k in chosen)


def _frame(table: Table) -> pd.DataFrame:
    data = {c.title: [cell_text(table, row, c.key).replace("**", "") for row in table.rows] for c in table.columns}
    return pd.DataFrame(data, index=[row.label for row in table.rows])


def _bar_chart(table: Table) -> go.Figure:
    """One bar panel per charted column, since the columns have different units."""
    columns = [c for c in table.columns if c.key in table.chart_columns]
    fig = make_subplots(rows=1, cols=len(columns), subplot_titles=[c.title for c in columns])
    for index, column in enumerate(columns, start=1):
        cells = [row.cells.get(column.key) for row in table.rows]
        values = [None if cell is None else cell.value for cell in cells]
        errors = [None if cell is None else cell.spread for cell in cells]
        fig.add_trace(go.Bar(x=[row.label for row in table.rows], y=values, name=column.title,
                             text=[None if cell is None else cell.text for cell in cells], textposition="none",
                             hovertemplate="%{x}: %{text}<extra></extra>",
                             error_y=dict(type="data", array=errors, visible=any(e is not None for e in errors))),
                      row=1, col=index)
        fig.update_yaxes(title_text=cells[0].unit if cells and cells[0] else "", row=1, col=index)
    fig.update_layout(showlegend=False, height=380, margin=dict(t=60, b=40))
    return fig


def _waterfall(table: Table, metric_key: str) -> go.Figure:
    row = table.row(metric_key)
    older, modern = row.cells["older"], row.cells["modern"]
    shares = [row.cells[f"share_{c}"] for c in SWAP_ORDER]
    fig = go.Figure(go.Waterfall(
        x=["older", *[SWAP_LABELS[c] for c in SWAP_ORDER], "modern"],
        measure=["absolute", *["relative"] * len(SWAP_ORDER), "total"],
        y=[older.value, *[s.value for s in shares], modern.value],
        text=[older.text, *[s.text for s in shares], modern.text], textposition="outside"))
    fig.update_layout(title=f"{row.label}: each swap's share of the difference ({older.unit})", height=420,
                      showlegend=False)
    return fig


def _render_table(table: Table, timing: str | None) -> None:
    st.subheader(table.title)
    st.caption(table.setup)
    st.dataframe(_frame(table), key=f"tables-frame-{table.key}")
    if table.key == "recipes":
        measured = [row.key for row in table.rows if row.cells["difference"].value is not None]
        if measured:
            metric = st.selectbox("Metric for the breakdown", measured, key="tables-waterfall-metric",
                                  format_func=lambda k: table.row(k).label)
            st.plotly_chart(_waterfall(table, metric), key=f"tables-chart-{table.key}")
    else:
        st.plotly_chart(_bar_chart(table), key=f"tables-chart-{table.key}")
    if timing:
        st.caption(f"Timings: {timing}")
    for line in table.rules + table.notes:
        st.caption(line)
    if table.verdicts:
        with st.expander("Where the usual rating and the measurement meet", expanded=False):
            st.markdown("\n".join(f"- {verdict}" for verdict in table.verdicts))


def render(recipes, workload, slots: list[int] | None = None) -> None:
    """Draw the Tables tab; ``workload`` supplies the device and dtype.

    The first recipe sets the form's default size; ``slots`` is accepted for the common tab
    interface and not used, because the tables measure base recipes of their own.
    """
    st.caption("Each component's usual rating, checked against numbers measured on the real model. Ratings "
               "(low, medium, high) are derived from the measurements by the rule under each table.")
    chosen = _settings_form(recipes, workload)
    if chosen is not None:
        settings, only = chosen
        if not only:
            st.warning("Pick at least one table.")
        else:
            with st.status("Measuring the tables", expanded=False) as status:
                result = build_tables(settings, progress=lambda message: status.write(message), only=only)
                status.update(label="Tables measured", state="complete")
            st.session_state[RESULT_KEY] = result
    result = st.session_state.get(RESULT_KEY)
    if result is None:
        st.info("Press Build tables to measure them at the chosen size.")
        return
    machine = result["machine"]
    st.caption(f"Measured on {machine['device']} ({machine['cpu']}), torch threads: {machine['threads']}, "
               f"{machine['dtype']}, torch {machine['torch']}, {machine['date']}. {machine['load']}")
    timing = timing_line(result)
    for table in result["tables"]:
        _render_table(table, timing)
