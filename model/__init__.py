"""A decoder-only transformer built from selectable components, in plain PyTorch."""

from .config import ConfigError, DecoderConfig, list_presets
from .decoder import Decoder, build_model

__all__ = ["ConfigError", "DecoderConfig", "Decoder", "build_model", "list_presets"]
