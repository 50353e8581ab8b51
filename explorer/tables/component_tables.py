"""The feed-forward and normalization tables, each on the base recipe."""

from __future__ import annotations

import torch
from torch.utils import benchmark

from model import build_model

from . import quality_link
from .cells import add_verdicts, fill_column, fill_timed_column
from .folklore import FEED_FORWARD_CLAIMS, MODELS_USING, NORM_CLAIMS
from .measurements import Measurer, check_real_model_fits
from .ratings import DEFAULT_RULE
from .recipes import TableSettings, equal_param_swiglu_width, modern_recipe
from .table import Column, Row, Table, text_cell

NORM_MIN_RUN_TIME_S = 0.5


def feed_forward_recipes(s: TableSettings):
    return [
        ("sigmoid", "sigmoid MLP (d_ff = 4d)", modern_recipe(s, name="tables-sigmoid", feed_forward={"kind": "sigmoid"},
                                                             d_ff=4 * s.d_model)),
        ("gelu", "GELU MLP (d_ff = 4d)", modern_recipe(s, name="tables-gelu", d_ff=4 * s.d_model,
                                                       feed_forward={"kind": "gelu", "approximate": "tanh"})),
        ("swiglu", "SwiGLU (d_ff = 4d)", modern_recipe(s, name="tables-swiglu-4d", d_ff=4 * s.d_model)),
        ("swiglu-equal", f"SwiGLU at equal parameters (d_ff = 8d/3 = {equal_param_swiglu_width(s.d_model)})",
         modern_recipe(s, name="tables-swiglu-equal")),
    ]


def build_feed_forward_table(settings: TableSettings, measure: Measurer, quality: dict | None = None) -> Table:
    table = Table(
        key="feed_forward",
        title="Feed-forward",
        setup=f"Base recipe with only the feed-forward swapped; {settings.describe()}.",
        columns=[
            Column("params", "parameters", rated=True),
            Column("ffn_params", "feed-forward parameters", rated=True),
            Column("flops", "forward FLOPs", rated=True),
            Column("ffn_flops", "feed-forward FLOPs", rated=True),
            Column("activation", "activation peak", rated=True),
            Column("prefill", "prefill time", rated=True),
            Column("decode", "decode time per token", rated=True),
            Column("quality", "validation loss"),
            Column("models", "used by"),
        ],
        chart_columns=["ffn_params", "ffn_flops", "activation", "prefill"],
    )
    measured = []
    for key, label, config in feed_forward_recipes(settings):
        table.rows.append(Row(key, label, key, recipe=config.to_dict()))
        measured.append(measure(config))

    fill_column(table, "params", [m.params_total for m in measured], "params")
    fill_column(table, "ffn_params", [m.params_by_component.get("feed_forward") for m in measured], "params")
    fill_column(table, "flops", [m.flops_forward for m in measured], "FLOPs")
    fill_column(table, "ffn_flops", [m.flops_by_component.get("feed_forward") for m in measured], "FLOPs")
    fill_column(table, "activation", [m.activation_peak_bytes for m in measured], "bytes")
    fill_timed_column(table, "prefill", [m.prefill_ms for m in measured], [m.prefill_spread for m in measured])
    fill_timed_column(table, "decode", [m.decode_ms for m in measured], [m.decode_spread for m in measured])
    for row in table.rows:
        row.cells["quality"] = quality_link.validation_loss_cell(quality_link.feed_forward_group(quality, row.key))
        row.cells["models"] = text_cell(MODELS_USING[row.key])

    add_verdicts(table, FEED_FORWARD_CLAIMS,
                 {"compute": ["ffn_flops", "prefill"], "memory": ["activation"], "quality": ["quality"]})
    table.rules.append(f"Ratings against the cheapest row: {DEFAULT_RULE.describe()}. "
                       f"Comparisons with GELU call a difference within {DEFAULT_RULE.low_within:.0%} "
                       "(or within the spreads, for timings and losses) no difference.")
    return table


def time_norm_alone(config, settings: TableSettings) -> tuple[float, float]:
    """Time one norm module on a (batch, seq_len, d_model) input; return (median ms, IQR ms).

    Uses ``torch.utils.benchmark``, which discards warm-up runs and synchronizes CUDA.
    """
    dtype = getattr(torch, settings.dtype)
    check_real_model_fits(config, 1, settings.device, settings.dtype)
    model = build_model(config, device=settings.device, dtype=dtype)
    norm = model.final_norm
    x = torch.randn(settings.batch, settings.seq_len, settings.d_model, device=settings.device, dtype=dtype)
    timer = benchmark.Timer(stmt="norm(x)", globals={"norm": norm, "x": x}, num_threads=torch.get_num_threads())
    with torch.no_grad():
        result = timer.blocked_autorange(min_run_time=NORM_MIN_RUN_TIME_S)
    return result.median * 1e3, result.iqr * 1e3


def build_norm_table(settings: TableSettings, measure: Measurer) -> Table:
    table = Table(
        key="norm",
        title="Normalization",
        setup=(f"Base recipe with only the norm swapped; {settings.describe()}. The norm alone is timed on "
               f"a ({settings.batch}, {settings.seq_len}, {settings.d_model}) input; the model has "
               f"{2 * settings.n_layer + 1} norms."),
        columns=[
            Column("norm_params", "norm parameters", rated=True),
            Column("norm_flops", "norm FLOPs", rated=True),
            Column("norm_time", "time of one norm alone", rated=True),
            Column("prefill", "prefill time of the whole model", rated=True),
            Column("activation", "activation peak", rated=True),
            Column("models", "used by"),
        ],
        chart_columns=["norm_time", "prefill"],
    )
    recipes = [("layernorm", "LayerNorm (with bias)", modern_recipe(settings, name="tables-layernorm",
                                                                     norm={"kind": "layernorm"})),
               ("rmsnorm", "RMSNorm", modern_recipe(settings))]
    measured, alone = [], []
    for key, label, config in recipes:
        table.rows.append(Row(key, label, key, recipe=config.to_dict()))
        measured.append(measure(config))
        alone.append(time_norm_alone(config, settings) if settings.latency else (None, None))

    fill_column(table, "norm_params", [m.params_by_component.get("norm") for m in measured], "params")
    fill_column(table, "norm_flops", [m.flops_by_component.get("norm") for m in measured], "FLOPs")
    fill_timed_column(table, "norm_time", [a[0] for a in alone], [a[1] for a in alone])
    fill_timed_column(table, "prefill", [m.prefill_ms for m in measured], [m.prefill_spread for m in measured])
    fill_column(table, "activation", [m.activation_peak_bytes for m in measured], "bytes")
    for row in table.rows:
        row.cells["models"] = text_cell(MODELS_USING[row.key])

    add_verdicts(table, NORM_CLAIMS, {"params": ["norm_params"], "compute": ["norm_flops"],
                                      "norm_time": ["norm_time"], "model_time": ["prefill"]})
    table.rules.append(f"Ratings against the cheaper row: {DEFAULT_RULE.describe()}. The norm alone is timed "
                       "with torch.utils.benchmark (median, ± the interquartile range).")
    return table
