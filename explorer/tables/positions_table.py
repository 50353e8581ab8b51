"""The positional-encoding table: the six schemes on one base recipe."""

from __future__ import annotations

import torch

from model import DecoderConfig, build_model
from model.config import list_presets

from . import quality_link
from .cells import add_verdicts, excess, fill_column, fill_timed_column
from .folklore import MODELS_USING, POSITION_CLAIMS
from .measurements import Measurer, check_real_model_fits
from .ratings import DEFAULT_RULE, Claim
from .recipes import POSITION_KINDS, POSITION_LABELS, TableSettings, modern_recipe
from .table import Cell, Column, Row, Table, text_cell

PAST_LENGTH_FACTOR = 2


def probe_past_length(config: DecoderConfig, factor: int = PAST_LENGTH_FACTOR, device: str = "cpu") -> tuple[bool, str]:
    """Run one forward of ``factor`` x max_seq_len tokens on the real model; return (ran, what happened).

    A scheme with a position table raises ValueError past its last row; that message is kept.
    """
    tokens = factor * config.max_seq_len
    check_real_model_fits(config, tokens, device)
    model = build_model(config, device=device).eval()
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, config.vocab_size, (1, tokens), generator=generator).to(device)
    with torch.no_grad():
        try:
            logits = model(ids)
        except ValueError as err:
            return False, str(err)
    if not torch.isfinite(logits).all():
        return True, f"runs at {tokens} tokens, but some logits are not finite"
    return True, f"runs at {tokens} tokens"


def presets_using(predicate) -> list[str]:
    names = []
    for name in list_presets():
        try:
            config = DecoderConfig.from_preset(name)
        except ValueError:
            continue
        if predicate(config):
            names.append(name)
    return names


def build_positions_table(settings: TableSettings, measure: Measurer, quality: dict | None = None) -> Table:
    table = Table(
        key="positions",
        title="Positional encoding",
        setup=f"Base recipe: RoPE, GQA, SwiGLU, RMSNorm with only the position scheme swapped; {settings.describe()}.",
        columns=[
            Column("params_extra", "extra parameters", rated=True),
            Column("memory_extra", "extra memory (weights + activation peak)", rated=True),
            Column("flops_extra", "extra forward FLOPs", rated=True),
            Column("prefill", "prefill time", rated=True),
            Column("decode", "decode time per token", rated=True),
            Column("length", f"past the trained length ({PAST_LENGTH_FACTOR}x)"),
            Column("loss", "validation loss at 1x / 2x / 4x length"),
            Column("models", "used by"),
        ],
        chart_columns=["flops_extra", "memory_extra", "prefill"],
    )
    measured, probes = [], []
    for kind in POSITION_KINDS:
        config = modern_recipe(settings, name=f"tables-{kind}", position={"kind": kind})
        table.rows.append(Row(kind, POSITION_LABELS[kind], kind, recipe=config.to_dict()))
        measured.append(measure(config))
        probes.append(probe_past_length(config, device=settings.device))

    params = [m.params_total for m in measured]
    fill_column(table, "params_extra", excess(params), "params", rate_by=params)

    memory = [None if m.activation_peak_bytes is None or m.weights_bytes is None
              else m.weights_bytes + m.activation_peak_bytes for m in measured]
    fill_column(table, "memory_extra", excess(memory), "bytes", rate_by=memory)

    flops = [m.flops_forward for m in measured]
    fill_column(table, "flops_extra", excess(flops), "FLOPs", rate_by=flops)

    fill_timed_column(table, "prefill", [m.prefill_ms for m in measured], [m.prefill_spread for m in measured])
    fill_timed_column(table, "decode", [m.decode_ms for m in measured], [m.decode_spread for m in measured])

    losses = {}
    for row, (ran, message) in zip(table.rows, probes):
        row.cells["length"] = text_cell(message if ran else f"rejects: {message}")
        losses[row.key] = quality_link.position_losses(quality, row.key)
        row.cells["loss"] = quality_link.loss_cell(losses[row.key])
        presets = presets_using(lambda c, kind=row.key: c.position["kind"] == kind)
        shown = MODELS_USING[row.key] + (f"; presets here: {', '.join(presets)}" if presets else "")
        row.cells["models"] = text_cell(shown)

    ran_by_row = {row.key: ran for row, (ran, _) in zip(table.rows, probes)}

    def length_level(row_key: str, claim: Claim) -> str | None:
        if claim.metric != "length":
            return None
        if not ran_by_row[row_key]:
            return "rejects"
        held = quality_link.extrapolation_holds(losses[row_key], DEFAULT_RULE.low_within)
        if held is not None:
            return "holds" if held else "degrades"
        # Without losses only a claim that the scheme rejects longer inputs can be checked.
        return "runs" if "rejects" in claim.levels else None

    add_verdicts(table, POSITION_CLAIMS,
                 {"memory": ["memory_extra"], "compute": ["flops_extra", "prefill"], "length": ["length"]},
                 length_level)
    table.rules.append(f"Extra parameters, memory and FLOPs are rated on the whole-model value: {DEFAULT_RULE.describe()}.")
    table.rules.append("Extra memory is the weights plus the measured activation peak of one prefill, minus the "
                       "smallest such sum; it includes position tables, cos/sin tables and materialised bias tensors.")
    table.rules.append(f"Past the trained length: one real forward of {PAST_LENGTH_FACTOR} x max_seq_len tokens; "
                       f"with quality-lab losses, a scheme holds when its loss at 2x is within "
                       f"{DEFAULT_RULE.low_within:.0%} of its loss at 1x.")
    return table
