"""The recipe table: the older recipe against the modern one at matched size, and each component's share.

The attribution swaps one component at a time, in the fixed order position, attention,
feed-forward, norm, and charges each swap with the change it causes. The shares of one metric
therefore telescope: they add up to modern minus older exactly. A different order can give
different shares (the components interact, for example SwiGLU's width with GQA's savings), so
the order is part of the result and the table states it.
"""

from __future__ import annotations

from model import DecoderConfig

from ..params import count_params

from .measurements import Measured, Measurer
from .ratings import DEFAULT_RULE, compare_pair
from .recipes import TableSettings, kv_label, modern_recipe, older_recipe
from .table import Cell, Column, Row, Table, text_cell

SWAP_ORDER = ("position", "attention", "feed_forward", "norm")
SWAP_LABELS = {"position": "learned -> RoPE", "attention": "MHA -> GQA", "feed_forward": "GELU -> SwiGLU",
               "norm": "LayerNorm -> RMSNorm"}

# Each metric: (row label, unit, how to read it from a Measured, name of its spread or None).
METRICS = {
    "params": ("parameters", "params", lambda m: m.params_total, None),
    "flops": ("forward FLOPs", "FLOPs", lambda m: m.flops_forward, None),
    "decode_flops": ("decode FLOPs per token", "FLOPs", lambda m: m.flops_decode, None),
    "kv_token": ("KV cache per token", "bytes", lambda m: m.kv_bytes_per_token, None),
    "weights": ("weights", "bytes", lambda m: m.weights_bytes, None),
    "activation": ("activation peak", "bytes", lambda m: m.activation_peak_bytes, None),
    "prefill": ("prefill time", "ms", lambda m: m.prefill_ms, lambda m: m.prefill_spread),
    "decode": ("decode time per token", "ms", lambda m: m.decode_ms, lambda m: m.decode_spread),
}


def matched_swiglu_width(settings: TableSettings) -> int:
    """Return the SwiGLU d_ff that brings the modern recipe's parameters closest to the older one's.

    Parameters grow linearly with d_ff (three bias-free d x d_ff matrices per layer), so two
    measured points fix the line.
    """
    target = count_params(older_recipe(settings))["total"]
    low, high = settings.d_model, 4 * settings.d_model
    p_low = count_params(modern_recipe(settings, d_ff=low))["total"]
    p_high = count_params(modern_recipe(settings, d_ff=high))["total"]
    slope = (p_high - p_low) / (high - low)
    return max(1, round(low + (target - p_low) / slope))


def swap_steps(settings: TableSettings, d_ff: int) -> list[tuple[str, DecoderConfig]]:
    """Return the older recipe, then the recipe after each swap in SWAP_ORDER; the last is the modern one."""
    modern = modern_recipe(settings, name="tables-modern-matched", d_ff=d_ff)
    config = older_recipe(settings)
    steps = [("older", config)]
    changes = {
        "position": {"position": modern.position},
        "attention": {"n_kv_head": modern.n_kv_head},
        "feed_forward": {"feed_forward": modern.feed_forward, "d_ff": d_ff},
        "norm": {"norm": modern.norm},
    }
    for component in SWAP_ORDER:
        config = config.replace(name=f"tables-after-{component}", **changes[component])
        steps.append((component, config))
    steps[-1] = ("norm", modern)
    return steps


def decompose(values: list[float | None]) -> tuple[float | None, list[float | None]]:
    """Return (last - first, the change made by each step); the changes sum to the total."""
    if any(v is None for v in values):
        return None, [None] * (len(values) - 1)
    return values[-1] - values[0], [after - before for before, after in zip(values, values[1:])]


def build_recipe_table(settings: TableSettings, measure: Measurer) -> Table:
    d_ff = matched_swiglu_width(settings)
    steps = swap_steps(settings, d_ff)
    measured: list[Measured] = [measure(config) for _, config in steps]
    older, modern = steps[0][1], steps[-1][1]
    table = Table(
        key="recipes",
        title="Older against modern recipe",
        setup=(f"Older: learned positions, MHA, GELU (d_ff {older.resolved_d_ff}), LayerNorm. Modern: RoPE, "
               f"{kv_label(modern.n_head, modern.n_kv_head)}, SwiGLU (d_ff {d_ff}, chosen to match the older recipe's "
               f"parameters), RMSNorm. {settings.describe()}."),
        columns=[Column("older", "older"), Column("modern", "modern"), Column("difference", "modern - older"),
                 *[Column(f"share_{c}", f"share of {SWAP_LABELS[c]}") for c in SWAP_ORDER],
                 Column("verdict", "modern against older")],
        chart_columns=[f"share_{c}" for c in SWAP_ORDER],
    )
    for key, (label, unit, read, read_spread) in METRICS.items():
        values = [read(m) for m in measured]
        spreads = [read_spread(m) if read_spread else None for m in measured]
        total, shares = decompose(values)
        row = Row(key, label, key)
        row.cells["older"] = Cell(values[0], unit, spread=spreads[0])
        row.cells["modern"] = Cell(values[-1], unit, spread=spreads[-1])
        row.cells["difference"] = _signed(total, unit, values[0])
        for component, share in zip(SWAP_ORDER, shares):
            row.cells[f"share_{component}"] = _signed(share, unit, values[0])
        outcome = compare_pair(values[-1], values[0], spreads[-1] or 0.0, spreads[0] or 0.0)
        row.cells["verdict"] = text_cell(outcome or "not measured")
        table.rows.append(row)

    table.rules.append("Shares come from sequential swaps in the order " + ", then ".join(SWAP_LABELS[c] for c in SWAP_ORDER)
                       + ": each share is the metric after that swap minus the metric before it, so the shares "
                         "sum to the difference exactly. Another order can split the difference differently.")
    table.rules.append(f"Modern against older: within {DEFAULT_RULE.low_within:.0%} of the older value, or within "
                       "the two spreads for timings, is no difference.")
    table.notes.append(f"Parameters: older {measured[0].params_total:,}, modern {measured[-1].params_total:,} "
                       f"({measured[-1].params_total / measured[0].params_total - 1:+.2%}).")
    return table


def _signed(value: float | None, unit: str, reference: float | None) -> Cell:
    if value is None:
        return Cell(None, unit)
    cell = Cell(value, unit)
    sign = "+" if value >= 0 else "-"
    magnitude = Cell(abs(value), unit).text
    share = f" ({value / reference:+.1%})" if reference else ""
    cell.text = f"{sign}{magnitude}{share}"
    return cell
