"""The attention table: MHA, GQA at every group count that divides the heads, and MQA."""

from __future__ import annotations

from .cells import add_verdicts, fill_column, fill_timed_column
from .folklore import ATTENTION_CLAIMS, MODELS_USING
from .measurements import Measurer
from .ratings import DEFAULT_RULE
from .recipes import TableSettings, kv_family, kv_label, modern_recipe
from .table import Cell, Column, Row, Table, text_cell

KV_CONTEXTS = (8192, 32768)


def attention_recipes(settings: TableSettings, max_seq_len: int):
    kv_heads = [settings.n_head, *settings.gqa_kv_heads(), 1]
    return [modern_recipe(settings, name=f"tables-kv{k}", n_kv_head=k, max_seq_len=max_seq_len)
            for k in dict.fromkeys(kv_heads)]


def build_attention_table(settings: TableSettings, measure: Measurer) -> Table:
    long = settings.long_context
    table = Table(
        key="attention",
        title="Attention",
        setup=(f"Base recipe with only n_kv_head swapped; {settings.describe()}. "
               f"KV cache for one sequence at {settings.dtype}; decode time is one token after "
               f"a {long}-token context."),
        columns=[
            Column("params", "parameters", rated=True),
            Column("attention_params", "attention parameters", rated=True),
            Column("kv_token", "KV cache per token", rated=True),
            *[Column(f"kv_{n}", f"KV cache at {n // 1024}k tokens") for n in KV_CONTEXTS],
            Column("kv_ratio", "MHA cache / this cache"),
            Column("flops", f"forward FLOPs ({settings.seq_len} tokens)", rated=True),
            Column("decode_flops", f"decode FLOPs per token at {long}", rated=True),
            Column("decode_long", f"decode time per token at {long}", rated=True),
            Column("models", "used by"),
        ],
        chart_columns=["kv_token", "decode_long"],
    )
    short = attention_recipes(settings, settings.seq_len)
    at_long = attention_recipes(settings, long)
    measured = [measure(c, latency=False) for c in short]
    measured_long = [measure(c, seq_len=long) for c in at_long]

    for config in short:
        family = kv_family(config.n_head, config.n_kv_head)
        table.rows.append(Row(f"kv{config.n_kv_head}", kv_label(config.n_head, config.n_kv_head), family,
                              recipe=config.to_dict()))

    fill_column(table, "params", [m.params_total for m in measured], "params")
    fill_column(table, "attention_params", [m.params_by_component.get("attention") for m in measured], "params")
    per_token = [m.kv_bytes_per_token for m in measured]
    fill_column(table, "kv_token", per_token, "bytes")
    for n in KV_CONTEXTS:
        for row, config in zip(table.rows, short):
            row.cells[f"kv_{n}"] = Cell(measure.kv_cache_bytes(config, n), "bytes")
    mha_bytes = per_token[0]
    for row, own in zip(table.rows, per_token):
        row.cells["kv_ratio"] = Cell(mha_bytes / own if own else None, "x")

    fill_column(table, "flops", [m.flops_forward for m in measured], "FLOPs")
    fill_column(table, "decode_flops", [m.flops_decode for m in measured_long], "FLOPs")
    fill_timed_column(table, "decode_long", [m.decode_ms for m in measured_long],
                      [m.decode_spread for m in measured_long])
    for row in table.rows:
        row.cells["models"] = text_cell(MODELS_USING[row.family])

    add_verdicts(table, ATTENTION_CLAIMS, {"kv_cache": ["kv_token"], "decode": ["decode_long"]})
    table.rules.append(f"Ratings against the cheapest row: {DEFAULT_RULE.describe()}. A GQA row agrees with "
                       "the usual \"medium\" when its cache is measurably below MHA's and above MQA's.")
    table.rules.append("KV cache per token is measured from the real cache tensors; the 8k and 32k columns use "
                       "the project's closed form 2 x layers x kv_heads x head_dim x tokens x bytes.")
    return table
