"""Parameter counts, weight bytes, KV cache bytes and measured activation peaks."""

import pytest
import torch

from explorer import activations, memory
from explorer.params import count_params
from model import DecoderConfig, build_model

GPT2 = DecoderConfig.from_preset("gpt2-small")


def test_gpt2_small_params():
    params = count_params(GPT2)
    assert params["total"] == 124_439_808
    assert sum(params["by_component"].values()) == params["total"]
    assert params["by_component"]["output_head"] == 0  # tied: the head's matrix is the embedding
    assert params["non_embedding"] == 124_439_808 - 38_597_376 - 786_432


def test_untied_head_counts_twice():
    params = count_params(GPT2.replace(tie_embeddings=False))
    assert params["total"] == 163_037_184
    assert params["by_component"]["output_head"] == 38_597_376
    assert params["non_embedding"] == 124_439_808 - 38_597_376 - 786_432


def test_buffers_are_not_params():
    config = GPT2.replace(position={"kind": "rope"})
    model = build_model(config, device="meta")
    assert sum(b.numel() for b in model.buffers()) > 0
    assert count_params(config)["total"] == 124_439_808 - 786_432
    assert count_params(config)["by_component"]["position"] == 0


def test_weights_bytes_by_dtype():
    expected = {"float32": 497_759_232, "bfloat16": 248_879_616, "float16": 248_879_616,
                "int8": 124_439_808, "int4": 62_219_904}
    for dtype, nbytes in expected.items():
        assert memory.weights_bytes(GPT2, dtype) == nbytes
    assert memory.weights_bytes(7, "int4") == 4


def test_llama_2_7b_kv_per_token():
    config = DecoderConfig.from_preset("llama-2-7b")
    assert memory.kv_cache_bytes(config, 1, 1, "bfloat16") == 524_288


@pytest.mark.parametrize("kv_heads", [4, 2, 1], ids=["MHA", "GQA", "MQA"])
def test_kv_formula_equals_real_cache(kv_heads):
    config = DecoderConfig(vocab_size=50, max_seq_len=32, n_layer=3, d_model=32, n_head=4, n_kv_head=kv_heads,
                           position={"kind": "rope"})
    model = build_model(config).eval()
    cache = model.new_cache(2, 12)
    with torch.no_grad():
        model(torch.randint(0, 50, (2, 11)), cache=cache)
        model(torch.randint(0, 50, (2, 1)), cache=cache)
    assert cache.length == 12
    assert cache.nbytes() == memory.kv_cache_bytes(config, 12, 2, "float32")
    assert memory.measured_kv_cache_bytes(config, 2, 12, "float32")[0] == cache.nbytes()
    assert memory.kv_cache_bytes(config, 12, 2, "bfloat16") * 2 == cache.nbytes()


@pytest.mark.parametrize("position", ["learned", "alibi", "relative", "xpos"])
def test_tracker_matches_profiler(position):
    config = DecoderConfig(vocab_size=97, max_seq_len=256, n_layer=2, d_model=64, n_head=4, n_kv_head=2,
                           position={"kind": position})
    model = build_model(config).eval()
    ids = torch.zeros(2, 128, dtype=torch.long)
    profiled = activations.profiler_peak_bytes(model, ids)
    tracked = activations.tracked_peak(model, ids)
    fake, _ = activations.prefill_peak_bytes(config, 2, 128, "float32")
    assert tracked == fake
    assert abs(profiled - tracked) <= 4096  # the profiler also records a few small allocator events


def test_materialised_bias_shows_in_peak():
    base = DecoderConfig(vocab_size=97, max_seq_len=256, n_layer=2, d_model=64, n_head=4, position={"kind": "rope"})
    rope, _ = activations.prefill_peak_bytes(base, 1, 256, "float32")
    alibi, _ = activations.prefill_peak_bytes(base.replace(position={"kind": "alibi"}), 1, 256, "float32")
    assert alibi - rope >= 4 * 256 * 256 * 4  # one (heads, T, T) float32 bias


def test_peak_does_not_grow_with_depth():
    config = DecoderConfig(vocab_size=97, max_seq_len=64, n_layer=1, d_model=64, n_head=4,
                           position={"kind": "relative"})
    peaks = {layers: activations.prefill_peak_bytes(config.replace(n_layer=layers), 2, 64, "float32")[0]
             for layers in (1, 2, 4)}
    assert peaks[1] == peaks[2] == peaks[4]


def test_budget_check_reports_bytes():
    fits, message = memory.check_budget(1_000, "cpu", 0.5, budget=999)
    assert not fits
    assert "1,000 bytes" in message
    assert "999 bytes" in message


def test_deep_model_params_scaled_exactly():
    # 32 layers are counted at 1 and 2 layers and scaled; the published count is 6,738,415,616.
    params = count_params(DecoderConfig.from_preset("llama-2-7b"))
    assert params["total"] == 6_738_415_616
    assert params["by_component"]["output_head"] == 32000 * 4096


def test_deep_model_cache_scaled_exactly():
    config = DecoderConfig.from_preset("llama-2-7b")
    nbytes, method = memory.measured_kv_cache_bytes(config, 1, 8, "bfloat16")
    assert nbytes == memory.kv_cache_bytes(config, 8, 1, "bfloat16") == 8 * 524_288
    assert "scaled to 32 layers" in method
