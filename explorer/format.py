"""Plain-text tables of reports for the terminal: one column per recipe, units on every number."""

from __future__ import annotations

from typing import Any

UNMEASURED = "n/a"


def si(value: float | None, unit: str) -> str:
    """Return ``value`` with a decimal SI prefix (k, M, G, T, P) and ``unit``, or n/a for None."""
    if value is None:
        return UNMEASURED
    for prefix, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def count(value: int | None) -> str:
    return UNMEASURED if value is None else f"{value:,} ({si(value, '').strip()})"


def nbytes(value: int | None) -> str:
    return UNMEASURED if value is None else f"{si(value, 'B')} ({value / 2**30:.3g} GiB)"


def ms(value: float | None) -> str:
    return UNMEASURED if value is None else f"{value:.3g} ms"


def rows(report: dict) -> list[tuple[str, str]]:
    """Return (label, value) rows of one report dict, in display order."""
    p, f, m, w, lat = report["params"], report["flops"], report["memory"], report["workload"], report["latency"]
    out = [
        ("workload", f"batch {w['batch']} x seq_len {w['seq_len']}, {w['dtype']}, {w['device']}"),
        ("params total", count(p["total"])),
        ("params non-embedding", count(p["non_embedding"])),
    ]
    out += [(f"  params {name}", count(value)) for name, value in p["by_component"].items()]
    out += [
        (f"FLOPs forward ({f['convention']} attention)", si(f["forward"], "FLOP")),
        ("FLOPs forward matmul", si(f["forward_matmul"], "FLOP")),
        ("MACs forward matmul (multiply-adds)", si(f["macs_forward"], "MAC")),
        ("FLOPs decode one token", si(f["decode_token"], "FLOP")),
        ("FLOPs train step (fwd+bwd matmul)", si(f["train_step"], "FLOP")),
    ]
    out += [(f"  FLOPs {name}", si(value, "FLOP")) for name, value in f["by_component"].items()]
    out += [(f"  matmul by {name}", si(c["matmul"], "FLOP")) for name, c in f["counters"].items()]
    unsupported = ", ".join(f"{op} x{n}" for op, n in f["unsupported_ops"].items()) or "none"
    out += [("unpriced ops", unsupported), ("FLOP count method", f["method"])]
    out += [
        (f"weights ({m['weights_dtype']})", nbytes(m["weights_bytes"])),
        ("weights int8 / int4", f"{nbytes(m['weights_bytes_by_dtype']['int8'])} / "
                                f"{nbytes(m['weights_bytes_by_dtype']['int4'])}"),
        ("KV cache", nbytes(m["kv_cache_bytes"])),
        ("KV cache per token", nbytes(m["kv_cache_bytes_per_token"])),
        ("KV cache measured", nbytes(m["kv_cache_measured_bytes"])),
        ("activation peak (prefill)", nbytes(m["activation_peak_bytes"])),
    ]
    out += latency_rows(lat)
    return out


def latency_rows(lat: dict | None) -> list[tuple[str, str]]:
    if lat is None:
        return [("latency", "not requested (--latency)")]
    status = "complete" if lat.get("complete") else f"INCOMPLETE: {lat.get('reason')}"
    spread = lat.get("spread") or {}
    return [
        ("latency", f"{status}; {lat.get('device')}, {lat.get('threads', '?')} threads, {lat.get('dtype', '')}"),
        ("prefill", f"{ms(lat.get('prefill_ms'))} (IQR {ms(spread.get('prefill_iqr_ms'))})"),
        ("decode per token", f"{ms(lat.get('decode_ms_per_token'))} (IQR {ms(spread.get('decode_iqr_ms'))})"),
        ("tokens per second", UNMEASURED if lat.get("tokens_per_second") is None else f"{lat['tokens_per_second']:.3g}"),
    ]


def table(reports: list[dict], titles: list[str]) -> str:
    """Return the reports side by side: a label column, then one column per report."""
    columns = [rows(r) for r in reports]
    labels = [label for label, _ in columns[0]]
    header = ["", *titles]
    body = [[label, *(col[i][1] for col in columns)] for i, label in enumerate(labels)]
    widths = [max(len(str(row[j])) for row in [header, *body]) for j in range(len(header))]
    lines = ["  ".join(str(cell).ljust(widths[j]) for j, cell in enumerate(row)).rstrip() for row in [header, *body]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def notes(report: dict) -> list[str]:
    """Return the method notes printed under a table, so every figure states how it was obtained."""
    f, m = report["flops"], report["memory"]
    return [f"attention convention: {f['convention_note']}", f"MACs: {f['macs_note']}",
            f"train step: {f['train_step_method']}", f"KV cache measured: {m['kv_cache_measured_method']}",
            f"activation peak: {m['activation_method']}"]


