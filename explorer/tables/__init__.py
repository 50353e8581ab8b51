"""Comparison tables of components, every cell measured on the real model and rated by a stated rule."""

from .build import TABLE_KEYS, build_tables
from .recipes import TableSettings
from .render import to_json, to_markdown

__all__ = ["TABLE_KEYS", "TableSettings", "build_tables", "to_json", "to_markdown"]
