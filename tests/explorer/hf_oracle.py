"""Helpers shared by the Hugging Face interop tests: the transformers oracle and tiny configs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch

from model import DecoderConfig, build_model

transformers = pytest.importorskip("transformers")
logging.getLogger("transformers").setLevel(logging.ERROR)

CONFIG_DIR = Path(__file__).resolve().parent.parent / "data" / "hf_configs"
CONFIG_FILES = sorted(p.name for p in CONFIG_DIR.glob("*.json"))

# Small sizes for each family's default config class (head_dim 16, 2 layers, vocab 1000).
TINY = {
    "gpt2": dict(n_embd=64, n_layer=2, n_head=4, n_positions=64, vocab_size=1000),
    "gpt_neo": dict(hidden_size=64, num_layers=2, num_heads=4, max_position_embeddings=64, vocab_size=1000,
                    attention_types=[[["global", "local"], 1]], window_size=8),
    "opt": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, ffn_dim=128, vocab_size=1000,
                word_embed_proj_dim=64, max_position_embeddings=64),
    "bloom": dict(hidden_size=64, n_layer=2, n_head=4, vocab_size=1000),
    "mpt": dict(d_model=64, n_layers=2, n_heads=4, vocab_size=1000, max_seq_len=64),
    "falcon": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, vocab_size=1000,
                   max_position_embeddings=64),
    "gemma": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                  intermediate_size=128, vocab_size=1000, max_position_embeddings=64),
}
LLAMA_LIKE = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                  intermediate_size=128, vocab_size=1000, max_position_embeddings=64)
MODEL_TYPES = ["gpt2", "gpt_neo", "opt", "llama", "mistral", "qwen2", "gpt_neox", "phi", "falcon", "gemma",
               "bloom", "mpt", "olmo"]


def tiny_hf_dict(model_type: str, **changes) -> dict:
    """Return the full config dict of a tiny variant of a family's default config class."""
    settings = {**TINY.get(model_type, LLAMA_LIKE), **changes}
    config = transformers.AutoConfig.for_model(model_type, **settings)
    # A JSON round trip, as a config.json file on disk would give.
    return json.loads(config.to_json_string(use_diff=False))


def hf_model(data: dict, device: str = "meta", seed: int | None = None):
    config = transformers.AutoConfig.for_model(**data)
    if seed is not None:
        torch.manual_seed(seed)
    with torch.device(device):
        return transformers.AutoModelForCausalLM.from_config(config, attn_implementation="eager")


def hf_count(data: dict) -> int:
    return sum(p.numel() for p in hf_model(data).parameters())


def our_count(config: DecoderConfig) -> int:
    return sum(p.numel() for p in build_model(config, device="meta").parameters())


def load_config_file(name: str) -> dict:
    return json.loads((CONFIG_DIR / name).read_text())
