"""Readers for the RoPE families: Llama, Mistral, Qwen2, Gemma, OLMo, GPT-NeoX, Phi and Falcon.

Defaults are those of each family's ``transformers`` config class (version 5.25).
"""

from __future__ import annotations

import math
from typing import Any

from .hf_families import GATED_ACTIVATIONS, MLP_ACTIVATIONS, NO_BIAS, layernorm, rmsnorm
from .hf_import import Reader, read_rope, register

def llama_like(r: Reader, max_positions: int, tie: bool, act: str = "silu") -> dict[str, Any]:
    """Read the keys that Llama, Mistral, Qwen2 and Gemma share."""
    d_model, n_head = r.int("hidden_size"), r.int("num_attention_heads", limit="heads")
    return {
        "vocab_size": r.int("vocab_size", limit="vocab"),
        "max_seq_len": r.int("max_position_embeddings", max_positions, limit="positions"),
        "n_layer": r.int("num_hidden_layers", limit="layers"),
        "d_model": d_model,
        "n_head": n_head,
        "n_kv_head": r.int("num_key_value_heads", None, limit="heads"),
        "head_dim": r.int("head_dim", None),
        "d_ff": r.int("intermediate_size"),
        "position": read_rope(r),
        "feed_forward": r.choice("hidden_act", act, GATED_ACTIVATIONS),
        "norm": rmsnorm(r),
        "tie_embeddings": r.bool("tie_word_embeddings", tie),
    }


@register("llama")
def read_llama(r: Reader) -> dict[str, Any]:
    fields = llama_like(r, 2048, tie=False)
    attention_bias, mlp_bias = r.bool("attention_bias", False), r.bool("mlp_bias", False)
    fields["bias"] = {"qkv": attention_bias, "attn_out": attention_bias, "mlp": mlp_bias, "lm_head": False}
    return fields


@register("mistral")
def read_mistral(r: Reader) -> dict[str, Any]:
    fields = llama_like(r, 4096 * 32, tie=False)
    fields["bias"] = NO_BIAS
    fields["sliding_window"] = r.int("sliding_window", 4096, limit="positions")
    return fields


@register("qwen2")
def read_qwen2(r: Reader) -> dict[str, Any]:
    fields = llama_like(r, 32768, tie=False)
    fields["bias"] = {"qkv": True, "attn_out": False, "mlp": False, "lm_head": False}
    r.expect("use_mrope", False, (False,), "multimodal RoPE is not modelled")
    window = r.int("sliding_window", 4096, limit="positions") if r.bool("use_sliding_window", False) else None
    r.get("sliding_window")  # transformers ignores it unless use_sliding_window is true
    max_window_layers = r.int("max_window_layers", 28, limit="layers", minimum=0)
    kinds = r.get("layer_types")
    if kinds is None:
        kinds = ["sliding_attention" if window is not None and i >= max_window_layers else "full_attention"
                 for i in range(fields["n_layer"])]
    if not isinstance(kinds, list) or len(kinds) != fields["n_layer"] or \
            not all(kind in ("full_attention", "sliding_attention") for kind in kinds):
        raise r.fail("layer_types", kinds, f"expected {fields['n_layer']} entries of full_attention or sliding_attention")
    local = [i for i, kind in enumerate(kinds) if kind == "sliding_attention"]
    if local and window is None:
        raise r.fail("layer_types", kinds, "lists sliding_attention layers but use_sliding_window is false")
    fields["sliding_window"] = window if local else None
    fields["local_layers"] = local or None
    return fields


@register("gemma")
def read_gemma(r: Reader) -> dict[str, Any]:
    fields = llama_like(r, 8192, tie=True, act="gelu_pytorch_tanh")
    if fields["n_kv_head"] is None:
        fields["n_kv_head"] = r.int("num_key_value_heads", 16, limit="heads")
    fields["head_dim"] = r.int("head_dim", 256)
    if r.get("hidden_act") == "gelu":  # Gemma's first releases wrote "gelu" for the tanh form
        fields["feed_forward"] = GATED_ACTIVATIONS["gelu_pytorch_tanh"]
    r.get("hidden_activation")  # NOTE: transformers 5 reads only hidden_act for Gemma
    attention_bias = r.bool("attention_bias", False)
    r.expect("use_bidirectional_attention", None, (None, False), "the recipe is a causal decoder")
    fields["bias"] = {"qkv": attention_bias, "attn_out": attention_bias, "mlp": False, "lm_head": False}
    fields["norm"]["unit_offset"] = True  # Gemma's RMSNorm scales by (1 + weight)
    fields["embedding_scale"] = math.sqrt(fields["d_model"])
    return fields


@register("olmo")
def read_olmo(r: Reader) -> dict[str, Any]:
    r.expect("clip_qkv", None, (None,), "clamping q, k and v changes the forward pass")
    attention_bias = r.bool("attention_bias", False)
    d_model, n_head = r.int("hidden_size"), r.int("num_attention_heads", limit="heads")
    return {
        "vocab_size": r.int("vocab_size", limit="vocab"),
        "max_seq_len": r.int("max_position_embeddings", 2048, limit="positions"),
        "n_layer": r.int("num_hidden_layers", limit="layers"),
        "d_model": d_model,
        "n_head": n_head,
        "n_kv_head": r.int("num_key_value_heads", None, limit="heads"),
        "d_ff": r.int("intermediate_size"),
        "position": read_rope(r),
        "feed_forward": r.choice("hidden_act", "silu", GATED_ACTIVATIONS),
        "norm": {"kind": "layernorm", "eps": 1e-5, "bias": False, "affine": False},  # OLMo's norm has no weights
        "bias": {"qkv": attention_bias, "attn_out": attention_bias, "mlp": False, "lm_head": False},
        "tie_embeddings": r.bool("tie_word_embeddings", False),
    }


@register("gpt_neox")
def read_gpt_neox(r: Reader) -> dict[str, Any]:
    attention_bias = r.bool("attention_bias", True)
    r.get("num_key_value_heads")  # written by transformers 5 but unused: GPT-NeoX attention is always MHA
    return {
        "vocab_size": r.int("vocab_size", limit="vocab"),
        "max_seq_len": r.int("max_position_embeddings", 2048, limit="positions"),
        "n_layer": r.int("num_hidden_layers", limit="layers"),
        "d_model": r.int("hidden_size"),
        "n_head": r.int("num_attention_heads", limit="heads"),
        "d_ff": r.int("intermediate_size"),
        "position": read_rope(r, fraction=0.25, theta_key="rotary_emb_base", fraction_key="rotary_pct"),
        "feed_forward": r.choice("hidden_act", "gelu", MLP_ACTIVATIONS),
        "norm": layernorm(r, "layer_norm_eps"),
        "bias": {"qkv": attention_bias, "attn_out": attention_bias, "mlp": True, "lm_head": False},
        "tie_embeddings": r.bool("tie_word_embeddings", False),
        "parallel_residual": r.bool("use_parallel_residual", True),
    }


@register("phi")
def read_phi(r: Reader) -> dict[str, Any]:
    r.expect("qk_layernorm", False, (False,), "norms on queries and keys are not modelled")
    return {
        "vocab_size": r.int("vocab_size", limit="vocab"),
        "max_seq_len": r.int("max_position_embeddings", 2048, limit="positions"),
        "n_layer": r.int("num_hidden_layers", limit="layers"),
        "d_model": r.int("hidden_size"),
        "n_head": r.int("num_attention_heads", limit="heads"),
        "n_kv_head": r.int("num_key_value_heads", None, limit="heads"),
        "d_ff": r.int("intermediate_size"),
        "position": read_rope(r, fraction=0.5, fraction_key="partial_rotary_factor"),
        "feed_forward": r.choice("hidden_act", "gelu_new", MLP_ACTIVATIONS),
        "norm": layernorm(r, "layer_norm_eps"),
        "bias": {"qkv": True, "attn_out": True, "mlp": True, "lm_head": True},
        "tie_embeddings": r.bool("tie_word_embeddings", False),
        "parallel_residual": True,
        "shared_block_norm": True,  # one input_layernorm feeds attention and MLP
    }


@register("falcon")
def read_falcon(r: Reader) -> dict[str, Any]:
    r.expect("alibi", False, (False,), "Falcon's ALiBi variant is not modelled; its released models use RoPE")
    r.expect("apply_residual_connection_post_layernorm", False, (False,), "post-norm residuals are not modelled")
    d_model, n_head = r.int("hidden_size"), r.int("num_attention_heads", limit="heads")

    new_architecture = r.bool("new_decoder_architecture", False)
    multi_query = r.bool("multi_query", True)
    n_kv_head = r.int("num_kv_heads", None, limit="heads") or n_head
    r.get("num_key_value_heads")  # derived by FalconConfig from the keys above; a stored value is overwritten
    if not new_architecture:
        n_kv_head = 1 if multi_query else n_head
    parallel = r.bool("parallel_attn", True)
    norms = r.int("num_ln_in_parallel_attn", None, limit="layers")
    # transformers builds these combinations but cannot run them, so neither is modelled.
    if new_architecture and not parallel:
        raise r.fail("parallel_attn", False, "new_decoder_architecture needs parallel_attn=true")
    if norms not in (None, 1, 2) or (norms == 2 and not new_architecture):
        raise r.fail("num_ln_in_parallel_attn", norms, "expected null or 1, or 2 with new_decoder_architecture")
    shared_norm = parallel and (norms == 1 or not new_architecture)

    bias = r.bool("bias", False)
    return {
        "vocab_size": r.int("vocab_size", limit="vocab"),
        "max_seq_len": r.int("max_position_embeddings", 2048, limit="positions"),
        "n_layer": r.int("num_hidden_layers", limit="layers"),
        "d_model": d_model,
        "n_head": n_head,
        "n_kv_head": n_kv_head,
        "d_ff": r.int("ffn_hidden_size", None),
        "position": read_rope(r),
        "feed_forward": r.choice("activation", "gelu", MLP_ACTIVATIONS),
        "norm": layernorm(r, "layer_norm_epsilon"),
        "bias": {"qkv": bias, "attn_out": bias, "mlp": bias, "lm_head": False},
        "tie_embeddings": r.bool("tie_word_embeddings", True),
        "parallel_residual": parallel,
        "shared_block_norm": shared_norm,
    }
