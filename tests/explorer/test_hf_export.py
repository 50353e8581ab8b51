"""Exporting recipes as HF config.json: transformers builds the same parameter count."""

from __future__ import annotations

import itertools
import json

import pytest

from explorer import __version__
from explorer.hf_export import recipe_to_hf
from explorer.hf_import import config_from_hf
from model import DecoderConfig
from model.config import SCHEMA, list_presets
from tests.explorer.hf_oracle import MODEL_TYPES, hf_count, our_count, tiny_hf_dict, transformers


@pytest.mark.parametrize("name", list_presets())
def test_preset_export_builds_same_count(name):
    config = DecoderConfig.from_preset(name)
    data = recipe_to_hf(config)
    assert hf_count(data) == our_count(config)


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_family_round_trip(model_type):
    config = config_from_hf(tiny_hf_dict(model_type))
    data = recipe_to_hf(config)
    assert data["model_type"] == model_type
    assert hf_count(data) == our_count(config)


def test_export_loads_with_autoconfig():
    data = recipe_to_hf(DecoderConfig.from_preset("mistral-7b"))
    loaded = transformers.AutoConfig.for_model(**json.loads(json.dumps(data)))
    assert type(loaded).__name__ == "MistralConfig"
    assert loaded.sliding_window == 4096


def test_export_carries_versions():
    data = recipe_to_hf(DecoderConfig.from_preset("gpt2-small"))
    assert data["explorer_schema"] == SCHEMA
    assert data["explorer_version"] == __version__


@pytest.mark.parametrize("position, feed_forward, label", [
    ({"kind": "xpos"}, {"kind": "swiglu"}, "xpos"),
    ({"kind": "relative"}, {"kind": "gelu"}, "relative"),
    ({"kind": "rope"}, {"kind": "sigmoid"}, "sigmoid"),
    ({"kind": "sinusoidal"}, {"kind": "gelu"}, "sinusoidal"),
])
def test_component_without_equivalent_named(position, feed_forward, label):
    config = DecoderConfig(n_layer=2, d_model=64, n_head=4, position=position, feed_forward=feed_forward)
    with pytest.raises(ValueError, match=label):
        recipe_to_hf(config)


def test_unmatched_combination_lists_fields():
    # RMSNorm with a learned table and a GELU MLP: no transformers class has that mix.
    config = DecoderConfig(n_layer=2, d_model=64, n_head=4, norm={"kind": "rmsnorm"})
    with pytest.raises(ValueError, match=r"closest, gpt2, differs in .*norm"):
        recipe_to_hf(config)


# A grid of tiny recipes: every combination that exports must build the same count in transformers.
GRID = list(itertools.product(
    ["learned", "rope", "alibi"],
    ["gelu", "relu", "swiglu", "geglu"],
    ["layernorm", "rmsnorm"],
    [(4, 4), (4, 2), (4, 1)],
    [False, True],
))


def test_grid_exports_are_exact():
    exported = 0
    for position, ff, norm, (n_head, n_kv), tie in GRID:
        config = DecoderConfig(vocab_size=300, max_seq_len=32, n_layer=2, d_model=64, n_head=n_head, n_kv_head=n_kv,
                               position={"kind": position}, feed_forward={"kind": ff}, norm={"kind": norm},
                               tie_embeddings=tie)
        try:
            data = recipe_to_hf(config)
        except ValueError as err:
            assert "cannot export" in str(err)
            continue
        exported += 1
        assert hf_count(data) == our_count(config), (position, ff, norm, n_kv, tie, data["model_type"])
    assert exported >= 12


def test_cli_export_formats_deterministic(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    outputs = {}
    for fmt in ("recipe", "hf", "litgpt"):
        path = tmp_path / f"out.{fmt}"
        result = subprocess.run([sys.executable, "-m", "explorer", "export", "tinyllama-1.1b", "--format", fmt,
                                 "--output", str(path)], cwd=root, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        outputs[fmt] = path.read_text()
    recipe = json.loads(outputs["recipe"])
    assert recipe["exported_by"] == f"decoder-explorer {__version__}"
    assert DecoderConfig.from_dict(recipe) == DecoderConfig.from_preset("tinyllama-1.1b")
    assert list(json.loads(outputs["hf"])) == sorted(json.loads(outputs["hf"]))
    assert outputs["litgpt"].startswith("# decoder-recipe/1")


def test_cli_export_rejection_is_one_line():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-m", "explorer", "export", "gpt2-small", "--format", "litgpt"],
                            cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "position.kind='learned'" in result.stderr
