"""Ratings derived from measurements, and the usual ratings they are checked against.

Every rating in the comparison tables comes from one of two stated rules applied to measured
numbers, never from a typed-in word:

- ``RelativeRule`` rates a cost against the cheapest row of the same table: within 5% of the best
  is "low", within 50% is "medium", anything more is "high".
- Timed costs first pass ``same_within_spread``: two medians whose difference is no larger than
  the sum of their spreads are "no difference", so a timing is never ranked on noise.

The usual ratings ("RoPE: low memory") are ``Claim`` objects. ``check_claim`` compares a claim
with the derived rating and writes one plain sentence that says whether the measurement agrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LEVELS = ("low", "medium", "high")
NO_DIFFERENCE = "no difference"


@dataclass(frozen=True)
class RelativeRule:
    """Rate a cost by its excess over the cheapest row: at most ``low_within`` is low, and so on."""

    low_within: float = 0.05
    medium_within: float = 0.50

    def rate(self, value: float | None, best: float | None) -> str | None:
        """Return "low", "medium" or "high" for ``value`` against ``best``; None when either is missing."""
        if value is None or best is None or not math.isfinite(value) or not math.isfinite(best):
            return None
        if best <= 0:
            # A zero best (no extra parameters, no extra memory) has no ratio: equal is low, more is high.
            return "low" if value <= 0 else "high"
        excess = (value - best) / best
        if excess <= self.low_within:
            return "low"
        if excess <= self.medium_within:
            return "medium"
        return "high"

    def describe(self) -> str:
        return (f"within {self.low_within:.0%} of the best row is low, within {self.medium_within:.0%} "
                "is medium, more is high")


DEFAULT_RULE = RelativeRule()


def best_of(values: list[float | None]) -> float | None:
    """Return the smallest measured value, ignoring the ones that were not measured."""
    measured = [v for v in values if v is not None and math.isfinite(v)]
    return min(measured) if measured else None


def rate_column(values: list[float | None], rule: RelativeRule = DEFAULT_RULE) -> list[str | None]:
    """Rate every value of one column against the column's smallest value."""
    best = best_of(values)
    return [rule.rate(v, best) for v in values]


def same_within_spread(a: float, spread_a: float, b: float, spread_b: float) -> bool:
    """Return True when two timed medians differ by no more than the sum of their spreads."""
    return abs(a - b) <= spread_a + spread_b


def rate_timed_column(medians: list[float | None], spreads: list[float | None],
                      rule: RelativeRule = DEFAULT_RULE) -> list[str | None]:
    """Rate timings against the fastest; a timing within the spread of the fastest is "low".

    The fastest median is the reference. A row whose difference from it is inside the two
    spreads gets "low" (no measurable difference); the others go through ``rule``.
    """
    best = best_of(medians)
    if best is None:
        return [None] * len(medians)
    best_index = medians.index(best)
    best_spread = spreads[best_index] or 0.0
    ratings: list[str | None] = []
    for median, spread in zip(medians, spreads):
        if median is None:
            ratings.append(None)
        elif same_within_spread(median, spread or 0.0, best, best_spread):
            ratings.append("low")
        else:
            ratings.append(rule.rate(median, best))
    return ratings


def compare_pair(value: float | None, reference: float | None, spread: float = 0.0, reference_spread: float = 0.0,
                 tolerance: float = DEFAULT_RULE.low_within) -> str | None:
    """Return "higher", "lower" or "no difference" for ``value`` against ``reference``.

    Values within ``tolerance`` (a share of the reference) or within the two spreads are
    "no difference".
    """
    if value is None or reference is None:
        return None
    if same_within_spread(value, spread, reference, reference_spread):
        return NO_DIFFERENCE
    if reference != 0 and abs(value - reference) <= tolerance * abs(reference):
        return NO_DIFFERENCE
    return "higher" if value > reference else "lower"


@dataclass(frozen=True)
class Claim:
    """A usual rating of one row on one metric, in the words guides use.

    ``levels`` are the derived ratings that agree with the words ("medium-high" agrees with
    medium or high). A comparative claim ("higher compute than GELU") instead lists
    ``comparisons`` as (other row, "higher" | "lower") pairs, and agrees only when all hold.
    """

    row: str
    metric: str
    words: str
    levels: tuple[str, ...] = ()
    comparisons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    agrees: bool | None
    text: str


def check_claim(claim: Claim, row_label: str, measured_text: str, level: str | None,
                outcomes: dict[str, str | None] | None = None, labels: dict[str, str] | None = None) -> Verdict:
    """Compare a claim with what was measured and say the result in one plain sentence.

    ``level`` is the row's derived rating. For a comparative claim, ``outcomes`` maps each
    compared row to the result of ``compare_pair`` ("higher", "lower", "no difference"), and
    ``labels`` gives the names to print for those rows.
    """
    labels = labels or {}
    said = f'The usual rating calls {row_label} "{claim.words}"'
    if claim.comparisons:
        outcomes = outcomes or {}
        found = [outcomes.get(other) for other, _ in claim.comparisons]
        if any(result is None for result in found):
            return Verdict(claim, None, f"{said}; this was not measured here, so it is neither confirmed nor refuted.")
        agrees = all(result == direction for result, (_, direction) in zip(found, claim.comparisons))
        names = [labels.get(other, other) for other, _ in claim.comparisons]
        parts = [f"no difference from {name}" if result == NO_DIFFERENCE else f"{result} than {name}"
                 for result, name in zip(found, names)]
        found_text = " and ".join(parts)
    else:
        if level is None:
            return Verdict(claim, None, f"{said}; this was not measured here, so it is neither confirmed nor refuted.")
        agrees = level in claim.levels
        found_text = f"rated {level}"
    outcome = "the measurement agrees" if agrees else "the measurement disagrees"
    return Verdict(claim, agrees, f"{said}; measured {measured_text}, {found_text}: {outcome}.")
