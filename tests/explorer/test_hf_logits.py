"""Logits equal transformers' with the same weights (CPU, float32, tiny random models)."""

from __future__ import annotations

import pytest
import torch

from explorer.hf_import import config_from_hf
from explorer.hf_weights import load_hf_weights
from model import build_model
from tests.explorer.hf_oracle import hf_model, tiny_hf_dict

LLAMA3_SCALING = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 16, "rope_theta": 10000.0}

CASES = {
    "gpt2": ("gpt2", {}),
    "gpt2-untied": ("gpt2", {"tie_word_embeddings": False}),
    "llama": ("llama", {}),
    "llama-gqa-bias": ("llama", {"num_key_value_heads": 2, "attention_bias": True, "mlp_bias": True}),
    "llama-rope-llama3": ("llama", {"rope_parameters": LLAMA3_SCALING, "max_position_embeddings": 64}),
    "llama-rope-linear": ("llama", {"rope_parameters": {"rope_type": "linear", "factor": 4.0, "rope_theta": 1e4}}),
    "qwen2": ("qwen2", {"num_key_value_heads": 2}),
    "qwen2-sliding": ("qwen2", {"use_sliding_window": True, "sliding_window": 5, "max_window_layers": 1}),
    "mistral-sliding": ("mistral", {"num_key_value_heads": 2, "sliding_window": 5}),
    "gpt_neox": ("gpt_neox", {}),
    "gpt_neox-sequential": ("gpt_neox", {"use_parallel_residual": False, "attention_bias": False}),
    "falcon-mqa": ("falcon", {}),
    "falcon-mha-bias": ("falcon", {"multi_query": False, "bias": True}),
    "falcon-sequential": ("falcon", {"parallel_attn": False}),
    "falcon-new-gqa": ("falcon", {"new_decoder_architecture": True, "num_kv_heads": 2}),
    "falcon-new-one-norm": ("falcon", {"new_decoder_architecture": True, "num_kv_heads": 2,
                                       "num_ln_in_parallel_attn": 1}),
    # The other families: checks of their import beyond the parameter count.
    "gpt_neo-local-global": ("gpt_neo", {}),
    "opt": ("opt", {}),
    "opt-no-affine": ("opt", {"layer_norm_elementwise_affine": False, "enable_bias": False}),
    "phi": ("phi", {}),
    "phi-gqa": ("phi", {"num_key_value_heads": 2, "partial_rotary_factor": 0.25}),
    "gemma": ("gemma", {}),
    "bloom": ("bloom", {}),
    "bloom-6-heads": ("bloom", {"hidden_size": 96, "n_head": 6}),  # ALiBi slopes for a non-power of two
    "mpt": ("mpt", {}),
    "olmo": ("olmo", {"num_key_value_heads": 2}),
}


def paired_models(model_type: str, changes: dict):
    data = tiny_hf_dict(model_type, **changes)
    theirs = hf_model(data, device="cpu", seed=0).eval()
    ours = build_model(config_from_hf(data)).eval()
    load_hf_weights(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("case", sorted(CASES))
def test_logits_match_transformers(case):
    ours, theirs = paired_models(*CASES[case])
    ids = torch.randint(0, 1000, (2, 24), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = theirs(ids).logits
        actual = ours(ids)
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize("case", ["mistral-sliding", "qwen2-sliding"])
def test_window_cache_decode_matches_full(case):
    ours, _ = paired_models(*CASES[case])
    ids = torch.randint(0, 1000, (1, 20), generator=torch.Generator().manual_seed(2))
    cache = ours.new_cache(1, 20)
    with torch.no_grad():
        full = ours(ids)
        steps = [ours(ids[:, :7], cache=cache)]
        steps += [ours(ids[:, t:t + 1], cache=cache) for t in range(7, 20)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=0, atol=1e-5)


def test_window_cache_holds_only_window():
    config = config_from_hf(tiny_hf_dict("qwen2", use_sliding_window=True, sliding_window=5, max_window_layers=1))
    cache = build_model(config, device="meta").new_cache(1, 64)
    assert [layer.k.shape[2] for layer in cache.layers] == [64, 5]


@pytest.mark.parametrize("preset, tokens, expected_tokens", [
    ("gpt-neo-125m", 1024, 6 * 1024 + 6 * 256),  # global and local (256) layers alternate
    ("mistral-7b", 8192, 32 * 4096),  # every layer keeps its 4096-token window
    ("mistral-7b", 2048, 32 * 2048),  # below the window nothing is dropped
])
def test_kv_cache_bytes_capped_by_window(preset, tokens, expected_tokens):
    from explorer.memory import kv_cache_bytes, measured_kv_cache_bytes
    from model import DecoderConfig

    config = DecoderConfig.from_preset(preset)
    per_token_layer = 2 * config.n_kv_head * config.resolved_head_dim * 2  # keys and values, bfloat16
    assert kv_cache_bytes(config, tokens, 1, "bfloat16") == expected_tokens * per_token_layer
    assert measured_kv_cache_bytes(config, 1, tokens, "bfloat16")[0] == expected_tokens * per_token_layer


def test_replace_fewer_layers_keeps_local_prefix():
    from model import DecoderConfig

    config = DecoderConfig.from_preset("gpt-neo-125m").replace(n_layer=3)
    assert config.layer_windows() == [None, 256, None]


@pytest.mark.parametrize("position", ["learned", "sinusoidal", "relative", "alibi", "rope"])
def test_window_decode_matches_full_any_position(position):
    from model import DecoderConfig

    config = DecoderConfig(vocab_size=100, max_seq_len=32, n_layer=2, d_model=32, n_head=4, n_kv_head=2,
                           position={"kind": position}, sliding_window=4, local_layers=[1])
    torch.manual_seed(0)
    model = build_model(config).eval()
    ids = torch.randint(0, 100, (2, 16), generator=torch.Generator().manual_seed(3))
    cache = model.new_cache(2, 16)
    with torch.no_grad():
        full = model(ids)
        steps = [model(ids[:, :5], cache=cache), model(ids[:, 5:11], cache=cache)]
        steps += [model(ids[:, t:t + 1], cache=cache) for t in range(11, 16)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=0, atol=1e-5)


def test_window_changes_logits():
    from model import DecoderConfig

    config = DecoderConfig(vocab_size=100, max_seq_len=32, n_layer=2, d_model=32, n_head=4, position={"kind": "rope"})
    torch.manual_seed(0)
    model = build_model(config).eval()
    windowed = build_model(config.replace(sliding_window=4)).eval()
    windowed.load_state_dict(model.state_dict())
    ids = torch.randint(0, 100, (1, 12), generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        full, local = model(ids), windowed(ids)
    torch.testing.assert_close(local[:, :4], full[:, :4])  # the first 4 queries see no more than 4 keys anyway
    assert not torch.allclose(local[:, 4:], full[:, 4:])
