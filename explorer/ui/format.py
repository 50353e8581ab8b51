"""Number formatting for the page: counts, FLOPs, bytes and times with their units.

Plain functions with no Streamlit import, so the tests check them directly. A value that was
not measured is ``None`` and prints as "not measured", never as 0.
"""

from __future__ import annotations

NOT_MEASURED = "not measured"


def _scaled(value: float, units: list[tuple[float, str]], digits: int = 2) -> str:
    for scale, unit in units:
        if abs(value) >= scale:
            return f"{value / scale:,.{digits}f} {unit}"
    scale, unit = units[-1]
    return f"{value / scale:,.{digits}f} {unit}"


def count(n: int | float | None) -> str:
    """Format a parameter count with a decimal prefix (124.44 M)."""
    if n is None:
        return NOT_MEASURED
    return _scaled(n, [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"), (1, "")]).rstrip()


def flops(n: int | float | None) -> str:
    """Format a FLOP count (2 FLOPs per multiply-add) with a decimal prefix."""
    if n is None:
        return NOT_MEASURED
    return _scaled(n, [(1e15, "PFLOP"), (1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP"), (1e3, "kFLOP"), (1, "FLOP")])


def nbytes(n: int | float | None) -> str:
    """Format a byte count with binary prefixes (MiB, GiB)."""
    if n is None:
        return NOT_MEASURED
    return _scaled(n, [(2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"), (1, "B")])


def millis(ms: float | None) -> str:
    if ms is None:
        return NOT_MEASURED
    return f"{ms:,.3g} ms" if ms < 100 else f"{ms:,.0f} ms"


def relative_change(value: float | None, reference: float | None) -> str | None:
    """Return the change from ``reference`` as a signed percentage, or None if either is missing."""
    if value is None or reference is None or reference == 0:
        return None
    change = (value - reference) / reference * 100
    if abs(change) < 0.05:
        return "±0.0%"
    return f"{change:+.1f}%"
