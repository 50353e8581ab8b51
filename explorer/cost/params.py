"""Parameter counts that the cost estimates scale with, taken from explorer.params."""

from __future__ import annotations

from dataclasses import dataclass

from model import DecoderConfig

from ..params import count_params


@dataclass(frozen=True)
class ParameterCounts:
    """Unique parameters (a tied matrix counts once) and the part of them in norm layers."""

    total: int
    norm: int


def parameter_counts(config: DecoderConfig) -> ParameterCounts:
    counts = count_params(config)
    return ParameterCounts(total=counts["total"], norm=counts["by_component"]["norm"])
