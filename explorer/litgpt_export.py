"""Write a recipe as a LitGPT model config (the keyword arguments of ``litgpt.Config``).

Field names and behaviour follow litgpt 0.5.13 (``litgpt/config.py``, ``litgpt/model.py``).
LitGPT builds RoPE models only. Its Config has no tied-head field: training ties the head to
the embedding when run with ``--train.tie_embeddings true``. It picks two norm variants from the
model name: a RMSNorm with a (1 + weight) scale when the name contains "Gemma", and a LayerNorm
without weights when it contains "OLMo". The exported name carries that word where the recipe
needs the variant. Anything else without an equivalent is rejected with a ValueError that names
the recipe field.
"""

from __future__ import annotations

import json
import math
from typing import Any

from model import DecoderConfig
from model.config import SCHEMA

from . import __version__

MLP_CLASSES = {"gelu": "GptNeoxMLP", "swiglu": "LLaMAMLP", "geglu": "GemmaMLP"}


def reject(config: DecoderConfig, field: str, value: Any, reason: str) -> ValueError:
    return ValueError(f"cannot export {config.name!r} as a LitGPT config: {field}={value!r} has no LitGPT "
                      f"equivalent ({reason})")


def bias_keys(config: DecoderConfig) -> dict[str, bool]:
    """Map our four bias switches to LitGPT's ``bias`` (every linear) and ``attn_bias`` (qkv only)."""
    b = config.bias
    if b["qkv"] == b["attn_out"] == b["mlp"]:
        return {"bias": b["qkv"], "attn_bias": False, "lm_head_bias": b["lm_head"]}
    if b["qkv"] and not b["attn_out"] and not b["mlp"]:
        return {"bias": False, "attn_bias": True, "lm_head_bias": b["lm_head"]}
    raise reject(config, "bias", b, "LitGPT biases every linear layer, or only q, k and v")


def norm_keys(config: DecoderConfig, name: str) -> tuple[dict[str, Any], str]:
    norm = config.norm
    if norm["kind"] == "rmsnorm":
        if norm["unit_offset"]:
            name = f"Gemma-style {name}"
        return {"norm_class_name": "RMSNorm", "norm_eps": norm["eps"]}, name
    if not norm["affine"]:
        name = f"OLMo-style {name}"
    elif not norm["bias"]:
        raise reject(config, "norm.bias", False, "LitGPT's LayerNorm always has a bias")
    return {"norm_class_name": "LayerNorm", "norm_eps": norm["eps"]}, name


def rope_keys(config: DecoderConfig) -> dict[str, Any]:
    position = config.position
    if position["kind"] != "rope":
        raise reject(config, "position.kind", position["kind"], "LitGPT models use rotary positions only")
    theta = position["theta"]
    keys: dict[str, Any] = {"rotary_percentage": position["fraction"], "rope_base": int(theta) if theta.is_integer() else theta}
    scaling = position["scaling"]
    if scaling is not None and scaling["type"] == "llama3":
        keys["rope_adjustments"] = {k: scaling[k] for k in ("factor", "low_freq_factor", "high_freq_factor",
                                                            "original_max_seq_len")}
    elif scaling is not None:
        if not float(scaling["factor"]).is_integer():
            raise reject(config, "position.scaling.factor", scaling["factor"], "rope_condense_ratio is an integer")
        keys["rope_condense_ratio"] = int(scaling["factor"])
    return keys


def mlp_keys(config: DecoderConfig) -> dict[str, Any]:
    ff = config.feed_forward
    if ff["kind"] not in MLP_CLASSES:
        raise reject(config, "feed_forward.kind", ff["kind"], f"LitGPT offers {', '.join(MLP_CLASSES)} only")
    keys = {"mlp_class_name": MLP_CLASSES[ff["kind"]], "intermediate_size": config.resolved_d_ff}
    if "approximate" in ff:
        keys["gelu_approximate"] = ff["approximate"]
    return keys


def recipe_to_litgpt(config: DecoderConfig) -> dict[str, Any]:
    """Return the keyword arguments of ``litgpt.Config`` that build this recipe."""
    if config.embedding_norm:
        raise reject(config, "embedding_norm", True, "LitGPT has no norm on the embeddings")
    scale = config.embedding_scale
    if scale is not None and not math.isclose(scale, math.sqrt(config.d_model)):
        raise reject(config, "embedding_scale", scale, "LitGPT scales embeddings by sqrt(n_embd) or not at all")

    norms, name = norm_keys(config, config.name)
    keys: dict[str, Any] = {
        "name": name,
        "block_size": config.max_seq_len,
        "vocab_size": config.vocab_size,
        "padded_vocab_size": config.vocab_size,
        "n_layer": config.n_layer,
        "n_embd": config.d_model,
        "n_head": config.n_head,
        "n_query_groups": config.n_kv_head,
        "head_size": config.resolved_head_dim,
        "parallel_residual": config.parallel_residual,
        "shared_attention_norm": config.shared_block_norm,
        "scale_embeddings": scale is not None,
        **norms, **rope_keys(config), **mlp_keys(config), **bias_keys(config),
    }
    if config.attention_scale is not None:
        # LitGPT scales q.k by 1 / sqrt(attention_scores_scalar).
        keys["attention_scores_scalar"] = 1.0 / config.attention_scale ** 2
    if config.sliding_window is not None:
        keys["sliding_window_size"] = config.sliding_window
        keys["sliding_window_indices"] = [int(w is not None) for w in config.layer_windows()]
    return keys


def litgpt_text(config: DecoderConfig) -> str:
    """Return a ``model_config.yaml`` for ``litgpt.Config.from_file``: comments, then JSON (valid YAML)."""
    header = f"# {SCHEMA} recipe {config.name!r} exported by decoder-explorer {__version__}\n"
    if config.tie_embeddings:
        header += "# tied embeddings: train with `litgpt pretrain ... --train.tie_embeddings true`\n"
    return header + json.dumps(recipe_to_litgpt(config), indent=2, sort_keys=True) + "\n"
