"""Importing HF config.json files: parameter counts equal what transformers builds."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from explorer.hf_import import config_from_hf, load_hf_file
from tests.explorer.hf_oracle import (CONFIG_DIR, CONFIG_FILES, MODEL_TYPES, hf_count, load_config_file, our_count,
                                      tiny_hf_dict)

# transformers 5.25, AutoModelForCausalLM.from_config on the meta device, model.parameters().
REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference_counts.csv"
GOLDEN_FILES = {
    "gpt2": "gpt2.json",
    "llama-2-7b": "llama-2-7b.json",
    "tinyllama-1.1b-chat-v1.0": "tinyllama-1.1b-chat-v1.0.json",
    "mistral-7b-v0.1": "mistral-7b-v0.1.json",
    "qwen2-0.5b": "qwen2-0.5b.json",
}


def reference_rows() -> list[dict]:
    with REFERENCE.open() as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("row", reference_rows(), ids=lambda row: row["name"])
def test_reference_count_golden(row):
    config = load_hf_file(CONFIG_DIR / GOLDEN_FILES[row["name"]])
    assert our_count(config) == int(row["total_params"])


def test_golden_values_spelled_out():
    expected = {"gpt2": 124_439_808, "llama-2-7b": 6_738_415_616, "tinyllama-1.1b-chat-v1.0": 1_100_048_384,
                "mistral-7b-v0.1": 7_241_732_096, "qwen2-0.5b": 494_032_768}
    assert {row["name"]: int(row["total_params"]) for row in reference_rows()} == expected


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_config_file_count_matches_transformers(name):
    data = load_config_file(name)
    assert our_count(config_from_hf(data)) == hf_count(data)


# Per family, variants that flip the settings a parameter count depends on.
VARIANTS = {
    "gpt2": [{}, {"n_inner": 96}, {"tie_word_embeddings": False}, {"activation_function": "relu"}],
    "gpt_neo": [{}, {"intermediate_size": 80}, {"attention_types": [[["local"], 2]]}],
    "opt": [{}, {"enable_bias": False}, {"layer_norm_elementwise_affine": False}, {"tie_word_embeddings": False}],
    "llama": [{}, {"num_key_value_heads": 1}, {"attention_bias": True, "mlp_bias": True}, {"head_dim": 32},
              {"tie_word_embeddings": True}],
    "mistral": [{}, {"num_key_value_heads": 2, "sliding_window": 16}, {"head_dim": 8}],
    "qwen2": [{}, {"num_key_value_heads": 2, "tie_word_embeddings": True},
              {"use_sliding_window": True, "sliding_window": 8, "max_window_layers": 1}],
    "gpt_neox": [{}, {"attention_bias": False}, {"use_parallel_residual": False}, {"tie_word_embeddings": True}],
    "phi": [{}, {"num_key_value_heads": 2}, {"partial_rotary_factor": 0.25}],
    "falcon": [{}, {"multi_query": False}, {"bias": True},
               {"new_decoder_architecture": True, "num_kv_heads": 2},
               {"new_decoder_architecture": True, "num_kv_heads": 2, "num_ln_in_parallel_attn": 1},
               {"parallel_attn": False, "ffn_hidden_size": 96}],
    "gemma": [{}, {"num_key_value_heads": 1}, {"head_dim": 32, "attention_bias": True}],
    "bloom": [{}, {"tie_word_embeddings": False}],
    "mpt": [{}, {"tie_word_embeddings": False}],
    "olmo": [{}, {"attention_bias": True}, {"num_key_value_heads": 2, "tie_word_embeddings": True}],
}


def variant_cases():
    return [(model_type, changes) for model_type in MODEL_TYPES for changes in VARIANTS[model_type]]


@pytest.mark.parametrize("model_type, changes", variant_cases(),
                         ids=[f"{t}-{'-'.join(c) or 'default'}" for t, c in variant_cases()])
def test_variant_count_matches_transformers(model_type, changes):
    data = tiny_hf_dict(model_type, **changes)
    assert our_count(config_from_hf(data)) == hf_count(data)


def test_every_family_has_variants():
    assert sorted(VARIANTS) == sorted(MODEL_TYPES)


def test_family_default_ties_embeddings():
    tied = {"gpt2": True, "gpt_neo": True, "opt": True, "bloom": True, "mpt": True, "falcon": True, "gemma": True,
            "llama": False, "mistral": False, "qwen2": False, "gpt_neox": False, "phi": False, "olmo": False}
    for model_type, expected in tied.items():
        data = tiny_hf_dict(model_type)
        del data["tie_word_embeddings"]
        assert config_from_hf(data).tie_embeddings is expected, model_type


def test_family_specific_fields():
    neo = load_hf_file(CONFIG_DIR / "gpt-neo-125m.json")
    assert neo.layer_windows() == [None, 256] * 6
    assert neo.attention_scale == 1.0

    mistral = load_hf_file(CONFIG_DIR / "mistral-7b-v0.1.json")
    assert mistral.layer_windows() == [4096] * 32

    qwen = load_hf_file(CONFIG_DIR / "qwen2-0.5b.json")
    assert qwen.sliding_window is None  # use_sliding_window is false
    assert qwen.bias == {"qkv": True, "attn_out": False, "mlp": False, "lm_head": False}

    phi = load_hf_file(CONFIG_DIR / "phi-2.json")
    assert phi.rotary_dim == 32  # 0.4 of head_dim 80
    assert phi.shared_block_norm and phi.bias["lm_head"]

    gemma = load_hf_file(CONFIG_DIR / "gemma-2b.json")
    assert gemma.embedding_scale == pytest.approx(math.sqrt(2048))
    assert gemma.norm["unit_offset"] and gemma.feed_forward == {"kind": "geglu", "approximate": "tanh",
                                                                  "multiple_of": 256, "multiplier": 1.0}

    opt = load_hf_file(CONFIG_DIR / "opt-125m.json")
    assert opt.position == {"kind": "learned", "offset": 2}

    llama31 = load_hf_file(CONFIG_DIR / "llama-3.1-405b.json")
    assert llama31.position["scaling"] == {"type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                           "high_freq_factor": 4.0, "original_max_seq_len": 8192}


def test_v5_rope_parameters_read():
    data = tiny_hf_dict("llama", rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 5e5})
    position = config_from_hf(data).position
    assert position == {"kind": "rope", "theta": 5e5, "fraction": 1.0, "scaling": {"type": "linear", "factor": 2.0}}


def test_presets_listed_by_family():
    from model.config import presets_by_family

    groups = presets_by_family()
    assert groups["GPT-2"] == ["gpt2-large", "gpt2-medium", "gpt2-small", "gpt2-xl"]
    assert {"llama-2-7b", "llama-3-8b", "llama-3.1-405b", "tinyllama-1.1b", "smollm-135m"} <= set(groups["Llama"])
    assert "pythia-160m" in groups["GPT-NeoX"]


def test_presets_equal_their_import():
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "scripts/make_presets.py", "--check"], cwd=root,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
