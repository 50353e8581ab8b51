"""Resolve a SPEC argument into a recipe: a preset name, a recipe JSON file or a Hugging Face config.json."""

from __future__ import annotations

import json
from pathlib import Path

from model import DecoderConfig, list_presets

MAX_SPEC_BYTES = 5 * 1024 * 1024  # recipes and HF configs are a few kB; anything this big is a mistake


def read_json_file(path: Path, label: str = "spec") -> object:
    """Parse the JSON file at ``path``; raise ValueError naming ``label`` and the file when it cannot be read.

    Devices and FIFOs are rejected unread, because reading /dev/zero would never end.
    """
    if not path.is_file():
        raise ValueError(f"invalid {label} {str(path)!r}: not a regular file")
    size = path.stat().st_size
    if size > MAX_SPEC_BYTES:
        raise ValueError(f"invalid {label} {str(path)!r}: file is {size} bytes, above the {MAX_SPEC_BYTES}-byte limit for a recipe")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError(f"invalid {label} {str(path)!r}: not a JSON file (nested too deeply to parse)") from None
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError and the integer digit limit
        raise ValueError(f"invalid {label} {str(path)!r}: not a JSON file ({err})") from None


def _from_hf(data: dict) -> DecoderConfig:
    try:
        from explorer.hf_import import config_from_hf
    except ImportError:
        raise ValueError("invalid spec: it is a Hugging Face config.json, but HF import (explorer.hf_import) "
                         "is unavailable in this checkout") from None
    return config_from_hf(data)


def load_spec(spec: str) -> DecoderConfig:
    """Return the recipe that ``spec`` names.

    ``spec`` is a preset name (``gpt2-small``), a path to a ``decoder-recipe/1`` JSON file, or a
    path to a Hugging Face config.json (an object with "model_type" and no "schema"). Raises
    ValueError with one line naming the problem for anything else.
    """
    path = Path(spec)
    if path.is_file():
        data = read_json_file(path)
        if not isinstance(data, dict):
            raise ValueError(f"invalid spec {spec!r}: expected a JSON object, got a JSON {type(data).__name__}")
        if "model_type" in data and "schema" not in data:
            return _from_hf(data)
        return DecoderConfig.from_dict(data)
    if spec in list_presets():
        return DecoderConfig.from_preset(spec)
    raise ValueError(f"invalid spec {spec!r}: not a file and not a preset (presets: {', '.join(list_presets())})")
