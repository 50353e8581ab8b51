"""FLOP counts: fvcore with this project's handles, torch's counter and the closed form agree on matmuls."""

from collections import Counter

import pytest
import torch
from torch import nn

from explorer.flops import closed_form, fvcore_count, torch_count
from model import DecoderConfig, build_model

POSITIONS = ["learned", "sinusoidal", "relative", "alibi", "rope", "xpos"]
KV_HEADS = {"MHA": 4, "GQA": 2, "MQA": 1}
FEED_FORWARDS = ["gelu", "swiglu", "sigmoid"]
NORMS = ["layernorm", "rmsnorm"]


def tiny(position: str, kv: int, ffn: str, norm: str, **changes) -> DecoderConfig:
    return DecoderConfig(vocab_size=101, max_seq_len=64, n_layer=2, d_model=32, n_head=4, n_kv_head=kv,
                         position={"kind": position}, feed_forward={"kind": ffn}, norm={"kind": norm},
                         bias={"qkv": True, "mlp": True}, **changes)


def matmul_of(parts: dict) -> int:
    return sum(part["matmul"] for part in parts.values())


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("ffn", FEED_FORWARDS)
@pytest.mark.parametrize("kind", sorted(KV_HEADS))
@pytest.mark.parametrize("position", POSITIONS)
def test_matmul_counts_agree(position, kind, ffn, norm):
    config = tiny(position, KV_HEADS[kind], ffn, norm)
    model = build_model(config, device="meta").eval()
    fv, unsupported = fvcore_count.count_forward(model, 2, 24, "full")
    torch_flops = torch_count.count_forward(model, 2, 24, "full")
    closed = closed_form.breakdown(config, 2, 24, 0, "full")
    assert matmul_of(fv) == torch_flops
    assert matmul_of(fv) == matmul_of(closed)
    for component, part in closed.items():
        assert fv[component]["matmul"] == part["matmul"], component
    assert unsupported == Counter()


@pytest.mark.parametrize("convention", ["full", "causal"])
def test_xpos_blocked_attention_agrees(convention):
    # scale_base 8 makes the model split a 20-token prefill into SDPA calls of 8, 8 and 4 queries.
    config = tiny("xpos", 2, "swiglu", "rmsnorm").replace(position={"kind": "xpos", "scale_base": 8.0})
    model = build_model(config, device="meta").eval()
    fv, _ = fvcore_count.count_forward(model, 1, 20, convention)
    closed = closed_form.breakdown(config, 1, 20, 0, convention)
    assert closed_form.attention_calls(config, 20) == [(8, 8), (8, 16), (4, 20)]
    assert fv["attention_core"]["matmul"] == closed["attention_core"]["matmul"]
    assert torch_count.count_forward(model, 1, 20, convention) == matmul_of(closed)


def test_causal_counts_agree_and_halve():
    config = tiny("rope", 2, "swiglu", "rmsnorm")
    model = build_model(config, device="meta").eval()
    full, _ = fvcore_count.count_forward(model, 1, 32, "full")
    causal, _ = fvcore_count.count_forward(model, 1, 32, "causal")
    assert 2 * causal["attention_core"]["matmul"] == full["attention_core"]["matmul"]
    assert torch_count.count_forward(model, 1, 32, "causal") == matmul_of(causal)
    assert matmul_of(closed_form.breakdown(config, 1, 32, 0, "causal")) == matmul_of(causal)


@pytest.mark.parametrize("position", POSITIONS)
def test_decode_counts_agree(position):
    config = tiny(position, 2, "gelu", "layernorm")
    model = build_model(config, device="meta").eval()
    fv, unsupported = fvcore_count.count_decode(model, 2, 40)
    closed = closed_form.breakdown(config, 2, 1, 39, "full")
    assert matmul_of(fv) == matmul_of(closed) == torch_count.count_decode(model, 2, 40)
    assert unsupported == Counter()


def test_attention_block_handed_case():
    # One block at B=1, T=128, d=256, 8 heads, no bias: 41,943,040 MACs, 8,388,608 in the core.
    config = DecoderConfig(vocab_size=64, max_seq_len=128, n_layer=1, d_model=256, n_head=8)
    model = build_model(config, device="meta").eval()
    fv, _ = fvcore_count.count_forward(model, 1, 128, "full")
    closed = closed_form.breakdown(config, 1, 128)
    for parts in (fv, closed):
        attention_macs = (parts["attention_projections"]["matmul"] + parts["attention_core"]["matmul"]) // 2
        assert attention_macs == 41_943_040
        assert parts["attention_core"]["matmul"] // 2 == 8_388_608


def test_long_context_core_handed_case():
    config = DecoderConfig(vocab_size=64, max_seq_len=8192, n_layer=1, d_model=4096, n_head=32,
                           position={"kind": "rope"})
    assert closed_form.forward_flops(config, 1, 8192)["attention_core"] >= 1_099_511_627_776
    assert closed_form.breakdown(config, 1, 8192)["attention_core"]["matmul"] == 1_099_511_627_776
    assert closed_form.breakdown(config, 1, 8192, 0, "causal")["attention_core"]["matmul"] == 549_755_813_888
    assert closed_form.breakdown(config, 1, 1, 8191)["attention_core"]["matmul"] == 134_217_728

    model = build_model(config, device="meta").eval()
    fv, _ = fvcore_count.count_forward(model, 1, 8192, "causal")
    assert fv["attention_core"]["matmul"] == 549_755_813_888
    decode, _ = fvcore_count.count_decode(model, 1, 8192)
    assert decode["attention_core"]["matmul"] == 134_217_728


def test_unpriced_op_is_reported():
    class Cumulative(nn.Module):
        def forward(self, x):
            return torch.cumsum(x, dim=-1) * 2

    parts, unsupported = fvcore_count.breakdown(Cumulative(), (torch.ones(3, 5),), "full")
    assert unsupported == Counter({"aten::cumsum": 1})
    assert parts["position"]["other"] == 15  # the multiply is still priced


def test_handles_price_elementwise_ops():
    config = tiny("learned", 4, "swiglu", "rmsnorm")
    model = build_model(config, device="meta").eval()
    fv, _ = fvcore_count.count_forward(model, 1, 16, "full")
    closed = closed_form.breakdown(config, 1, 16)
    for component in ("norm", "residual", "feed_forward", "attention_core", "attention_projections"):
        assert fv[component]["other"] == closed[component]["other"], component
        assert fv[component]["other"] > 0, component


@pytest.mark.parametrize("local_layers", [None, [1]])
def test_window_decode_sees_cached_window(local_layers):
    config = tiny("rope", 2, "swiglu", "rmsnorm", sliding_window=8, local_layers=local_layers)
    model = build_model(config, device="meta")
    fvcore, _ = fvcore_count.count_decode(model, 1, 32)
    closed = closed_form.breakdown(config, 1, 1, 31, "full")
    # A window layer attends to its 8 stored keys and the new one; a global layer to all 32.
    keys = sum(32 if window is None else 8 + 1 for window in config.layer_windows())
    assert fvcore["attention_core"]["matmul"] == 2 * 2 * 4 * 8 * keys
    assert closed["attention_core"]["matmul"] == 2 * 2 * 4 * 8 * keys
    assert torch_count.count_decode(model, 1, 32) == matmul_of(fvcore)
