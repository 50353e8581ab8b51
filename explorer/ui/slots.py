"""Recipe slots in the session: the raw recipe dict behind each editor and its widget keys.

Each slot is a plain recipe dict in ``st.session_state["recipes"][slot]``, which may be
invalid while the user edits it; ``DecoderConfig`` validates it on every run. Widgets are keyed
``r{slot}.{path}`` (``r1.position.theta``). A widget's state is dropped by Streamlit when the
widget is not drawn, so the dict, not the widget, is the record that survives a hidden setting.
Everything lives in ``st.session_state``, so browser sessions never share recipes.
"""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from model import DecoderConfig

DEFAULT_PRESETS = ["gpt2-small", "llama-style-124m", "gpt2-small", "llama-style-124m"]
MAX_SLOTS = len(DEFAULT_PRESETS)


def slot_key(slot: int, path: str) -> str:
    return f"r{slot}.{path}"


def init_slots() -> None:
    """Fill the session's slots from the default presets on the first run."""
    if "recipes" not in st.session_state:
        st.session_state["recipes"] = [DecoderConfig.from_preset(name).to_dict() for name in DEFAULT_PRESETS]
        for slot, name in enumerate(DEFAULT_PRESETS):
            st.session_state[slot_key(slot, "preset")] = name


def recipe(slot: int) -> dict[str, Any]:
    return st.session_state["recipes"][slot]


def get_path(data: dict[str, Any], path: str) -> Any:
    for part in path.split(".")[:-1]:
        data = data[part]
    return data.get(path.split(".")[-1])


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    for part in path.split(".")[:-1]:
        data = data.setdefault(part, {})
    data[path.split(".")[-1]] = value


def forget_widgets(slot: int, prefix: str = "") -> None:
    """Drop the slot's widget states under ``prefix`` so they start again from the recipe dict."""
    start = slot_key(slot, prefix)
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(start)]:
        if key != slot_key(slot, "preset") and not key.startswith(slot_key(slot, "upload")):
            del st.session_state[key]


def load_into_slot(slot: int, config: DecoderConfig) -> None:
    """Replace the slot's recipe with ``config`` and reset its widgets to show it."""
    st.session_state["recipes"][slot] = config.to_dict()
    forget_widgets(slot)


def bind(slot: int, path: str, widget: Callable[..., Any], label: str, convert: Callable[[Any], Any] | None = None, **kwargs: Any) -> Any:
    """Draw ``widget`` for the recipe field at ``path`` and copy its value back into the recipe.

    ``convert`` turns the recipe's value into the widget's type (a float for a number input
    with float steps). Returns the widget's value.
    """
    key = slot_key(slot, path)
    data = recipe(slot)
    if key not in st.session_state:
        value = get_path(data, path)
        st.session_state[key] = convert(value) if convert and value is not None else value
    value = widget(label, key=key, **kwargs)
    set_path(data, path, value)
    return value
