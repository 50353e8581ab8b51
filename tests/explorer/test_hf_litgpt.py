"""LitGPT export: key mapping here, and litgpt's own Config and GPT where litgpt is importable.

litgpt 0.5.13 pins huggingface-hub<1.4 while transformers 5 needs >=2.4, so it is not in the
dev requirements; the litgpt checks skip unless litgpt is on the path (see docs/INTEROP.md).
"""

from __future__ import annotations

import math

import pytest
import torch

from explorer.litgpt_export import litgpt_text, recipe_to_litgpt
from model import DecoderConfig, build_model

ROPE_PRESETS = ["llama-2-7b", "llama-3-8b", "llama-3.1-405b", "mistral-7b", "tinyllama-1.1b", "qwen2.5-7b",
                "phi-2", "pythia-160m", "qwen2-0.5b", "smollm-135m", "gemma-2b", "falcon-7b"]


def our_count(config: DecoderConfig) -> int:
    return sum(p.numel() for p in build_model(config, device="meta").parameters())


def test_llama_keys():
    keys = recipe_to_litgpt(DecoderConfig.from_preset("llama-3.1-405b"))
    assert keys["mlp_class_name"] == "LLaMAMLP"
    assert keys["n_query_groups"] == 8
    assert keys["rope_adjustments"] == {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                        "original_max_seq_len": 8192}


def test_qwen_bias_maps_to_attn_bias():
    keys = recipe_to_litgpt(DecoderConfig.from_preset("qwen2.5-7b"))
    assert (keys["bias"], keys["attn_bias"]) == (False, True)


@pytest.mark.parametrize("changes, field", [
    ({"position": {"kind": "learned"}}, "position.kind"),
    ({"feed_forward": {"kind": "relu"}}, "feed_forward.kind"),
    ({"norm": {"kind": "layernorm", "bias": False}}, "norm.bias"),
    ({"embedding_norm": True}, "embedding_norm"),
])
def test_rejects_without_equivalent(changes, field):
    config = DecoderConfig.from_preset("tinyllama-1.1b").replace(**changes)
    with pytest.raises(ValueError, match=field):
        recipe_to_litgpt(config)


def test_text_is_deterministic_and_versioned():
    config = DecoderConfig.from_preset("mistral-7b")
    text = litgpt_text(config)
    assert text == litgpt_text(config)
    assert text.startswith("# decoder-recipe/1 recipe 'mistral-7b' exported by decoder-explorer ")


def test_tied_recipe_says_how_to_tie():
    assert "--train.tie_embeddings true" in litgpt_text(DecoderConfig.from_preset("qwen2-0.5b"))


def test_gemma_name_selects_unit_offset():
    config = DecoderConfig.from_preset("gemma-2b")
    keys = recipe_to_litgpt(config)
    assert "Gemma" in keys["name"]
    assert keys["scale_embeddings"]
    assert math.isclose(config.embedding_scale, math.sqrt(2048))


@pytest.mark.parametrize("name", ROPE_PRESETS + ["olmo-style"])
def test_litgpt_builds_same_count(name, tmp_path):
    litgpt_config = pytest.importorskip("litgpt.config")
    litgpt_model = pytest.importorskip("litgpt.model")
    if name == "olmo-style":
        config = DecoderConfig.from_preset("tinyllama-1.1b").replace(
            norm={"kind": "layernorm", "bias": False, "affine": False})
    else:
        config = DecoderConfig.from_preset(name)
    path = tmp_path / "model_config.yaml"
    path.write_text(litgpt_text(config))
    loaded = litgpt_config.Config.from_file(path)
    with torch.device("meta"):
        model = litgpt_model.GPT(loaded)
    if config.tie_embeddings:  # what litgpt pretrain --train.tie_embeddings true does
        model.transformer.wte.weight = model.lm_head.weight
    assert sum(p.numel() for p in model.parameters()) == our_count(config)
