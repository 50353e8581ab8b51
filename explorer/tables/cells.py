"""Helpers that fill a table's columns with measured cells, ratings and verdicts."""

from __future__ import annotations

from typing import Callable

from .folklore import claims_for
from .ratings import DEFAULT_RULE, Claim, check_claim, compare_pair, rate_column, rate_timed_column
from .table import Cell, Table


def fill_column(table: Table, key: str, values: list[float | None], unit: str,
                rate_by: list[float | None] | None = None) -> None:
    """Put one measured value per row in column ``key``, rated by ``rate_by`` (default: the values).

    ``rate_by`` lets an "extra" column (value minus the cheapest) carry the rating of the whole
    quantity, so a zero excess is not a ratio of zero to zero.
    """
    ratings = rate_column(rate_by if rate_by is not None else values)
    for row, value, rating in zip(table.rows, values, ratings):
        row.cells[key] = Cell(value, unit, rating=rating)


def fill_timed_column(table: Table, key: str, medians: list[float | None], spreads: list[float | None]) -> None:
    """Put timings in column ``key`` with their spreads, rated against the fastest beyond the spread."""
    ratings = rate_timed_column(medians, spreads)
    for row, median, spread, rating in zip(table.rows, medians, spreads, ratings):
        row.cells[key] = Cell(median, "ms", rating=rating, spread=spread)


def add_verdicts(table: Table, claims: tuple[Claim, ...], metric_columns: dict[str, list[str]],
                 levels: Callable[[str, Claim], str | None] | None = None) -> None:
    """Check every usual rating whose metric has a column, and add one sentence per claim and column.

    ``metric_columns`` maps a claim metric ("memory") to the columns that measure it. A
    comparative claim compares the row's cell with the cell of the named row family in the
    same column; timed cells compare beyond their spreads. ``levels`` may supply a row's level
    for a claim whose metric is not a rated number (behaviour past the trained length).
    """
    for row in table.rows:
        for metric, columns in metric_columns.items():
            for claim in claims_for(claims, row.family, metric):
                for column in columns:
                    table.verdicts.append(_verdict(table, row, claim, column, levels))


def _verdict(table: Table, row, claim: Claim, column: str, levels) -> str:
    cell = row.cells.get(column)
    level = levels(row.key, claim) if levels else None
    if level is None and cell is not None and cell.value is not None:
        level = cell.rating
    outcomes, labels = {}, {}
    for other_family, _ in claim.comparisons:
        other = next((r for r in table.rows if r.family == other_family), None)
        outcomes[other_family] = _compare_cells(cell, None if other is None else other.cells.get(column))
        labels[other_family] = other_family if other is None else other.label
    measured = cell.text if cell is not None else "nothing"
    return check_claim(claim, row.label, f"{column_title(table, column)} {measured}", level, outcomes, labels).text


def _compare_cells(cell: Cell | None, other: Cell | None) -> str | None:
    if cell is None or other is None:
        return None
    return compare_pair(cell.value, other.value, cell.spread or 0.0, other.spread or 0.0, DEFAULT_RULE.low_within)


def column_title(table: Table, key: str) -> str:
    return next((c.title for c in table.columns if c.key == key), key)


def excess(values: list[float | None]) -> list[float | None]:
    """Return each value minus the smallest measured one (None stays None)."""
    measured = [v for v in values if v is not None]
    if not measured:
        return [None] * len(values)
    best = min(measured)
    return [None if v is None else v - best for v in values]


def ratio_to_best(values: list[float | None]) -> list[float | None]:
    measured = [v for v in values if v is not None and v > 0]
    if not measured:
        return [None] * len(values)
    best = min(measured)
    return [None if v is None else v / best for v in values]
