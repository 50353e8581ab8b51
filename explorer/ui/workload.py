"""The sidebar: how many recipes, the shared workload, and the GPU for the memory chart."""

from __future__ import annotations

import streamlit as st

from explorer.charts import GPU_MEMORY_GB

from .results import WorkloadChoice
from .slots import MAX_SLOTS

DTYPES = ["float32", "bfloat16", "float16"]


def devices() -> list[str]:
    import torch

    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def render_workload() -> tuple[int, WorkloadChoice, str | None]:
    """Draw the sidebar and return (number of recipes, workload, GPU name or None)."""
    with st.sidebar:
        count = st.slider("Recipes side by side", 2, MAX_SLOTS, 2, key="w.count")
        st.header("Workload")
        batch = st.number_input("Batch (sequences)", min_value=1, max_value=4096, value=1, step=1, key="w.batch")
        seq_len = st.number_input("Sequence length (tokens)", min_value=1, max_value=1_048_576, value=1024, step=1,
                                  key="w.seq_len", help="Also the context at which the KV cache and decode FLOPs are given.")
        dtype = st.selectbox("dtype", DTYPES, key="w.dtype", help="Sets bytes per weight and per KV-cache element.")
        device = st.selectbox("Device", devices(), key="w.device", help="Where latency is timed; CUDA is listed when torch sees a GPU.")
        attention = st.radio("Attention FLOP convention", ["full", "causal"], key="w.attention", horizontal=True,
                             help="full: every query-key pair of the square is priced; causal: only the pairs the mask keeps.")
        latency = st.toggle("Time latency", value=False, key="w.latency",
                            help="Runs the real model at a few sequence lengths; a progress bar shows the timing.")
        st.header("Charts")
        gpu = st.selectbox("GPU memory marked on the KV-cache chart", ["none", *GPU_MEMORY_GB], index=4, key="w.gpu")
    choice = WorkloadChoice(batch=int(batch), seq_len=int(seq_len), dtype=dtype, device=device, attention=attention,
                            latency=bool(latency))
    return count, choice, None if gpu == "none" else gpu
