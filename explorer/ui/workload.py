"""The sidebar: how many recipes, the shared workload, and the GPU for the memory chart."""

from __future__ import annotations

import streamlit as st

from explorer.hardware import load_hardware

from .results import WorkloadChoice
from .slots import MAX_SLOTS

DTYPES = ["float32", "bfloat16", "float16"]
DEFAULTS = {"w.count": 2, "w.batch": 1, "w.seq_len": 1024, "w.latency": False, "w.gpu": "h100-sxm"}


def devices() -> list[str]:
    import torch

    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


@st.cache_data(show_spinner=False)
def gpu_memory() -> dict[str, tuple[str, float]]:
    """Return (name, memory in bytes) of each accelerator in the project's hardware table, by key."""
    return {key: (a.name, a.memory_bytes) for key, a in load_hardware().items()}


def render_workload() -> tuple[int, WorkloadChoice, tuple[str, float] | None]:
    """Draw the sidebar and return (number of recipes, workload, (GPU name, memory bytes) or None)."""
    gpus = gpu_memory()
    for key, value in DEFAULTS.items():  # defaults through session state, so tests and links may preset them
        st.session_state.setdefault(key, value)
    if st.session_state["w.gpu"] not in gpus:
        st.session_state["w.gpu"] = "none"
    with st.sidebar:
        count = st.slider("Recipes side by side", 2, MAX_SLOTS, key="w.count")
        st.header("Workload")
        batch = st.number_input("Batch (sequences)", min_value=1, max_value=4096, step=1, key="w.batch")
        seq_len = st.number_input("Sequence length (tokens)", min_value=1, max_value=1_048_576, step=1,
                                  key="w.seq_len", help="Also the context at which the KV cache and decode FLOPs are given.")
        dtype = st.selectbox("dtype", DTYPES, key="w.dtype", help="Sets bytes per weight and per KV-cache element.")
        device = st.selectbox("Device", devices(), key="w.device", help="Where latency is timed; CUDA is listed when torch sees a GPU.")
        attention = st.radio("Attention FLOP convention", ["full", "causal"], key="w.attention", horizontal=True,
                             help="full: every query-key pair of the square is priced; causal: only the pairs the mask keeps.")
        latency = st.toggle("Time latency", key="w.latency",
                            help="Runs the real model at a few sequence lengths; a progress bar shows the timing.")
        st.header("Charts")
        gpu = st.selectbox("GPU memory marked on the KV-cache chart", ["none", *gpus], key="w.gpu",
                           format_func=lambda key: gpus[key][0] if key in gpus else key, help="Datasheet memory from the project's hardware table.")
    choice = WorkloadChoice(batch=int(batch), seq_len=int(seq_len), dtype=dtype, device=device, attention=attention,
                            latency=bool(latency))
    return count, choice, gpus.get(gpu)
