"""The accelerator table: memory, bandwidth and dense peak FLOP/s, each entry with its source.

Built-in figures live in ``explorer/data/hardware.json``. Users add or override entries with a
JSON file of the same form (``{"accelerators": {"key": {...}}}``), validated field by field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

BUILTIN = Path(__file__).resolve().parent / "data" / "hardware.json"
REQUIRED = ("name", "memory_gb", "bandwidth_gb_s", "source")
FLOPS_FIELDS = ("bf16_tflops", "fp16_tflops", "fp8_tflops")
OPTIONAL = ("url", "note") + FLOPS_FIELDS


@dataclass(frozen=True)
class Accelerator:
    """One accelerator's datasheet figures in base units (bytes, bytes/s, FLOP/s)."""

    key: str
    name: str
    memory_bytes: float
    bandwidth: float
    bf16_flops: float | None
    fp16_flops: float | None
    fp8_flops: float | None
    source: str
    url: str = ""
    note: str = ""

    @property
    def dense_16bit_flops(self) -> float | None:
        """The bf16 peak, or the fp16 one on chips without bf16 (T4)."""
        return self.bf16_flops if self.bf16_flops is not None else self.fp16_flops


def _number(where: str, name: str, value, nullable: bool) -> float | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        allowed = "a positive number or null" if nullable else "a positive number"
        raise ValueError(f"invalid {where}.{name}={value!r}: expected {allowed}")
    return float(value)


def parse_accelerator(key: str, entry, origin: str) -> Accelerator:
    where = f"{origin}: accelerators.{key}"
    if not isinstance(entry, dict):
        raise ValueError(f"invalid {where}: expected an object with {', '.join(REQUIRED)}")
    missing = [name for name in REQUIRED if name not in entry]
    if missing:
        raise ValueError(f"invalid {where}: missing {', '.join(missing)} (required: {', '.join(REQUIRED)})")
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"invalid {where}.{unknown[0]}: unknown field (allowed: {', '.join(REQUIRED + OPTIONAL)})")
    for text in ("name", "source", "url", "note"):
        if text in entry and not isinstance(entry[text], str):
            raise ValueError(f"invalid {where}.{text}={entry[text]!r}: expected a string")
    if not entry["source"].strip():
        raise ValueError(f"invalid {where}.source: empty; name the datasheet or measurement the figures come from")
    flops = {name: _number(where, name, entry.get(name), nullable=True) for name in FLOPS_FIELDS}
    return Accelerator(
        key=key,
        name=entry["name"],
        memory_bytes=_number(where, "memory_gb", entry["memory_gb"], nullable=False) * 1e9,
        bandwidth=_number(where, "bandwidth_gb_s", entry["bandwidth_gb_s"], nullable=False) * 1e9,
        bf16_flops=None if flops["bf16_tflops"] is None else flops["bf16_tflops"] * 1e12,
        fp16_flops=None if flops["fp16_tflops"] is None else flops["fp16_tflops"] * 1e12,
        fp8_flops=None if flops["fp8_tflops"] is None else flops["fp8_tflops"] * 1e12,
        source=entry["source"],
        url=entry.get("url", ""),
        note=entry.get("note", ""),
    )


def parse_table(data, origin: str) -> dict[str, Accelerator]:
    if not isinstance(data, dict) or not isinstance(data.get("accelerators"), dict):
        raise ValueError(f"invalid {origin}: expected a JSON object with an 'accelerators' object")
    table = {}
    for key, entry in data["accelerators"].items():
        if not key or not all(c.isalnum() or c in "-_." for c in key):
            raise ValueError(f"invalid {origin}: accelerator key {key!r} may use only letters, digits, '-', '_' and '.'")
        table[key] = parse_accelerator(key, entry, origin)
    return table


def load_hardware(extra: str | Path | None = None) -> dict[str, Accelerator]:
    """Return the built-in table, with the entries of the JSON file ``extra`` added or overriding."""
    table = parse_table(json.loads(BUILTIN.read_text()), BUILTIN.name)
    if extra is not None:
        from .spec import read_json_file

        path = Path(extra)
        if not path.exists():
            raise ValueError(f"invalid --hardware file {str(path)!r}: No such file or directory")
        table.update(parse_table(read_json_file(path, "--hardware file"), str(path)))
    return table


def get_accelerator(table: dict[str, Accelerator], key: str) -> Accelerator:
    if key not in table:
        raise ValueError(f"invalid gpu={key!r}: expected one of {', '.join(sorted(table))}, or add it with --hardware FILE")
    return table[key]
