"""The activation formula against the bytes autograd really saves, and its component rules."""

import pytest
import torch

from explorer.cost import BACKENDS, activation_memory, layer_activations
from explorer.cost.saved_tensors import saved_activation_bytes
from model import DecoderConfig

TINY = dict(name="tiny", vocab_size=256, max_seq_len=512, d_model=64, n_head=4, n_layer=2)
SWIGLU = {"kind": "swiglu", "multiple_of": 32}
VARIANTS = {
    "gpt2-like": {},
    "llama-like": dict(feed_forward=SWIGLU, norm={"kind": "rmsnorm"}, position={"kind": "rope"}),
    "alibi": dict(position={"kind": "alibi"}),
    "t5-bias": dict(position={"kind": "relative"}),
    "dropout": dict(dropout=0.1),
    "gqa-partial-rope": dict(n_kv_head=2, position={"kind": "rope", "fraction": 0.5}),
    "xpos": dict(position={"kind": "xpos"}),
    "sigmoid": dict(feed_forward={"kind": "sigmoid"}),
    "relu": dict(feed_forward={"kind": "relu"}),
    "parallel": dict(parallel_residual=True),
    "parallel-shared-norm": dict(parallel_residual=True, shared_block_norm=True, norm={"kind": "rmsnorm"}),
    "gemma-like": dict(norm={"kind": "rmsnorm", "unit_offset": True}, feed_forward={"kind": "geglu", "multiple_of": 32},
                       embedding_scale=8.0, embedding_norm=True),
    "mqa-alibi-dropout": dict(n_kv_head=1, dropout=0.1, position={"kind": "alibi"}),
}
DTYPES = {torch.float32: 4, torch.bfloat16: 2}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("variant", VARIANTS)
def test_formula_matches_saved_tensors(variant, dtype):
    config = DecoderConfig(**TINY, **VARIANTS[variant])
    measured = saved_activation_bytes(config, batch=2, seq_len=64, dtype=dtype)
    estimate = activation_memory(config, 2, 64, DTYPES[dtype], backend=BACKENDS["cpu"]).total
    # The loss's 4-byte scalar is the only tensor the formula leaves out.
    assert abs(estimate - measured) <= 0.01 * measured
    assert abs(estimate - measured) <= 8


def test_formula_matches_gpt2_small_block():
    config = DecoderConfig.from_preset("gpt2-small").replace(n_layer=1, vocab_size=512)
    measured = saved_activation_bytes(config, batch=1, seq_len=128)
    estimate = activation_memory(config, 1, 128, 4, backend=BACKENDS["cpu"]).total
    assert abs(estimate - measured) <= 8


def _per_token(config, seq_len=256):
    layer = layer_activations(config, 1, seq_len, act=2)
    return layer


def test_swiglu_stores_wider_intermediate_than_gelu():
    gelu = DecoderConfig(**TINY, d_ff=256, feed_forward={"kind": "gelu"})
    swiglu = DecoderConfig(**TINY, d_ff=256, feed_forward={"kind": "swiglu"})
    tokens = 256
    assert _per_token(gelu).feed_forward == tokens * (64 + 2 * 256) * 2
    assert _per_token(swiglu).feed_forward == tokens * (64 + 4 * 256) * 2


def test_fused_rmsnorm_statistics_fewer_than_layernorm():
    layernorm = DecoderConfig(**TINY, norm={"kind": "layernorm"})
    rmsnorm = DecoderConfig(**TINY, norm={"kind": "rmsnorm"})
    from explorer.cost.activations import NORM_ACTIVATIONS
    assert NORM_ACTIVATIONS["rmsnorm"].statistics < NORM_ACTIVATIONS["layernorm"].statistics
    # This project's RMSNorm also saves the normalised bf16 tensor (64 x 2 bytes per token) for its
    # separate weight multiply, and it saves one fp32 statistic fewer. LayerNorm's fp32 copies of
    # its weight and bias (2 x 64 x 4 bytes per norm) do not grow with the tokens.
    difference = _per_token(rmsnorm).norms - _per_token(layernorm).norms
    assert difference == 2 * 256 * (64 * 2 - 4) - 2 * 2 * 64 * 4


def test_sdpa_keeps_no_scores_but_bias_does():
    rope = DecoderConfig(**TINY, position={"kind": "rope"})
    alibi = DecoderConfig(**TINY, position={"kind": "alibi"})
    assert _per_token(rope).scores == 0
    assert _per_token(alibi).scores == 1 * 4 * 256 * 256 * 2


def test_dropout_masks_only_with_dropout():
    assert _per_token(DecoderConfig(**TINY)).dropout_masks == 0
    assert _per_token(DecoderConfig(**TINY, dropout=0.1)).dropout_masks == 256 * 2 * 64 * 1


def test_recompute_modes_order():
    config = DecoderConfig(**TINY, position={"kind": "alibi"})
    none = activation_memory(config, 4, 256, 2, "none")
    selective = activation_memory(config, 4, 256, 2, "selective")
    full = activation_memory(config, 4, 256, 2, "full")
    assert selective.stored_per_layer == none.stored_per_layer - none.layer.scores
    assert full.stored_per_layer == 4 * 256 * 64 * 2
    assert full.recompute_buffer == none.layer.total
    assert none.total > selective.total


def test_recompute_rejects_unknown_mode():
    with pytest.raises(ValueError, match="recompute='some'"):
        activation_memory(DecoderConfig(**TINY), 1, 8, 2, "some")
