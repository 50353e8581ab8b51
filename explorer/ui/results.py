"""Cached calls into explorer for the page: reports, curves, layer stacks and latency points.

Every cached function is keyed by the recipe JSON (sorted keys, so one recipe is one key) and
the workload as plain values, and caches one recipe at a time, so changing one slot leaves the
others' entries in place. ``st.cache_data`` hands each caller a copy of the stored value, so no
session can modify what another sees. ``max_entries`` bounds the memory a long session can pin.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import streamlit as st

from explorer import charts
from explorer.diagram import StackStep, layer_stack
from model import DecoderConfig

ENTRIES = 24  # about six full sets of four recipes


@dataclass(frozen=True)
class WorkloadChoice:
    """The shared workload as the sidebar sets it."""

    batch: int
    seq_len: int
    dtype: str
    device: str
    attention: str
    latency: bool

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    def workload(self, **changes):
        """Return explorer's ``Workload`` for this choice, with some fields changed."""
        from explorer.measure import Workload

        values = {**self.__dict__, **changes}
        return Workload(batch=values["batch"], seq_len=values["seq_len"], dtype=values["dtype"],
                        device=values["device"], attention=values["attention"], latency=values["latency"])


def measurement_available() -> bool:
    try:
        import explorer.measure  # noqa: F401
    except ImportError:
        return False
    return True


@st.cache_resource(max_entries=8, show_spinner=False)
def model_for(recipe_json: str, device: str, dtype: str):
    """Build the real model once per recipe, device and dtype; callers must not modify it."""
    import torch

    from model import build_model

    return build_model(DecoderConfig.from_json(recipe_json), device=device, dtype=getattr(torch, dtype)).eval()


@st.cache_data(max_entries=ENTRIES, show_spinner=False)
def report(recipe_json: str, workload_json: str) -> dict:
    """Return ``measure(config, workload).to_dict()`` with latency off."""
    from explorer.measure import measure

    choice = WorkloadChoice(**json.loads(workload_json))
    return measure(DecoderConfig.from_json(recipe_json), choice.workload(latency=False)).to_dict()


@st.cache_data(max_entries=4 * ENTRIES, show_spinner=False)
def latency_point(recipe_json: str, workload_json: str, seq_len: int) -> dict | None:
    """Return the measured latency dict of one recipe at one sequence length."""
    from explorer.measure import measure

    choice = WorkloadChoice(**json.loads(workload_json))
    result = measure(DecoderConfig.from_json(recipe_json), choice.workload(seq_len=seq_len, latency=True)).to_dict()
    return result.get("latency")


@st.cache_data(max_entries=ENTRIES, show_spinner=False)
def stack(recipe_json: str) -> list[StackStep]:
    return layer_stack(DecoderConfig.from_json(recipe_json))


@st.cache_data(max_entries=ENTRIES, show_spinner=False)
def kv_curve(recipe_json: str, batch: int, dtype: str) -> list[int]:
    return charts.kv_cache_curves([DecoderConfig.from_json(recipe_json)], batch, dtype)[0]


@st.cache_data(max_entries=ENTRIES, show_spinner=False)
def decode_curve(recipe_json: str) -> list[int]:
    return charts.decode_flops_curves([DecoderConfig.from_json(recipe_json)])[0]


def latency_lengths(seq_len: int, max_seq_len: int) -> list[int]:
    """Sequence lengths to time: powers of two from 32 up to the workload's length, then it."""
    top = min(seq_len, max_seq_len)
    lengths = [n for n in (32, 64, 128, 256, 512, 1024, 2048, 4096, 8192) if n < top]
    return lengths[-4:] + [top]
