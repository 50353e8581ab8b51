"""One reader per Hugging Face ``model_type``: config.json keys to recipe fields.

Defaults are those of the family's ``transformers`` config class (version 5.25), so a file that
omits a key imports as ``AutoConfig`` reads it. Each reader lists the values it cannot model.
This file has the shared helpers and the families with learned or ALiBi positions (GPT-2,
GPT-Neo, OPT, BLOOM, MPT); ``hf_families_rope`` has the RoPE families.
"""

from __future__ import annotations

from typing import Any

from .hf_import import Reader, register

NO_BIAS = {"qkv": False, "attn_out": False, "mlp": False, "lm_head": False}
ALL_BIAS = {"qkv": True, "attn_out": True, "mlp": True, "lm_head": False}

# Activations of two-matrix MLPs, by transformers' ACT2FN name.
MLP_ACTIVATIONS = {
    "gelu": {"kind": "gelu", "approximate": "none"},
    "gelu_new": {"kind": "gelu", "approximate": "tanh"},
    "gelu_pytorch_tanh": {"kind": "gelu", "approximate": "tanh"},
    "relu": {"kind": "relu"},
}
# Activations on the gate of three-matrix (GLU) feed-forwards.
GATED_ACTIVATIONS = {
    "silu": {"kind": "swiglu"},
    "swish": {"kind": "swiglu"},
    "gelu": {"kind": "geglu", "approximate": "none"},
    "gelu_new": {"kind": "geglu", "approximate": "tanh"},
    "gelu_pytorch_tanh": {"kind": "geglu", "approximate": "tanh"},
}


def layernorm(r: Reader, key: str, default: float = 1e-5, bias: bool = True, affine: bool = True) -> dict[str, Any]:
    return {"kind": "layernorm", "eps": r.float(key, default), "bias": bias and affine, "affine": affine}


def rmsnorm(r: Reader, default: float = 1e-6, unit_offset: bool = False) -> dict[str, Any]:
    return {"kind": "rmsnorm", "eps": r.float("rms_norm_eps", default), "unit_offset": unit_offset}


@register("gpt2")
def read_gpt2(r: Reader) -> dict[str, Any]:
    r.get("n_ctx")  # an old alias of n_positions that GPT2Config no longer reads
    r.expect("scale_attn_by_inverse_layer_idx", False, (False,), "per-layer attention scaling")
    r.get("reorder_and_upcast_attn")  # float32 attention scores: numerics only
    d_model = r.int("n_embd")
    return {
        "vocab_size": r.int("vocab_size", limit="vocab"),
        "max_seq_len": r.int("n_positions", limit="positions"),
        "n_layer": r.int("n_layer", limit="layers"),
        "d_model": d_model,
        "n_head": r.int("n_head", limit="heads"),
        "d_ff": r.int("n_inner", None),
        "position": {"kind": "learned"},
        "feed_forward": r.choice("activation_function", "gelu_new", MLP_ACTIVATIONS),
        "norm": layernorm(r, "layer_norm_epsilon"),
        "bias": ALL_BIAS,
        "tie_embeddings": r.bool("tie_word_embeddings", True),
        "attention_scale": None if r.bool("scale_attn_weights", True) else 1.0,
    }


def gpt_neo_layer_kinds(r: Reader, n_layer: int) -> list[str]:
    """Expand GPT-Neo's ``attention_types`` ([[pattern, repeats], ...]) to one kind per layer."""
    spec = r.get("attention_types", [[["global", "local"], n_layer // 2]])
    kinds: list[str] = []
    try:
        for pattern, repeats in spec:
            if isinstance(repeats, bool) or not isinstance(repeats, int) or not 0 < repeats <= n_layer:
                raise TypeError
            if not isinstance(pattern, list) or not set(pattern) <= {"global", "local"}:
                raise TypeError
            kinds += pattern * repeats
    except (TypeError, ValueError):
        raise r.fail("attention_types", spec, "expected [[['global' or 'local', ...], repeats], ...]") from None
    if len(kinds) != n_layer:
        raise r.fail("attention_types", spec, f"gives {len(kinds)} layers but num_layers={n_layer}")
    listed = r.get("attention_layers")
    if listed is not None and listed != kinds:
        raise r.fail("attention_layers", listed, "must equal the expansion of attention_types")
    return kinds


@register("gpt_neo")
def read_gpt_neo(r: Reader) -> dict[str, Any]:
    n_layer = r.int("num_layers", limit="layers")
    local = [i for i, kind in enumerate(gpt_neo_layer_kinds(r, n_layer)) if kind == "local"]
    window = r.int("window_size", 256, limit="positions")
    return {
        "vocab_size": r.int("vocab_size", limit="vocab"),
        "max_seq_len": r.int("max_position_embeddings", limit="positions"),
        "n_layer": n_layer,
        "d_model": r.int("hidden_size"),
        "n_head": r.int("num_heads", limit="heads"),
        "d_ff": r.int("intermediate_size", None),
        "position": {"kind": "learned"},
        "feed_forward": r.choice("activation_function", "gelu_new", MLP_ACTIVATIONS),
        "norm": layernorm(r, "layer_norm_epsilon"),
        "bias": {"qkv": False, "attn_out": True, "mlp": True, "lm_head": False},
        "tie_embeddings": r.bool("tie_word_embeddings", True),
        "attention_scale": 1.0,  # GPT-Neo does not divide q.k by sqrt(head_dim)
        "sliding_window": window if local else None,
        "local_layers": local or None,
    }


@register("opt")
def read_opt(r: Reader) -> dict[str, Any]:
    d_model = r.int("hidden_size")
    r.expect("do_layer_norm_before", True, (True,), "OPT-350m's post-norm blocks are not modelled")
    r.expect("_remove_final_layer_norm", False, (False,), "every recipe has a final norm")
    projection = r.int("word_embed_proj_dim", d_model)
    if projection != d_model:
        raise r.fail("word_embed_proj_dim", projection,
                     f"only {d_model} (equal to hidden_size) is modelled; the project_in/out matrices are not")
    bias = r.bool("enable_bias", True)
    affine = r.bool("layer_norm_elementwise_affine", True)
    return {
        "vocab_size": r.int("vocab_size", limit="vocab"),
        "max_seq_len": r.int("max_position_embeddings", 2048, limit="positions"),
        "n_layer": r.int("num_hidden_layers", limit="layers"),
        "d_model": d_model,
        "n_head": r.int("num_attention_heads", limit="heads"),
        "d_ff": r.int("ffn_dim"),
        "position": {"kind": "learned", "offset": 2},  # OPT's table has 2 extra rows; position p reads row p + 2
        "feed_forward": r.choice("activation_function", "relu", MLP_ACTIVATIONS),
        "norm": {"kind": "layernorm", "eps": 1e-5, "bias": affine, "affine": affine},
        "bias": {"qkv": bias, "attn_out": bias, "mlp": bias, "lm_head": False},
        "tie_embeddings": r.bool("tie_word_embeddings", True),
    }


@register("bloom")
def read_bloom(r: Reader) -> dict[str, Any]:
    r.expect("apply_residual_connection_post_layernorm", False, (False,), "post-norm residuals are not modelled")
    r.get("slow_but_exact")  # a numerics switch for tensor-parallel checkpoints
    width_key = "n_embed" if "n_embed" in r.data else "hidden_size"  # BLOOM's released files use n_embed
    return {
        "vocab_size": r.int("vocab_size", limit="vocab"),
        # NOTE: BLOOM's config has no context length (ALiBi has no table); 2048 is its training length.
        "max_seq_len": r.int("seq_length", 2048, limit="positions"),
        "n_layer": r.int("n_layer", limit="layers"),
        "d_model": r.int(width_key),
        "n_head": r.int("n_head", limit="heads"),
        "position": {"kind": "alibi"},
        "feed_forward": {"kind": "gelu", "approximate": "tanh"},
        "norm": layernorm(r, "layer_norm_epsilon"),
        "bias": ALL_BIAS,
        "tie_embeddings": r.bool("tie_word_embeddings", True),
        "embedding_norm": True,
    }


@register("mpt")
def read_mpt(r: Reader) -> dict[str, Any]:
    attn = r.get("attn_config", {})
    if not isinstance(attn, dict):
        raise r.fail("attn_config", attn, "expected an object")
    a = Reader(attn, "mpt attn_config")
    a.expect("alibi", True, (True,), "transformers' MPT always adds ALiBi")
    a.expect("alibi_bias_max", 8, (8,), "the recipe's ALiBi slopes use 8")
    a.expect("qk_ln", False, (False,), "norms on queries and keys are not modelled")
    a.expect("clip_qkv", None, (None,), "clamping q, k and v changes the forward pass")
    a.expect("prefix_lm", False, (False,), "the recipe is a causal decoder")
    a.expect("attn_uses_sequence_id", False, (False,), "the recipe has no sequence ids")
    a.expect("attn_type", "multihead_attention", ("multihead_attention",), "other attention types are not modelled")
    a.get("attn_impl"), a.get("attn_pdrop")  # kernel choice and dropout: no effect on the model
    softmax_scale = a.float("softmax_scale", 1.0) if attn.get("softmax_scale") is not None else a.get("softmax_scale")
    a.check_unread()

    # transformers' MPT ignores these two keys and builds 4x MLPs without biases, so other values are rejected.
    r.expect("expansion_ratio", 4, (4,), "transformers' MPT always builds a 4x MLP")
    r.expect("no_bias", True, (True,), "transformers' MPT always builds layers without biases")
    r.expect("logit_scale", None, (None,), "scaled logits are not modelled")
    r.get("learned_pos_emb")  # NOTE: transformers' MPT ignores this key and builds no position table
    r.get("embedding_fraction")  # scales gradients only; the forward value is unchanged
    r.get("init_device")
    r.choice("norm_type", "low_precision_layernorm", {"low_precision_layernorm": 0, "layernorm": 0})
    return {
        "vocab_size": r.int("vocab_size", limit="vocab"),
        "max_seq_len": r.int("max_seq_len", 2048, limit="positions"),
        "n_layer": r.int("n_layers", limit="layers"),
        "d_model": r.int("d_model"),
        "n_head": r.int("n_heads", limit="heads"),
        "position": {"kind": "alibi"},
        "feed_forward": {"kind": "gelu", "approximate": "none"},
        "norm": layernorm(r, "layer_norm_epsilon", bias=False),
        "bias": NO_BIAS,
        "tie_embeddings": r.bool("tie_word_embeddings", True),
        "attention_scale": softmax_scale,
    }
