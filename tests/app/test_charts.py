"""Plotly figures from explorer's numbers: one trace per component or recipe, axes and markers."""

from explorer import charts
from explorer.flops.closed_form import forward_flops
from explorer.memory import kv_cache_bytes
from explorer.params import count_params
from model import DecoderConfig

GPT2 = DecoderConfig.from_preset("gpt2-small")
LLAMA = DecoderConfig.from_preset("llama-style-124m")
LABELS = ["1. gpt2-small", "2. llama-style-124m"]


def reports() -> list[dict]:
    """Report-shaped dicts from explorer's parameter counter and closed-form FLOPs."""
    out = []
    for config in (GPT2, LLAMA):
        flops = forward_flops(config, 1, 1024)
        by_component = {k: v for k, v in flops.items() if k not in ("matmul", "total")}
        out.append({
            "params": count_params(config),
            "flops": {"by_component": by_component},
            "memory": {"weights_bytes": count_params(config)["total"] * 4,
                       "kv_cache_bytes": kv_cache_bytes(config, 1024, 1, "float32"),
                       "activation_peak_bytes": None},
        })
    return out


def test_params_chart_stacks_components_in_order():
    fig = charts.params_by_component(LABELS, reports())
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == ["embedding", "position", "attention", "feed forward", "norm", "output head"]
    assert sum(t.y[0] for t in fig.data) == 124_439_808


def test_flops_chart_sums_to_total():
    fig = charts.flops_by_component(LABELS, reports())
    assert sum(t.y[1] for t in fig.data) == forward_flops(LLAMA, 1, 1024)["total"]


def test_memory_breakdown_leaves_unmeasured_out():
    fig = charts.memory_breakdown(LABELS, reports())
    activations = [t for t in fig.data if t.name.startswith("activations")][0]
    assert list(activations.y) == [None, None]
    assert list(activations.hovertext) == ["not measured", "not measured"]


def test_kv_curves_are_log_axes_per_recipe():
    curves = charts.kv_cache_curves([GPT2, LLAMA], batch=1, dtype="bfloat16")
    assert curves[0][charts.CONTEXTS.index(1024)] == 2 * 12 * 12 * 64 * 1024 * 2
    assert curves[1][0] * 3 == curves[0][0]  # 4 KV heads against 12
    fig = charts.kv_cache_vs_context(LABELS, curves)
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.yaxis.type == "log"
    assert len(fig.data) == 2


def test_kv_chart_marks_where_gpu_fills():
    curves = charts.kv_cache_curves([GPT2, LLAMA], batch=64, dtype="bfloat16")
    weights = [count_params(c)["total"] * 2 for c in (GPT2, LLAMA)]
    fig = charts.kv_cache_vs_context(LABELS, curves, gpu=("H100", 80e9), weights_bytes=weights, batch=64)
    crosses = [t for t in fig.data if t.marker.symbol == "x"]
    assert len(crosses) == 2
    per_token = curves[0][-1] / charts.CONTEXTS[-1]
    assert abs(crosses[0].x[0] - (80e9 - weights[0]) / per_token) < 1
    assert crosses[1].x[0] > crosses[0].x[0]  # GQA's smaller cache lasts longer
    line = [t for t in fig.data if t.name == "H100 memory"][0]
    assert list(line.y) == [80e9 / 2**30] * 2


def test_context_limit_when_weights_exceed_gpu():
    assert charts.context_limit(16e9, 20e9, 1000) is None
    assert charts.context_limit(16e9, 6e9, 1000) == 1e7


def test_decode_flops_grow_with_context():
    curves = charts.decode_flops_curves([GPT2])
    assert all(a < b for a, b in zip(curves[0], curves[0][1:]))
    fig = charts.flops_per_token_vs_context(LABELS[:1], curves)
    assert fig.layout.xaxis.type == "log"


def test_latency_chart_has_prefill_and_decode_panels():
    points = [{128: {"prefill_ms": 5.0, "decode_ms_per_token": 1.0}, 256: {"prefill_ms": 9.0, "decode_ms_per_token": 1.1}}]
    fig = charts.latency_vs_seq_len(LABELS[:1], points, device="cpu")
    assert len(fig.data) == 2
    assert list(fig.data[0].y) == [5.0, 9.0]
    assert list(fig.data[1].y) == [1.0, 1.1]


def test_kv_chart_dashes_beyond_max_seq_len():
    curves = charts.kv_cache_curves([GPT2, LLAMA], batch=1, dtype="bfloat16")
    weights = [count_params(c)["total"] * 2 for c in (GPT2, LLAMA)]
    fig = charts.kv_cache_vs_context(LABELS, curves, gpu=("H100", 80e9), weights_bytes=weights,
                                     max_seq_lens=[1024, 1500])
    gpt2 = [t for t in fig.data if t.legendgroup == LABELS[0]]
    solid, beyond, marker = gpt2
    assert solid.name == LABELS[0]
    assert solid.x[-1] == 1024
    assert solid.line.dash is None
    assert beyond.name == "1. gpt2-small: beyond max_seq_len (1,024)"
    assert beyond.line.dash == "dash"
    assert beyond.x[0] == 1024
    assert beyond.x[-1] == charts.CONTEXTS[-1]
    assert marker.marker.symbol == "diamond"
    assert list(marker.x) == [1024]
    assert marker.y[0] == kv_cache_bytes(GPT2, 1024, 1, "bfloat16") / 2**30

    llama_marker = [t for t in fig.data if t.legendgroup == LABELS[1] and t.mode == "markers"][0]
    assert list(llama_marker.x) == [1500]
    assert abs(llama_marker.y[0] - kv_cache_bytes(LLAMA, 1500, 1, "bfloat16") / 2**30) < 1e-12
    assert any(t.name == "H100 memory" for t in fig.data)


def test_kv_chart_limit_past_contexts_is_solid():
    curves = charts.kv_cache_curves([GPT2], batch=1, dtype="bfloat16")
    fig = charts.kv_cache_vs_context(LABELS[:1], curves, max_seq_lens=[2**30])
    assert len(fig.data) == 1
    assert fig.data[0].x[-1] == charts.CONTEXTS[-1]


def test_kv_chart_limit_below_contexts_is_dashed():
    curves = charts.kv_cache_curves([GPT2], batch=1, dtype="bfloat16")
    fig = charts.kv_cache_vs_context(LABELS[:1], curves, max_seq_lens=[64])
    assert len(fig.data) == 1
    assert fig.data[0].line.dash == "dash"
    assert fig.data[0].x[0] == charts.CONTEXTS[0]


def test_decode_flops_chart_marks_max_seq_len():
    curves = charts.decode_flops_curves([GPT2])
    fig = charts.flops_per_token_vs_context(LABELS[:1], curves, max_seq_lens=[GPT2.max_seq_len])

    solid, dashed, marker = fig.data
    assert solid.x[-1] == GPT2.max_seq_len
    assert dashed.line.dash == "dash"
    assert dashed.x[0] == GPT2.max_seq_len
    assert marker.marker.symbol == "diamond"
    assert marker.x[0] == GPT2.max_seq_len
