"""The shape of a comparison table: columns with units, rows of measured cells, and verdicts.

A table is plain data so the markdown renderer, the JSON output and the app's charts all read
the same numbers. A cell keeps the measured value in its base unit (parameters, bytes, FLOPs,
milliseconds) next to the text shown, so nothing is re-derived from a formatted string.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

NOT_MEASURED = "not measured"


def format_count(n: float) -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {suffix}"
    return f"{n:.4g}"


def format_bytes(n: float) -> str:
    for scale, suffix in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {suffix}"
    return f"{n:.4g} B"


def format_value(value: float | None, unit: str, spread: float | None = None) -> str:
    """Format a measured value with its unit; a missing value reads "not measured", never 0."""
    if value is None:
        return NOT_MEASURED
    if unit == "params":
        return f"{format_count(value)} params" if abs(value) >= 1000 else f"{value:,.0f} params"
    if unit == "bytes":
        return format_bytes(value)
    if unit == "FLOPs":
        return f"{format_count(value)}FLOP" if abs(value) >= 1000 else f"{value:,.0f} FLOP"
    if unit == "ms":
        text = f"{value:.3g} ms"
        return text if spread is None else f"{text} ± {spread:.2g}"
    if unit == "x":
        return f"{value:.3g}x"
    if unit == "nats":
        return f"{value:.3f} nats" if spread is None else f"{value:.3f} ± {spread:.2g} nats"
    return f"{value:.4g} {unit}".strip()


@dataclass
class Cell:
    """One measured number in its base unit, the text shown, and its derived rating."""

    value: float | None
    unit: str
    text: str = ""
    rating: str | None = None
    spread: float | None = None

    def __post_init__(self) -> None:
        if not self.text:
            self.text = format_value(self.value, self.unit, self.spread)


def text_cell(text: str) -> Cell:
    return Cell(value=None, unit="", text=text)


@dataclass
class Column:
    key: str
    title: str
    # Whether cells of this column carry a derived rating shown beside the number.
    rated: bool = False


@dataclass
class Row:
    key: str
    label: str
    family: str
    cells: dict[str, Cell] = field(default_factory=dict)
    recipe: dict[str, Any] | None = None


@dataclass
class Table:
    """One comparison table, ready to render as markdown, JSON or a chart."""

    key: str
    title: str
    setup: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Column keys the app charts, one bar group per row.
    chart_columns: list[str] = field(default_factory=list)

    def column(self, key: str) -> list[Cell | None]:
        return [row.cells.get(key) for row in self.rows]

    def row(self, key: str) -> Row:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(f"no row {key!r} in table {self.key!r}; rows: {', '.join(r.key for r in self.rows)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
