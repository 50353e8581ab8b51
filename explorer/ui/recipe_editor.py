"""The editor of one recipe slot: preset, components with their settings, and size.

``render_editor(slot)`` draws the widgets, validates the slot's recipe with ``DecoderConfig``
and returns the config. For an invalid recipe it returns None and shows the validation message
beside the widget of the field it names. The message also appears at the top of the slot,
because that widget may sit in a closed expander.
"""

from __future__ import annotations

import re

import streamlit as st

from model import DecoderConfig
from model.config import FEED_FORWARD_KINDS, GATED_FEED_FORWARDS, NORM_KINDS, POSITION_KINDS, presets_by_family

from . import slots
from .slots import bind, recipe, slot_key

POSITION_LABELS = {
    "learned": "learned absolute", "sinusoidal": "sinusoidal", "relative": "T5 relative bias",
    "alibi": "ALiBi", "rope": "RoPE", "xpos": "xPos",
}
FEED_FORWARD_LABELS = {"sigmoid": "sigmoid MLP", "gelu": "GELU MLP", "relu": "ReLU MLP", "swiglu": "SwiGLU", "geglu": "GeGLU"}
NORM_LABELS = {"layernorm": "LayerNorm", "rmsnorm": "RMSNorm"}
KIND_TABLES = {"position": POSITION_KINDS, "feed_forward": FEED_FORWARD_KINDS, "norm": NORM_KINDS}
FIELD_PATTERN = re.compile(r"^invalid ([A-Za-z_][\w.]*)=")


@st.cache_data(show_spinner=False)
def preset_families() -> dict[str, str]:
    """Return each preset's family (its ``family`` field, or "other"), in family order."""
    return {name: family for family, names in sorted(presets_by_family().items()) for name in sorted(names)}


@st.cache_data(max_entries=64, show_spinner=False)
def preset_description(name: str) -> str:
    return DecoderConfig.from_preset(name).description


def _load_preset(slot: int) -> None:
    name = st.session_state[slot_key(slot, "preset")]
    slots.load_into_slot(slot, DecoderConfig.from_preset(name))


def _change_kind(slot: int, part: str) -> None:
    """Give a newly picked component kind its own defaults, keeping settings both kinds share."""
    kinds = KIND_TABLES[part]
    kind = st.session_state[slot_key(slot, f"{part}.kind")]
    old = recipe(slot)[part]
    recipe(slot)[part] = {"kind": kind, **kinds[kind], **{k: v for k, v in old.items() if k in kinds[kind]}}
    slots.forget_widgets(slot, f"{part}.")


def _kind_picker(slot: int, part: str, label: str, labels: dict[str, str], placeholders: dict) -> str:
    key = slot_key(slot, f"{part}.kind")
    if key not in st.session_state:
        st.session_state[key] = recipe(slot)[part]["kind"]
    kind = st.selectbox(label, list(labels), format_func=labels.get, key=key, on_change=_change_kind, args=(slot, part))
    placeholders[f"{part}.kind"] = st.empty()
    return kind


def _number(slot: int, path: str, label: str, placeholders: dict, *, real: bool = False, **kwargs) -> None:
    if real:
        bind(slot, path, st.number_input, label, convert=float, format="%g", **kwargs)
    else:
        bind(slot, path, st.number_input, label, convert=int, step=1, **kwargs)
    placeholders[path] = st.empty()


def _auto_or_set(slot: int, path: str, label: str, rule: str, placeholders: dict, derived_spots: dict) -> None:
    """Draw a size that follows its rule unless the user sets it (head_dim, d_ff)."""
    auto_key = slot_key(slot, f"{path}_auto")
    if auto_key not in st.session_state:
        st.session_state[auto_key] = recipe(slot)[path] is None
    auto = st.checkbox(f"{label} by rule ({rule})", key=auto_key)
    if auto:
        recipe(slot)[path] = None
        st.session_state.pop(slot_key(slot, path), None)
        derived_spots[path] = st.empty()  # filled with the derived value once the recipe is valid
        placeholders[path] = st.empty()
        return
    if recipe(slot)[path] is None:
        # Start the manual value from the last value the rule gave.
        recipe(slot)[path] = st.session_state.get(slot_key(slot, f"_derived.{path}"), 1)
    _number(slot, path, label, placeholders, min_value=1)


def _components(slot: int, placeholders: dict, derived_spots: dict) -> None:
    data = recipe(slot)
    position = _kind_picker(slot, "position", "Positional encoding", POSITION_LABELS, placeholders)
    if position in ("rope", "xpos"):
        _number(slot, "position.theta", "RoPE theta (base)", placeholders, real=True, min_value=0.0)
    if position == "rope":
        _number(slot, "position.fraction", "Partial rotary: share of head_dim rotated", placeholders, real=True,
                min_value=0.0, max_value=1.0, step=0.05)
    if position == "xpos":
        _number(slot, "position.scale_base", "xPos scale base", placeholders, real=True, min_value=0.0)
    if position == "relative":
        _number(slot, "position.num_buckets", "T5 buckets", placeholders, min_value=1)
        _number(slot, "position.max_distance", "T5 max distance", placeholders, min_value=1)
    placeholders["position"] = st.empty()

    _number(slot, "n_kv_head", "KV heads (n_head for MHA, 1 for MQA, a divisor between for GQA)", placeholders, min_value=1)
    derived_spots["attention"] = st.empty()  # names MHA/GQA/MQA once the recipe is valid

    ff = _kind_picker(slot, "feed_forward", "Feed-forward", FEED_FORWARD_LABELS, placeholders)
    if "approximate" in data["feed_forward"]:
        bind(slot, "feed_forward.approximate", st.selectbox, "GELU form", options=["none", "tanh"],
             format_func={"none": "exact (erf)", "tanh": "tanh approximation"}.get)
        placeholders["feed_forward.approximate"] = st.empty()
    if ff in GATED_FEED_FORWARDS:
        _number(slot, "feed_forward.multiple_of", "d_ff rounded up to a multiple of", placeholders, min_value=1)
        _number(slot, "feed_forward.multiplier", "d_ff multiplier", placeholders, real=True, min_value=0.0, step=0.05)

    norm = _kind_picker(slot, "norm", "Normalization", NORM_LABELS, placeholders)
    _number(slot, "norm.eps", "Norm eps", placeholders, real=True, min_value=0.0, step=1e-6)
    if norm == "layernorm":
        bind(slot, "norm.bias", st.checkbox, "LayerNorm bias")
        placeholders["norm.bias"] = st.empty()


def _biases_and_head(slot: int, placeholders: dict) -> None:
    left, right = st.columns(2)
    with left:
        bind(slot, "bias.qkv", st.checkbox, "q/k/v bias")
        bind(slot, "bias.attn_out", st.checkbox, "attention output bias")
    with right:
        bind(slot, "bias.mlp", st.checkbox, "feed-forward bias")
        bind(slot, "bias.lm_head", st.checkbox, "output head bias")
    placeholders["bias"] = st.empty()
    bind(slot, "tie_embeddings", st.checkbox, "Tie output head to token embedding")
    bind(slot, "parallel_residual", st.checkbox, "Parallel attention + feed-forward block")
    if recipe(slot).get("parallel_residual"):
        bind(slot, "shared_block_norm", st.checkbox, "One norm shared by both branches")
    placeholders["parallel_residual"] = st.empty()


def _size(slot: int, placeholders: dict, derived_spots: dict) -> None:
    _number(slot, "n_layer", "Layers", placeholders, min_value=1)
    _number(slot, "d_model", "d_model", placeholders, min_value=1)
    _number(slot, "n_head", "Query heads", placeholders, min_value=1)
    _auto_or_set(slot, "head_dim", "head_dim", "d_model / heads", placeholders, derived_spots)
    rule = "Llama's 8/3·d rounded up" if recipe(slot)["feed_forward"]["kind"] in GATED_FEED_FORWARDS else "4·d_model"
    _auto_or_set(slot, "d_ff", "d_ff", rule, placeholders, derived_spots)
    _number(slot, "vocab_size", "Vocabulary size", placeholders, min_value=1)
    _number(slot, "max_seq_len", "Context length (max_seq_len)", placeholders, min_value=1)


def validate(data: dict) -> tuple[DecoderConfig | None, str | None]:
    """Return (config, None) for a valid recipe dict, or (None, the validation message)."""
    try:
        return DecoderConfig.from_dict(data), None
    except ValueError as err:  # ConfigError names the field, the value and what is allowed
        return None, str(err)
    except TypeError as err:  # a wrong type the checks did not foresee; still a message, not a traceback
        return None, f"invalid recipe: {err}"


def error_placeholder(message: str, placeholders: dict):
    """Return the placeholder beside the widget of the field the message names, or None."""
    match = FIELD_PATTERN.match(message)
    if not match:
        return None
    path = match.group(1)
    while path:
        if path in placeholders:
            return placeholders[path]
        path = path.rpartition(".")[0]
    return None


def render_editor(slot: int) -> DecoderConfig | None:
    """Draw the editor of ``slot`` and return its valid config, or None after showing why not."""
    placeholders: dict = {}
    derived_spots: dict = {}
    families = preset_families()
    st.selectbox("Start from preset", list(families), key=slot_key(slot, "preset"), on_change=_load_preset, args=(slot,),
                 format_func=lambda name: f"{families[name]} · {name}",
                 help="Loading a preset replaces every choice in this recipe.")
    source = st.session_state.get(slot_key(slot, "source"))
    if source:  # an uploaded file replaced the preset's recipe, so the preset's description no longer applies
        st.caption(f"Loaded from {source}. {recipe(slot).get('description') or ''}".strip())
    else:
        st.caption(preset_description(st.session_state[slot_key(slot, "preset")]))
    bind(slot, "name", st.text_input, "Recipe name")
    placeholders["name"] = st.empty()
    summary = st.empty()

    _components(slot, placeholders, derived_spots)
    # A key keeps each expander open when widgets above it appear or vanish (a new position kind).
    with st.expander("Biases and head", key=f"expander{slot}.biases"):
        _biases_and_head(slot, placeholders)
    with st.expander("Size", key=f"expander{slot}.size"):
        _size(slot, placeholders, derived_spots)

    config, message = validate(recipe(slot))
    if message is None:
        derived = {"head_dim": config.resolved_head_dim, "d_ff": config.resolved_d_ff}
        for path, value in derived.items():
            st.session_state[slot_key(slot, f"_derived.{path}")] = value
            if path in derived_spots:
                derived_spots[path].caption(f"{path} = {value:,}")
        per_kv = config.n_head // config.n_kv_head
        derived_spots["attention"].caption(
            f"**{config.attention_kind}**: {config.n_head} query heads share {config.n_kv_head} KV heads ({per_kv} per KV head)")
        return config
    summary.error(f"This recipe is not valid, so it is left out of the comparison. {message}")
    spot = error_placeholder(message, placeholders)
    if spot is not None:
        spot.error(message)
    return None
