"""Bad config.json files get one-line ValueErrors that name the key; nothing else escapes."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.hf_import import MAX_FILE_BYTES, config_from_hf, load_hf_file
from tests.explorer.hf_oracle import CONFIG_DIR, CONFIG_FILES, load_config_file

ROOT = Path(__file__).resolve().parents[2]


def error_of(data) -> str:
    with pytest.raises(ValueError) as info:
        config_from_hf(data)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_not_json(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{'model_type': 'gpt2'}")
    with pytest.raises(ValueError, match="not JSON"):
        load_hf_file(path)


def test_huge_file_rejected_unread(tmp_path):
    path = tmp_path / "config.json"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # a sparse file: rejected by its size before any read
    with pytest.raises(ValueError, match="above the limit"):
        load_hf_file(path)


def test_device_file_rejected_unread():
    with pytest.raises(ValueError, match="not a regular file"):
        load_hf_file("/dev/zero")


def test_nan_rejected(tmp_path):
    path = tmp_path / "config.json"
    path.write_text((CONFIG_DIR / "gpt2.json").read_text().replace('"layer_norm_epsilon": 1e-05', '"layer_norm_epsilon": NaN'))
    with pytest.raises(ValueError, match="NaN"):
        load_hf_file(path)


def test_nan_in_dict_names_key():
    data = load_config_file("llama-2-7b.json")
    data["rms_norm_eps"] = math.nan
    assert "rms_norm_eps" in error_of(data)


@pytest.mark.parametrize("key, value", [
    ("hidden_size", "4096"), ("hidden_size", 4096.0), ("hidden_size", True), ("hidden_size", -1),
    ("num_hidden_layers", 0), ("num_attention_heads", 10**9), ("vocab_size", 2**40),
    ("tie_word_embeddings", "yes"), ("hidden_act", "mish"), ("rope_scaling", {"rope_type": "yarn", "factor": 4.0}),
    ("max_position_embeddings", -5),
])
def test_bad_value_names_key(key, value):
    data = load_config_file("llama-2-7b.json")
    data[key] = value
    assert key in error_of(data)


def test_missing_size_names_key():
    data = load_config_file("llama-2-7b.json")
    del data["hidden_size"]
    assert "missing key 'hidden_size'" in error_of(data)


def test_unknown_model_type():
    data = load_config_file("gpt2.json")
    data["model_type"] = "deepseek_v3"
    assert "model_type='deepseek_v3'" in error_of(data)


@pytest.mark.parametrize("key, value", [
    ("num_local_experts", 8), ("kv_lora_rank", 512), ("final_logit_softcapping", 30.0),
    ("auto_map", {"AutoModelForCausalLM": "modeling_x.X"}),
])
def test_unmodelled_keys_listed(key, value):
    data = load_config_file("mistral-7b-v0.1.json")
    data[key] = value
    message = error_of(data)
    assert "unmodelled" in message
    assert key in message


def test_unknown_key_listed():
    data = load_config_file("qwen2-0.5b.json")
    data["attention_sink_size"] = 4
    message = error_of(data)
    assert "unknown keys" in message
    assert "attention_sink_size" in message


@pytest.mark.parametrize("model_type, key, value", [
    ("opt", "do_layer_norm_before", False), ("opt", "word_embed_proj_dim", 512),
    ("gpt2", "scale_attn_by_inverse_layer_idx", True), ("phi", "qk_layernorm", True),
    ("falcon", "alibi", True), ("bloom", "apply_residual_connection_post_layernorm", True),
    ("olmo", "clip_qkv", 8.0), ("mpt", "expansion_ratio", 8),
])
def test_unmodelled_value_rejected(model_type, key, value):
    from tests.explorer.hf_oracle import tiny_hf_dict

    data = tiny_hf_dict(model_type)
    data[key] = value
    assert key in error_of(data)


def test_cli_error_is_one_line(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "llama", "hidden_size": -3}))
    result = subprocess.run([sys.executable, "-m", "explorer", "import-hf", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "hidden_size" in result.stderr


# Mutations: replace a value with one of another type or an absurd size, delete a key, add a key.
ODD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                       st.text(max_size=8), st.lists(st.integers(-3, 3), max_size=3),
                       st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@st.composite
def mutated_configs(draw):
    data = copy.deepcopy(load_config_file(draw(st.sampled_from(CONFIG_FILES))))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "delete", "add", "nested"]))
        key = draw(st.sampled_from(sorted(data))) if data else "model_type"
        if action == "replace":
            data[key] = draw(ODD_VALUES)
        elif action == "delete":
            data.pop(key, None)
        elif action == "add":
            data[draw(st.text(min_size=1, max_size=12))] = draw(ODD_VALUES)
        elif isinstance(data.get(key), dict) and data[key]:
            data[key][draw(st.sampled_from(sorted(data[key])))] = draw(ODD_VALUES)
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_configs())
def test_mutated_configs_raise_only_value_error(data):
    try:
        config = config_from_hf(data)
    except ValueError as err:
        assert "\n" not in str(err)
        return
    assert config.n_layer >= 1  # a mutation that keeps a valid file imports normally
