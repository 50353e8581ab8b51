"""measure(): the report's keys, the memory guard, latency and progress."""

import pytest

from explorer.measure import Workload, measure
from model import DecoderConfig

TINY = DecoderConfig(name="tiny", vocab_size=64, max_seq_len=32, n_layer=2, d_model=32, n_head=4, n_kv_head=2,
                     position={"kind": "rope"}, feed_forward={"kind": "swiglu"}, norm={"kind": "rmsnorm"})


def test_report_has_cli_keys():
    report = measure(TINY, Workload(batch=2, seq_len=16)).to_dict()
    for key in ("total", "non_embedding", "by_component"):
        assert key in report["params"]
    for key in ("forward", "forward_matmul", "decode_token", "train_step", "macs_forward", "convention",
                "by_component", "counters", "unsupported_ops"):
        assert key in report["flops"]
    for key in ("weights_bytes", "weights_bytes_by_dtype", "kv_cache_bytes", "kv_cache_bytes_per_token",
                "kv_cache_measured_bytes", "activation_peak_bytes", "activation_method"):
        assert key in report["memory"]
    assert report["latency"] is None
    assert report["workload"]["seq_len"] == 16
    assert report["memory"]["kv_cache_measured_bytes"] == report["memory"]["kv_cache_bytes"]


def test_memory_guard_refuses_but_reports():
    report = measure(TINY, Workload(seq_len=16, latency=True, memory_budget_bytes=1000)).to_dict()
    latency = report["latency"]
    assert latency["complete"] is False
    assert "memory guard" in latency["reason"]
    assert "1,000 bytes" in latency["reason"]
    assert latency["prefill_ms"] is None
    assert report["params"]["total"] > 0


def test_latency_on_meta_is_unmeasured():
    latency = measure(TINY, Workload(seq_len=16, device="meta", latency=True)).to_dict()["latency"]
    assert latency["complete"] is False
    assert latency["decode_ms_per_token"] is None


def test_latency_measures_and_reports_progress():
    calls = []
    workload = Workload(batch=1, seq_len=16, latency=True, latency_min_time_s=0.05)
    latency = measure(TINY, workload, progress=lambda f, m: calls.append(f)).to_dict()["latency"]
    assert latency["complete"] is True
    assert latency["prefill_ms"] > 0
    assert latency["decode_ms_per_token"] > 0
    assert latency["runs"]["prefill"] >= 3
    assert latency["runs"]["decode"] >= 3
    assert latency["tokens_per_second"] == pytest.approx(1e3 / latency["decode_ms_per_token"])
    assert latency["threads"] >= 1
    assert calls[0] == 0.0
    assert calls[-1] == 1.0
    assert calls == sorted(calls)


@pytest.mark.parametrize("change, field", [({"batch": 0}, "batch"), ({"dtype": "int8"}, "dtype"),
                                           ({"device": "tpu"}, "device"), ({"attention": "half"}, "attention"),
                                           ({"seq_len": 33}, "max_seq_len")])
def test_bad_workload_names_field(change, field):
    with pytest.raises(ValueError, match=field):
        measure(TINY, Workload(**{"seq_len": 16, **change}))
