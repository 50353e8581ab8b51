"""Download a slot's recipe (recipe JSON, and HF config.json where one exists) and upload one.

Downloads use ``on_click="ignore"``, so clicking one does not rerun the page. Uploads are parsed
as JSON data only, and no code from a file is run. A file is loaded into the slot only when it
validates. Otherwise the slot keeps its recipe and the message gives the reason.
"""

from __future__ import annotations

import json
import logging
from pathlib import PurePath
from typing import Any

import streamlit as st

from model import DecoderConfig

from . import slots
from .slots import slot_key

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 1_000_000  # a config.json is a few KB; anything this large is not one
MAX_UPLOAD_MB = 1  # the upload box's own limit, so the browser rejects a large file before sending it


@st.cache_data(max_entries=32, show_spinner=False)
def hf_config_json(recipe_json: str) -> tuple[str | None, str]:
    """Return (config.json text, "") or (None, why the recipe has no HF config)."""
    try:
        from explorer.hf_export import recipe_to_hf
    except ImportError:
        return None, "Hugging Face export is not available in this build."
    try:
        data = recipe_to_hf(DecoderConfig.from_json(recipe_json))
    except ValueError as err:
        return None, str(err)
    except Exception as err:  # an exporter bug costs this button only, never the page
        log.exception("HF export of %s failed", recipe_json)
        return None, f"export failed: {type(err).__name__}: {err}"
    return json.dumps(data, indent=2, sort_keys=True) + "\n", ""


def _reject_constant(token: str) -> None:
    raise ValueError(f"invalid number {token}: JSON allows only finite numbers")


def parse_upload(raw: bytes, file_name: str = "config.json") -> DecoderConfig:
    """Read a recipe JSON or a Hugging Face config.json; raise ValueError with the reason.

    A config.json without ``_name_or_path`` is named after its file (gpt2-xl.json gives
    gpt2-xl), as ``explorer.hf_import.load_hf_file`` names it on the command line.
    """
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValueError(f"file of {len(raw):,} bytes is too large for a config (limit {MAX_UPLOAD_BYTES:,} bytes)")
    try:
        # utf-8-sig also reads the byte order mark that some Windows editors write.
        data: Any = json.loads(raw.decode("utf-8-sig"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"not a readable JSON file ({type(err).__name__}: {err})") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got a {type(data).__name__}")
    if "schema" in data:
        return DecoderConfig.from_dict(data)
    if "model_type" in data or "architectures" in data:
        try:
            from explorer.hf_import import config_from_hf
        except ImportError:
            raise ValueError("Hugging Face config import is not available in this build") from None
        stem = PurePath(file_name).stem
        name = stem if not data.get("_name_or_path") and stem and stem != "config" else None
        return config_from_hf(data, name=name)
    raise ValueError("neither a recipe (no 'schema' key) nor a Hugging Face config.json (no 'model_type' key)")


def _on_upload(slot: int) -> None:
    upload = st.session_state.get(slot_key(slot, "upload"))
    if upload is None:
        return
    message_key = slot_key(slot, "upload_message")
    try:
        config = parse_upload(upload.getvalue(), upload.name)
    except ValueError as err:
        st.session_state[message_key] = ("error", f"{upload.name} was not loaded: {err}")
        return
    except Exception as err:  # an importer bug must not reach the page as a traceback
        log.exception("upload of %s into slot %d failed", upload.name, slot)
        st.session_state[message_key] = ("error", f"{upload.name} was not loaded: {type(err).__name__}: {err}")
        return
    slots.load_into_slot(slot, config)
    st.session_state[slot_key(slot, "source")] = upload.name
    st.session_state[message_key] = ("success", f"Loaded {config.name} from {upload.name}.")


def render_transfer(slot: int, config: DecoderConfig | None) -> None:
    """Draw the download buttons (for a valid recipe) and the upload box of ``slot``."""
    if config is not None:
        st.download_button("Download recipe JSON", data=config.to_json(), file_name=f"{config.name}.json",
                           mime="application/json", key=slot_key(slot, "download_recipe"), on_click="ignore",
                           help="The decoder-recipe/1 file that training code and `python -m explorer` read.")
        text, why = hf_config_json(config.to_json())
        if text is not None:
            st.download_button("Download HF config.json", data=text, file_name="config.json", mime="application/json",
                               key=slot_key(slot, "download_hf"), on_click="ignore",
                               help="A Hugging Face transformers config for the same architecture.")
        else:
            st.caption(f"No Hugging Face config.json: {why}")

    st.file_uploader("Load a recipe JSON or HF config.json into this slot", type=["json"],
                     key=slot_key(slot, "upload"), on_change=_on_upload, args=(slot,), max_upload_size=MAX_UPLOAD_MB)
    message = st.session_state.get(slot_key(slot, "upload_message"))
    if message:
        kind, text = message
        (st.error if kind == "error" else st.success)(text)
