"""Attention, feed-forward and norm layers against hand-written references and golden widths."""

import pytest
import torch
import torch.nn.functional as F
from transformers.activations import NewGELUActivation

from model import DecoderConfig, build_model
from model.attention import Attention
from model.config import gated_width
from model.feed_forward import GeluMLP
from model.norms import LayerNorm, RMSNorm
from tiny_configs import POSITIONS, randomize, tiny_config


def random_input(shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)).to(dtype)


# Attention --------------------------------------------------------------------------------

def manual_attention(attn: Attention, x, bias_hqk, scale: float) -> torch.Tensor:
    """Causal attention written out: scores, bias, softmax in float32, weighted sum, output."""
    b, t, _ = x.shape
    q = attn.q_proj(x).view(b, t, attn.n_head, attn.head_dim).transpose(1, 2)
    k = attn.k_proj(x).view(b, t, attn.n_kv_head, attn.head_dim).transpose(1, 2)
    v = attn.v_proj(x).view(b, t, attn.n_kv_head, attn.head_dim).transpose(1, 2)
    group = attn.n_head // attn.n_kv_head
    k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)

    scores = (q @ k.transpose(-1, -2)) * scale + bias_hqk
    weights = torch.softmax(scores.float(), dim=-1).to(x.dtype)
    out = (weights @ v).transpose(1, 2).reshape(b, t, attn.n_head * attn.head_dim)
    return attn.o_proj(out)


@pytest.mark.parametrize("attention", ["MHA", "GQA"])
@pytest.mark.parametrize("position", ["alibi", "relative"])
@torch.no_grad()
def test_sdpa_matches_manual_softmax(position, attention):
    model = randomize(build_model(tiny_config(position, attention)))
    attn, positions = model.blocks[0].attn, model.positions
    x = random_input((2, 20, 32))
    bias = positions.attention_bias(20, 0, x.dtype, x.device)

    # T5 trains without the 1/sqrt(head_dim) scaling; ALiBi keeps it.
    scale = 1.0 if position == "relative" else attn.head_dim ** -0.5
    expected = manual_attention(attn, x, bias, scale)

    assert torch.allclose(attn(x, positions, bias), expected, atol=1e-5)
    # The other scaling gives different outputs, so the check above does test the scale.
    other = manual_attention(attn, x, bias, 1.0 if scale != 1.0 else attn.head_dim ** -0.5)
    assert not torch.allclose(other, expected, atol=1e-3)


def repeat_kv_weights(grouped: Attention, full: Attention) -> None:
    """Give ``full`` (MHA) the projections of ``grouped`` with each K/V head repeated in place."""
    group = grouped.n_head // grouped.n_kv_head
    for name in ("q_proj", "o_proj"):
        getattr(full, name).load_state_dict(getattr(grouped, name).state_dict())
    for name in ("k_proj", "v_proj"):
        source, target = getattr(grouped, name), getattr(full, name)
        weight = source.weight.view(grouped.n_kv_head, grouped.head_dim, -1)
        target.weight.copy_(weight.repeat_interleave(group, dim=0).flatten(0, 1))
        if source.bias is not None:
            bias = source.bias.view(grouped.n_kv_head, grouped.head_dim)
            target.bias.copy_(bias.repeat_interleave(group, dim=0).flatten())


@pytest.mark.parametrize("attention", ["GQA", "MQA"])
@pytest.mark.parametrize("position", ["rope", "alibi"])
@torch.no_grad()
def test_grouped_equals_mha_with_repeated_kv(attention, position):
    grouped_model = randomize(build_model(tiny_config(position, attention)))
    grouped = grouped_model.blocks[0].attn
    full = Attention(tiny_config(position, "MHA"))
    repeat_kv_weights(grouped, full)
    x = random_input((2, 12, 32))
    bias = grouped_model.positions.attention_bias(12, 0, x.dtype, x.device)

    expected = full(x, grouped_model.positions, bias)
    assert torch.allclose(grouped(x, grouped_model.positions, bias), expected, atol=1e-5)


def test_grouped_projection_shapes():
    attn = Attention(tiny_config("rope", "GQA"))
    assert attn.q_proj.weight.shape == (4 * 8, 32)
    assert attn.k_proj.weight.shape == (2 * 8, 32)
    assert attn.v_proj.weight.shape == (2 * 8, 32)
    assert attn.o_proj.weight.shape == (32, 4 * 8)


@pytest.mark.parametrize("position", sorted(POSITIONS))
def test_bf16_model_gives_bf16_logits(position):
    model = build_model(tiny_config(position), dtype=torch.bfloat16)
    with torch.no_grad():
        logits = model(torch.zeros(1, 5, dtype=torch.long))
    assert logits.dtype == torch.bfloat16
    assert all(p.dtype == torch.bfloat16 for p in model.parameters())


# Feed-forward -----------------------------------------------------------------------------

@pytest.mark.parametrize("d_model, multiple_of, multiplier, expected", [
    (4096, 256, 1.0, 11008),   # Llama-2-7B
    (5120, 256, 1.0, 13824),   # Llama-2-13B
    (768, 256, 1.0, 2048),
    (4096, 1024, 1.3, 14336),  # Llama-3-8B
])
def test_swiglu_width(d_model, multiple_of, multiplier, expected):
    assert gated_width(d_model, multiple_of, multiplier) == expected
    config = DecoderConfig(d_model=d_model, n_head=32, feed_forward={"kind": "swiglu", "multiple_of": multiple_of,
                                                                     "multiplier": multiplier})
    assert config.resolved_d_ff == expected


def test_swiglu_has_three_matrices():
    ffn = build_model(tiny_config(feed_forward="swiglu"), device="meta").blocks[0].ffn
    assert [name for name, _ in ffn.named_children()] == ["gate", "up", "down"]


def test_gpt2_gelu_is_tanh_form():
    ffn = GeluMLP(tiny_config(feed_forward="gelu"))
    h = torch.linspace(-6, 6, 1001)

    assert torch.equal(ffn.activation(h), F.gelu(h, approximate="tanh"))
    assert torch.allclose(ffn.activation(h), NewGELUActivation()(h), atol=1e-6)  # HF's "gelu_new"
    assert (ffn.activation(h) - F.gelu(h)).abs().max() > 1e-4


# Norms ------------------------------------------------------------------------------------

def test_rmsnorm_stores_eps():
    norm = RMSNorm(tiny_config(norm="rmsnorm"))
    assert norm.eps == 1e-5
    assert RMSNorm(DecoderConfig(norm={"kind": "rmsnorm"})).eps == 1e-6  # the schema default, not torch's None


def test_layernorm_stores_eps():
    assert LayerNorm(tiny_config(norm="layernorm")).eps == 1e-5


def test_rmsnorm_bf16_close_to_fp32_reference():
    norm = RMSNorm(tiny_config(norm="rmsnorm"))
    with torch.no_grad():
        norm.weight.copy_(random_input((32,), seed=1) * 0.5 + 1)
    x = random_input((4, 7, 32), seed=2) * 3

    reference = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * norm.weight
    out_fp32 = norm(x)
    out_bf16 = norm.to(torch.bfloat16)(x.to(torch.bfloat16))

    assert torch.allclose(out_fp32, reference, atol=1e-5)
    assert out_bf16.dtype == torch.bfloat16
    assert torch.allclose(out_bf16.float(), reference, rtol=2e-2, atol=2e-2)


def test_rmsnorm_eps_keeps_zero_input_finite():
    norm = RMSNorm(tiny_config(norm="rmsnorm"))
    assert torch.equal(norm(torch.zeros(2, 32)), torch.zeros(2, 32))
