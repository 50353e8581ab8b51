"""Export and import on the page: stable download bytes, HF configs in, bad files rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import metric, page_errors, small_app

from explorer.hf_import import config_from_hf, load_hf_file
from model import DecoderConfig

HF_CONFIGS = Path(__file__).resolve().parents[1] / "data" / "hf_configs"
# The real checkpoints' config.json files with published parameter counts.
REFERENCE = ["gpt2.json", "llama-2-7b.json", "mistral-7b-v0.1.json", "qwen2-0.5b.json", "tinyllama-1.1b-chat-v1.0.json"]


def files_named(downloads, name: str) -> list[bytes]:
    return [data for file_name, data in downloads if file_name == name]


def test_recipe_download_bytes_stable_across_reruns(downloads):
    at = small_app()
    at.number_input(key="w.batch").set_value(2).run()  # an unrelated change reruns the page
    at.run()
    recipe = DecoderConfig.from_dict(at.session_state["recipes"][0])
    sent = files_named(downloads, f"{recipe.name}.json")
    assert len(sent) >= 3
    assert len(set(sent)) == 1
    assert sent[0] == recipe.to_json().encode()


def test_hf_config_download_stable_and_importable(downloads):
    at = small_app()
    at.run()
    sent = files_named(downloads, "config.json")
    assert len(set(sent)) == 2  # one file per recipe, the same bytes on every run
    assert all(sent.count(data) >= 2 for data in sent)
    imported = config_from_hf(json.loads(sent[0]))
    assert imported.n_layer == 2
    assert imported.position["kind"] == "learned"


def test_download_does_not_rerun():
    at = small_app()
    buttons = at.get("download_button")
    assert len(buttons) == 4
    assert all(b.proto.ignore_rerun for b in buttons)


def test_no_hf_config_for_xpos_says_why():
    at = small_app()
    at.selectbox(key="r0.position.kind").set_value("xpos").run()
    assert not at.exception
    assert any("No Hugging Face config.json" in c.value and "xpos" in c.value for c in at.caption)


@pytest.mark.parametrize("file_name", REFERENCE)
def test_reference_hf_config_loads_into_slot(file_name):
    at = small_app()
    raw = (HF_CONFIGS / file_name).read_bytes()
    at.file_uploader(key="r1.upload").upload(file_name, raw, "application/json").run()
    assert not at.exception
    assert page_errors(at) == []
    expected = load_hf_file(HF_CONFIGS / file_name)  # the command line's reading, file-name rule included
    assert DecoderConfig.from_dict(at.session_state["recipes"][1]) == expected
    assert any(s.value.startswith(f"Loaded {expected.name}") for s in at.success)
    assert len(metric(at, "Parameters (total)")) == 2


def test_hf_upload_named_after_file():
    at = small_app()
    raw = (HF_CONFIGS / "gpt2-xl.json").read_bytes()
    assert "_name_or_path" not in json.loads(raw)
    at.file_uploader(key="r0.upload").upload("gpt2-xl.json", raw, "application/json").run()
    assert not at.exception
    assert at.session_state["recipes"][0]["name"] == "gpt2-xl"
    assert any(s.value == "Loaded gpt2-xl from gpt2-xl.json." for s in at.success)


def test_upload_replaces_preset_description():
    at = small_app()
    raw = (HF_CONFIGS / "gemma-2b.json").read_bytes()
    at.file_uploader(key="r0.upload").upload("gemma-2b.json", raw, "application/json").run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Loaded from gemma-2b.json.") for c in captions)
    assert not any(c.startswith("GPT-2 small") for c in captions)  # the preset no longer describes slot 0


def test_recipe_json_with_byte_order_mark_loads():
    at = small_app()
    recipe = DecoderConfig.from_preset("gpt2-medium").to_json().encode()
    at.file_uploader(key="r0.upload").upload("gpt2-medium.json", b"\xef\xbb\xbf" + recipe, "application/json").run()
    assert not at.exception
    assert page_errors(at) == []
    assert at.session_state["recipes"][0]["n_layer"] == 24


def test_upload_box_states_its_limit():
    at = small_app()
    boxes = at.get("file_uploader")
    assert len(boxes) == 2
    assert all(box.proto.max_upload_size_mb == 1 for box in boxes)  # not the server's 200 MB default


def test_recipe_json_upload_round_trips():
    at = small_app()
    recipe = DecoderConfig.from_preset("gpt2-medium").to_json().encode()
    at.file_uploader(key="r0.upload").upload("gpt2-medium.json", recipe, "application/json").run()
    assert not at.exception
    assert at.session_state["recipes"][0]["n_layer"] == 24
    assert at.number_input(key="r0.n_layer").value == 24


@pytest.mark.parametrize("content, reason", [
    (b"{not json", "not a readable JSON file"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"model_type": "t5", "d_model": 512}', "invalid model_type='t5'"),
    (b'{"schema": "decoder-recipe/1", "n_head": 0}', "invalid n_head=0"),
    (b'{"hello": 1}', "neither a recipe"),
    (b'{"schema": "decoder-recipe/1", "dropout": NaN}', "invalid number NaN"),
])
def test_bad_upload_changes_nothing(content, reason):
    at = small_app()
    before = [dict(r) for r in at.session_state["recipes"]]
    params = metric(at, "Parameters (total)")
    at.file_uploader(key="r0.upload").upload("bad.json", content, "application/json").run()
    assert not at.exception
    errors = page_errors(at)
    assert len(errors) == 1
    assert errors[0].startswith("bad.json was not loaded")
    assert reason in errors[0]
    assert at.session_state["recipes"] == before
    assert metric(at, "Parameters (total)") == params
