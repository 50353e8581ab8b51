"""The Cost tab: training memory, GPUs, time and money, serving memory and the roofline, per recipe.

Layout and widgets only; every number comes from ``explorer.cost``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer.cost import OPTIMIZERS, RECOMPUTE_MODES, SERVE_DTYPES, ZERO_STAGES, ServingSetup, TrainingSetup, cost_report
from explorer.cost import charts
from explorer.cost.here import measure_machine_at_hand
from explorer.cost.serving import decode_point, prefill_point
from explorer.hardware import load_hardware
from model import DecoderConfig

from .format import NOT_MEASURED, count, nbytes

DEFAULT_GPU = "h100-sxm"
COST_ROW = "cost (in the currency of the price per GPU-hour)"


@st.cache_data(show_spinner=False)
def _machine_at_hand(config_json: str, batch: int, seq_len: int, dtype: str, device: str):
    return measure_machine_at_hand(DecoderConfig.from_json(config_json), batch, seq_len, dtype, device)


def _settings(table) -> dict:
    keys = list(table)
    left, middle, right = st.columns(3)
    with left:
        gpu = st.selectbox("GPU type", keys, index=keys.index(DEFAULT_GPU) if DEFAULT_GPU in keys else 0, key="cost-gpu",
                           format_func=lambda key: table[key].name)
        gpus = st.number_input("GPUs", min_value=1, max_value=1_000_000, value=8, step=1, key="cost-gpus")
        tp = st.number_input("Tensor-parallel degree", min_value=1, max_value=1024, value=1, step=1, key="cost-tp",
                             help="Must divide the GPU count and each recipe's n_head.")
        zero = st.selectbox("ZeRO stage", ZERO_STAGES, index=3, key="cost-zero",
                            help="1 shards optimizer states, 2 also gradients, 3 (FSDP full shard) also weights.")
    with middle:
        optimizer = st.selectbox("Optimizer", list(OPTIMIZERS), index=list(OPTIMIZERS).index("adamw-mixed"),
                                 key="cost-optimizer", help=" · ".join(p.description for p in OPTIMIZERS.values()))
        micro_batch = st.number_input("Micro-batch (sequences per GPU)", min_value=1, max_value=4096, value=1,
                                      key="cost-micro-batch")
        recompute = st.selectbox("Activation recomputation", RECOMPUTE_MODES, key="cost-recompute")
        tokens = st.number_input("Training tokens (0: Chinchilla, 20 per parameter)", min_value=0.0, value=0.0,
                                 format="%.3g", key="cost-tokens")
    with right:
        mfu = st.slider("MFU (share of the dense 16-bit peak)", 0.05, 1.0, 0.4, 0.05, key="cost-mfu")
        price = st.number_input("Price per GPU-hour (any currency)", min_value=0.0, value=2.5, step=0.1, key="cost-price",
                                help="The cost is given in the same currency.")
        serve_dtype = st.selectbox("Serving dtype", list(SERVE_DTYPES), index=1, key="cost-serve-dtype",
                                   help="int8 and int4 are weight-only; the KV cache stays bf16.")
        serve_batch = st.number_input("Serving batch", min_value=1, max_value=4096, value=1, key="cost-serve-batch")
    return dict(gpu=gpu, gpus=int(gpus), tp=int(tp), zero=int(zero), optimizer=optimizer, micro_batch=int(micro_batch),
                recompute=recompute, tokens=float(tokens) or None, mfu=float(mfu), price=float(price),
                serve_dtype=serve_dtype, serve_batch=int(serve_batch))


def _row(report: dict) -> dict:
    t, c, s = report["training"], report["compute"], report["serving"]
    smallest = t["smallest_gpu_count"]
    return {
        "parameters": count(report["parameters"]),
        "training memory per GPU": nbytes(t["memory_per_gpu"]["total"]),
        "fits one GPU's memory": "yes" if t["fits"] else "no",
        "smallest GPU count": "none fits" if smallest is None else f"{smallest:,}",
        "training tokens": f"{c['tokens']:.3g} ({c['tokens_rule']})",
        "training FLOPs": f"{c['flops']:.3g}",
        "GPU-hours": f"{c['gpu_hours']:,.0f}",
        "days": f"{c['days']:,.1f}",
        COST_ROW: NOT_MEASURED if c["cost"] is None else f"{c['cost']:,.0f}",
        "serving weights": nbytes(s["weights_bytes"]),
        "KV cache": nbytes(s["kv_cache_bytes"]),
        "largest serving batch": f"{s['largest_batch']:,}",
    }


def render(recipes: list[DecoderConfig], workload, slots: list[int] | None = None) -> None:
    """Draw the Cost tab for ``recipes``, which sit in the page's recipe ``slots`` (0, 1, … when None).

    ``workload`` gives the training and serving sequence length.
    """
    table = load_hardware()
    options = _settings(table)
    gpu = table[options["gpu"]]
    st.caption(f"{gpu.name}: {nbytes(gpu.memory_bytes)} ({gpu.memory_bytes / 1e9:g} GB), "
               f"{gpu.bandwidth / 1e9:,.0f} GB/s, {(gpu.dense_16bit_flops or 0) / 1e12:,.1f} dense 16-bit TFLOP/s. "
               f"Source: {gpu.source}. {gpu.note}")

    reports, columns = [], {}
    slots = list(range(len(recipes))) if slots is None else list(slots)
    for slot, config in zip(slots, recipes):
        label = f"{slot + 1}. {config.name}"
        try:
            training = TrainingSetup(optimizer=options["optimizer"], gpus=options["gpus"], tp=options["tp"],
                                     zero=options["zero"], micro_batch=options["micro_batch"],
                                     seq_len=workload.seq_len, recompute=options["recompute"])
            serving = ServingSetup(dtype=options["serve_dtype"], batch=options["serve_batch"], context=workload.seq_len)
            report = cost_report(config, gpu, training, serving, table, options["tokens"], options["mfu"], options["price"])
        except ValueError as err:
            st.error(f"{label}: {err}")
            continue
        report["recipe"] = label
        reports.append((config, report))
        columns[label] = _row(report)
    if not reports:
        return

    st.dataframe(pd.DataFrame(columns), key="cost-numbers")
    st.caption("Memory in the table and the charts is in binary units: 1 GiB = 2^30 bytes, 1 MiB = 2^20 bytes.")
    only_reports = [report for _, report in reports]
    left, right = st.columns(2)
    left.plotly_chart(charts.memory_breakdown(only_reports, gpu), key="cost-training-memory")
    right.plotly_chart(charts.serving_breakdown(only_reports, gpu), key="cost-serving-memory")

    points, machine = [], []
    peak = gpu.dense_16bit_flops
    for config, report in reports:
        if peak is not None:
            for make in (prefill_point, decode_point):
                points.append((report["recipe"], make(config, options["serve_batch"], workload.seq_len,
                                                      options["serve_dtype"], gpu.key, peak, gpu.bandwidth)))
        if workload.latency and workload.device != "meta":
            with st.spinner(f"measuring peaks and latency of {report['recipe']} on {workload.device}"):
                machine.append((report["recipe"], _machine_at_hand(config.to_json(), workload.batch, workload.seq_len,
                                                                   workload.dtype, workload.device)))
    st.plotly_chart(charts.roofline(points, [gpu], machine), key="cost-roofline")
    if machine:
        rows = {}
        for recipe, here in machine:
            rows[recipe] = {
                "measured matmul peak": f"{here.peak.matmul_flops / 1e9:,.1f} GFLOP/s",
                "measured copy bandwidth": f"{here.peak.copy_bandwidth / 1e9:,.1f} GB/s",
                "prefill MFU": NOT_MEASURED if here.measured_prefill is None else f"{here.measured_prefill.fraction_of_peak:.1%}",
                "decode bandwidth use": NOT_MEASURED if here.measured_decode is None else f"{here.measured_decode.fraction_of_peak:.1%}",
            }
        st.dataframe(pd.DataFrame(rows), key="cost-machine-at-hand")
    else:
        st.caption("Turn on latency timing in the sidebar to place this machine's measured prefill and decode "
                   "on the roofline, against its measured matmul and copy peaks.")
    st.caption("Estimates: ZeRO buffers, gradient buckets, allocator fragmentation and the CUDA context are not "
               "counted. Roofline tokens/s are upper bounds.")
