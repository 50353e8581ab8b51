"""Export a recipe in one of three formats: our recipe JSON, an HF config.json, a LitGPT config.

Every format writes sorted keys, so the same recipe always gives the same bytes, and records the
recipe schema and the version of this tool.
"""

from __future__ import annotations

import json
from typing import Callable

from model import DecoderConfig

from . import __version__
from .hf_export import recipe_to_hf
from .litgpt_export import litgpt_text

TOOL = f"decoder-explorer {__version__}"


def recipe_text(config: DecoderConfig) -> str:
    """Return the recipe JSON; ``DecoderConfig.from_dict`` skips the ``exported_by`` note."""
    data = {**config.to_dict(), "exported_by": TOOL}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def hf_text(config: DecoderConfig) -> str:
    return json.dumps(recipe_to_hf(config), indent=2, sort_keys=True) + "\n"


FORMATS: dict[str, Callable[[DecoderConfig], str]] = {
    "recipe": recipe_text,
    "hf": hf_text,
    "litgpt": litgpt_text,
}


def export_text(config: DecoderConfig, fmt: str) -> str:
    """Return the recipe in format ``fmt``; ValueError names what the format cannot express."""
    if fmt not in FORMATS:
        raise ValueError(f"invalid format={fmt!r}: expected one of {', '.join(FORMATS)}")
    return FORMATS[fmt](config)
