"""Golden values and properties of the position schemes: ALiBi, T5, RoPE, xPos, learned."""

import math

import pytest
import torch
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb
from transformers.models.t5.modeling_t5 import T5Attention

from model import build_model
from model.positions import RotaryPositions, XPosPositions
from tiny_configs import POSITIONS, tiny_config


def positions_of(position, **changes):
    return build_model(tiny_config(position, **changes)).positions


# ALiBi ------------------------------------------------------------------------------------

def test_alibi_slopes_8_heads():
    slopes = build_model(tiny_config("alibi"), device="meta").positions.alibi_slopes(8)
    expected = [2.0 ** -k for k in range(1, 9)]
    assert slopes.tolist() == pytest.approx(expected, rel=1e-6)


def test_alibi_slopes_12_heads():
    # Not a power of two: the 8 slopes of 8 heads, then every other slope of 16 heads.
    slopes = build_model(tiny_config("alibi"), device="meta").positions.alibi_slopes(12)
    expected = [2.0 ** -k for k in range(1, 9)] + [2.0 ** -0.5, 2.0 ** -1.5, 2.0 ** -2.5, 2.0 ** -3.5]
    assert slopes.tolist() == pytest.approx(expected, rel=1e-6)
    assert slopes[8].item() == pytest.approx(2.0 ** -0.5)


def test_alibi_slopes_16_heads():
    slopes = build_model(tiny_config("alibi"), device="meta").positions.alibi_slopes(16)
    assert slopes.tolist() == pytest.approx([2.0 ** (-0.5 * k) for k in range(1, 17)], rel=1e-6)


@pytest.mark.parametrize("start", [0, 5])
def test_alibi_bias_zero_on_diagonal(start):
    positions = positions_of("alibi")
    bias = positions.attention_bias(4, start, torch.float32, torch.device("cpu"))
    slopes = positions.slopes

    assert bias.shape == (4, 4, start + 4)
    for i in range(4):
        query = start + i
        assert (bias[:, i, query] == 0).all()
        for key in range(query):
            assert torch.allclose(bias[:, i, key], -slopes * (query - key))
        assert torch.isneginf(bias[:, i, query + 1:]).all()


# T5 relative bias -------------------------------------------------------------------------

T5_DECODER_BUCKETS = {16: 16, 20: 17, 32: 21, 64: 26, 100: 30, 127: 31, 128: 31, 1000: 31}


def test_t5_buckets_golden():
    bucket = build_model(tiny_config("relative"), device="meta").positions.t5_relative_bucket
    distances = list(range(16)) + sorted(T5_DECODER_BUCKETS)
    # The argument is key position minus query position, so past keys are negative.
    buckets = bucket(-torch.tensor(distances), 32, 128).tolist()

    expected = list(range(16)) + [T5_DECODER_BUCKETS[d] for d in sorted(T5_DECODER_BUCKETS)]
    assert buckets == expected


def test_t5_future_keys_bucket_zero():
    bucket = build_model(tiny_config("relative"), device="meta").positions.t5_relative_bucket
    assert bucket(torch.tensor([1, 5, 500]), 32, 128).tolist() == [0, 0, 0]


def test_t5_buckets_match_transformers():
    relative = torch.arange(-1200, 20)[None, :]
    bucket = build_model(tiny_config("relative"), device="meta").positions.t5_relative_bucket
    for num_buckets, max_distance in ((32, 128), (8, 16), (64, 1000)):
        theirs = T5Attention._relative_position_bucket(relative, bidirectional=False,
                                                       num_buckets=num_buckets, max_distance=max_distance)
        assert torch.equal(bucket(relative, num_buckets, max_distance), theirs)


def test_t5_table_exists_once():
    config = tiny_config("relative", n_layer=3)
    model = build_model(config, device="meta")
    tables = [name for name, p in model.named_parameters() if p.shape == (8, config.n_head)]

    assert tables == ["positions.table.weight"]
    assert not any("table" in name for name, _ in model.blocks.named_parameters())


# RoPE -------------------------------------------------------------------------------------

def random_heads(length, head_dim=8, seed=0, dtype=torch.float32):
    return torch.randn(2, 3, length, head_dim, generator=torch.Generator().manual_seed(seed)).to(dtype)


def test_rope_keeps_norms():
    positions = positions_of("rope")
    t = random_heads(20)
    rotated = positions.rotate(t, 37)
    assert torch.allclose(rotated.norm(dim=-1), t.norm(dim=-1), atol=1e-5)


def test_rope_noop_at_position_zero():
    positions = positions_of("rope")
    t = random_heads(1)
    assert torch.equal(positions.rotate(t, 0), t)


def test_rope_dot_product_depends_on_offset():
    positions = positions_of("rope")
    q, k = random_heads(1, seed=1), random_heads(1, seed=2)

    def score(query_pos, key_pos):
        return (positions.rotate(q, query_pos) * positions.rotate(k, key_pos)).sum(-1)

    reference = score(3, 1)
    for shift in (7, 100, 1000):
        assert torch.allclose(score(3 + shift, 1 + shift), reference, atol=1e-4)
    # A different offset gives a different score, so the check above is not vacuous.
    assert not torch.allclose(score(5, 1), reference, atol=1e-2)


def test_rope_matches_hf_llama_rotate_half():
    head_dim, theta, start, length = 16, 500000.0, 9, 6
    config = tiny_config({"kind": "rope", "theta": theta}, head_dim=head_dim)
    positions = RotaryPositions(config)
    hf_config = LlamaConfig(hidden_size=config.n_head * head_dim, num_attention_heads=config.n_head,
                            head_dim=head_dim, rope_theta=theta, max_position_embeddings=64)
    hf_rope = LlamaRotaryEmbedding(hf_config)
    q, k = random_heads(length, head_dim, seed=3), random_heads(length, head_dim, seed=4)

    position_ids = torch.arange(start, start + length)[None, :].expand(q.shape[0], -1)
    cos, sin = hf_rope(q, position_ids)
    q_hf, k_hf = apply_rotary_pos_emb(q, k, cos, sin)

    assert torch.allclose(positions.rotate(q, start), q_hf, atol=1e-5)
    assert torch.allclose(positions.rotate(k, start), k_hf, atol=1e-5)


def test_partial_rotary_leaves_tail():
    partial = RotaryPositions(tiny_config({"kind": "rope", "fraction": 0.5}, head_dim=16))
    full_of_half = RotaryPositions(tiny_config({"kind": "rope"}, head_dim=8))
    t = random_heads(10, head_dim=16)
    rotated = partial.rotate(t, 4)

    assert partial.rotary_dim == 8
    assert torch.equal(rotated[..., 8:], t[..., 8:])
    # The rotated part uses frequencies of the rotary width, as GPT-NeoX does.
    assert torch.allclose(rotated[..., :8], full_of_half.rotate(t[..., :8], 4), atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_rope_keeps_dtype(dtype):
    positions = positions_of("rope")
    assert positions.rotate(random_heads(5, dtype=dtype), 3).dtype == dtype


# xPos -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
def test_xpos_finite_at_32k_positions(dtype):
    # With the default scale_base 512, a naive zeta^(n/scale_base) at n = 32k reaches about
    # 0.29^-64 ~ 1e35, past float16's max of 65504.
    head_dim, length, n_queries = 64, 32768, 4
    positions = XPosPositions(tiny_config({"kind": "xpos", "scale_base": 512.0}, head_dim=head_dim))
    q = random_heads(n_queries, head_dim, seed=5, dtype=torch.float64)
    k = random_heads(length, head_dim, seed=6, dtype=torch.float64)
    start = length - n_queries

    q_rot, k_rot = positions.rotate(q, start), positions.rotate(k, 0)
    q_low, k_low = positions.rescale(q_rot.to(dtype), k_rot.to(dtype), start)
    scores = q_low.float() @ k_low.float().transpose(-1, -2)

    assert torch.isfinite(q_low).all()
    assert torch.isfinite(k_low).all()
    assert torch.isfinite(scores).all()

    # Reference in float64 straight from the definition: q.k gains zeta^((n - m) / scale_base).
    zeta = positions.log_zeta.double().exp()
    n = torch.arange(start, length, dtype=torch.float64)[:, None, None]
    m = torch.arange(length - 64, length, dtype=torch.float64)[None, :, None]
    decay = zeta ** ((n - m) / 512.0)
    reference = torch.einsum("bhqd,bhkd,qkd->bhqk", q_rot, k_rot[..., -64:, :], decay)
    scale = reference.abs().max()
    assert (scores[..., -64:] - reference).abs().max() <= 0.05 * scale


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
def test_xpos_model_finite_in_low_precision(dtype):
    # 1024 tokens at scale_base 8 put position / scale_base at 128, past 32k positions at 512.
    config = tiny_config({"kind": "xpos", "scale_base": 8.0}, max_seq_len=1024)
    model = build_model(config, dtype=dtype).eval()
    with torch.no_grad():
        logits = model(torch.randint(0, config.vocab_size, (1, 1024)))
    assert logits.dtype == dtype
    assert torch.isfinite(logits).all()


# Learned and sinusoidal -------------------------------------------------------------------

def test_learned_past_table_raises():
    model = build_model(tiny_config("learned", max_seq_len=16))
    with pytest.raises(ValueError, match="max_seq_len=16"):
        model(torch.zeros(1, 17, dtype=torch.long))


def test_learned_past_table_through_cache_raises():
    model = build_model(tiny_config("learned", max_seq_len=16))
    cache = model.new_cache(1, 32)
    model(torch.zeros(1, 10, dtype=torch.long), cache=cache)
    with pytest.raises(ValueError, match="max_seq_len=16"):
        model(torch.zeros(1, 7, dtype=torch.long), cache=cache)


def test_sinusoidal_runs_past_max_seq_len():
    model = build_model(tiny_config("sinusoidal", max_seq_len=16))
    with torch.no_grad():
        assert torch.isfinite(model(torch.zeros(1, 40, dtype=torch.long))).all()


def test_sinusoid_values():
    positions = positions_of("sinusoidal")
    x = torch.zeros(1, 3, 32)
    table = positions.embed(x, 5)[0]
    pos, i = 6, 3  # row 1 is position 6; channels 2i and 2i+1
    angle = pos / 10000 ** (2 * i / 32)
    assert table[1, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
    assert table[1, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


# Buffers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("position", sorted(POSITIONS))
def test_buffers_are_not_parameters(position):
    model = build_model(tiny_config(position))
    parameters = {name for name, _ in model.named_parameters()}
    buffers = {name for name, _ in model.named_buffers()}

    assert not parameters & buffers
    assert not buffers & set(model.state_dict())
    assert all(isinstance(p, torch.nn.Parameter) for p in model.parameters())


@pytest.mark.parametrize("position", ["rope", "xpos", "alibi"])
def test_low_precision_model_keeps_float32_buffers(position):
    model = build_model(tiny_config(position), dtype=torch.bfloat16)
    model.half()
    assert all(buffer.dtype == torch.float32 for buffer in model.buffers())


def test_bf16_rope_angles_stay_exact():
    # Frequencies rounded to bfloat16 would shift the angle at position 4000 by about 0.1 rad.
    config = tiny_config("rope", max_seq_len=8192)
    exact, low = build_model(config).positions, build_model(config, dtype=torch.bfloat16).positions
    q = random_heads(4, dtype=torch.bfloat16)

    expected = exact.rotate(q.float(), 4000)
    assert (low.rotate(q, 4000).float() - expected).abs().max() <= 0.02 * q.float().abs().max()


def test_rope_table_reuse_after_inference_mode():
    # The rotation table is reused between calls. A table made under inference_mode cannot be
    # saved for backward, so a training step must not reuse it.
    model = build_model(tiny_config("rope"))
    ids = torch.randint(0, 61, (1, 6))
    with torch.inference_mode():
        model(ids)

    model(ids).sum().backward()

    assert model.blocks[0].attn.q_proj.weight.grad is not None
