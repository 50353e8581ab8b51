"""Assemble every comparison table from measurements of real models at the chosen size."""

from __future__ import annotations

import datetime
import os
import platform
from typing import Callable

import torch

from .attention_table import build_attention_table
from .component_tables import build_feed_forward_table, build_norm_table
from .measurements import Measurer, Progress
from .positions_table import build_positions_table
from .quality_link import load_summary
from .recipe_table import build_recipe_table
from .recipes import TableSettings
from .table import Table

TABLE_KEYS = ("positions", "attention", "feed_forward", "norm", "recipes")


def machine_description(settings: TableSettings) -> dict:
    """Describe where the numbers were measured: device, threads, dtype, versions and date."""
    device = settings.device
    if device == "cuda" and torch.cuda.is_available():
        device = f"cuda ({torch.cuda.get_device_name()})"
    return {
        "device": device,
        "threads": torch.get_num_threads(),
        "dtype": settings.dtype,
        "cpu": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "date": datetime.date.today().isoformat(),
        "load": load_description(),
    }


def load_description() -> str:
    """Describe the machine's load when the tables were built, since other processes skew timings."""
    try:
        one_minute = os.getloadavg()[0]
    except OSError:
        return "Load average: unavailable on this platform."
    cpus = os.cpu_count() or 1
    text = (f"Load average {one_minute:.1f} over the last minute on {cpus} logical CPUs; "
            "other processes running at the same time widen the timing spreads.")
    if one_minute > cpus:
        text += (" The load exceeded the CPU count, so the timing columns and the verdicts drawn from them are "
                 "unreliable in this run; rerun on an idle machine before trusting them.")
    return text


def build_tables(settings: TableSettings, progress: Progress | None = None,
                 only: tuple[str, ...] = TABLE_KEYS, measure: Measurer | None = None) -> dict:
    """Measure and return {"settings", "machine", "tables": [Table, ...]} for the tables in ``only``.

    ``measure`` defaults to a Measurer over ``explorer.measure``; tests pass one with fixed numbers.
    """
    unknown = [key for key in only if key not in TABLE_KEYS]
    if unknown:
        raise ValueError(f"invalid table {unknown[0]!r}: expected one of {', '.join(TABLE_KEYS)}")
    measure = measure or Measurer(settings, progress)
    quality = load_summary(settings.quality_dir) if {"positions", "feed_forward"} & set(only) else None
    builders: dict[str, Callable[[], Table]] = {
        "positions": lambda: build_positions_table(settings, measure, quality),
        "attention": lambda: build_attention_table(settings, measure),
        "feed_forward": lambda: build_feed_forward_table(settings, measure, quality),
        "norm": lambda: build_norm_table(settings, measure),
        "recipes": lambda: build_recipe_table(settings, measure),
    }
    tables = []
    for key in only:
        if progress:
            progress(f"building the {key} table")
        tables.append(builders[key]())
    return {"settings": settings, "machine": machine_description(settings), "tables": tables}
