"""Weight converters for Qwen2 and Mistral (Llama's layout) and for GPT-NeoX and Falcon.

GPT-NeoX and Falcon store q, k and v in one fused ``query_key_value`` matrix; the functions
below split its rows into our separate projections. Registered into ``explorer.hf_weights``.
"""

from __future__ import annotations

import torch

from model import DecoderConfig

from .hf_weights import StateDict, convert_llama, head_weight, register

register("qwen2")(convert_llama)
register("mistral")(convert_llama)


def split_rows_per_head(fused: torch.Tensor, config: DecoderConfig) -> tuple[torch.Tensor, ...]:
    """Split a fused qkv weight or bias laid out as (n_head, [q | k | v], head_dim) along its rows."""
    per_head = fused.reshape(config.n_head, 3, config.resolved_head_dim, *fused.shape[1:])
    return tuple(per_head[:, i].reshape(-1, *fused.shape[1:]) for i in range(3))


def split_rows_grouped(fused: torch.Tensor, config: DecoderConfig) -> tuple[torch.Tensor, ...]:
    """Split Falcon's grouped layout: per kv head, its group of query heads, then one key and one value."""
    group = config.n_head // config.n_kv_head
    grouped = fused.reshape(config.n_kv_head, group + 2, config.resolved_head_dim, *fused.shape[1:])
    q = grouped[:, :group].reshape(-1, *fused.shape[1:])
    k = grouped[:, group].reshape(-1, *fused.shape[1:])
    v = grouped[:, group + 1].reshape(-1, *fused.shape[1:])
    return q, k, v


def copy_linear(out: dict, ours: str, hf: StateDict, theirs: str) -> None:
    out[ours + ".weight"] = hf[theirs + ".weight"]
    if theirs + ".bias" in hf:
        out[ours + ".bias"] = hf[theirs + ".bias"]


def copy_norm(out: dict, ours: str, hf: StateDict, theirs: str) -> None:
    copy_linear(out, ours, hf, theirs)


def copy_fused_qkv(out: dict, dst: str, hf: StateDict, src: str, split) -> None:
    for suffix in ("weight", "bias"):
        if f"{src}.{suffix}" not in hf:
            continue
        q, k, v = split(hf[f"{src}.{suffix}"])
        for name, tensor in (("q_proj", q), ("k_proj", k), ("v_proj", v)):
            out[f"{dst}.{name}.{suffix}"] = tensor


@register("gpt_neox")
def convert_gpt_neox(hf: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Convert GPTNeoXForCausalLM weights; its fused qkv rows are (head, [q | k | v], head_dim)."""
    out = {"embedding.weight": hf["gpt_neox.embed_in.weight"],
           "head.weight": head_weight(hf, config, "gpt_neox.embed_in.weight")}
    copy_norm(out, "final_norm", hf, "gpt_neox.final_layer_norm")
    for i in range(config.n_layer):
        src, dst = f"gpt_neox.layers.{i}.", f"blocks.{i}."
        copy_norm(out, dst + "attn_norm", hf, src + "input_layernorm")
        copy_norm(out, dst + "ffn_norm", hf, src + "post_attention_layernorm")
        copy_fused_qkv(out, dst + "attn", hf, src + "attention.query_key_value",
                       lambda t: split_rows_per_head(t, config))
        copy_linear(out, dst + "attn.o_proj", hf, src + "attention.dense")
        copy_linear(out, dst + "ffn.up", hf, src + "mlp.dense_h_to_4h")
        copy_linear(out, dst + "ffn.down", hf, src + "mlp.dense_4h_to_h")
    return out


@register("falcon")
def convert_falcon(hf: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Convert FalconForCausalLM weights (RoPE models with multi-head, multi-query or grouped attention)."""
    # One grouped layout covers all three: multi-head is 1 query per group, multi-query 1 group.
    split = lambda t: split_rows_grouped(t, config)  # noqa: E731
    out = {"embedding.weight": hf["transformer.word_embeddings.weight"],
           "head.weight": head_weight(hf, config, "transformer.word_embeddings.weight")}
    copy_norm(out, "final_norm", hf, "transformer.ln_f")
    for i in range(config.n_layer):
        src, dst = f"transformer.h.{i}.", f"blocks.{i}."
        if src + "ln_attn.weight" in hf:
            copy_norm(out, dst + "attn_norm", hf, src + "ln_attn")
            copy_norm(out, dst + "ffn_norm", hf, src + "ln_mlp")
        else:
            copy_norm(out, dst + "attn_norm", hf, src + "input_layernorm")
            if src + "post_attention_layernorm.weight" in hf:
                copy_norm(out, dst + "ffn_norm", hf, src + "post_attention_layernorm")
        copy_fused_qkv(out, dst + "attn", hf, src + "self_attention.query_key_value", split)
        copy_linear(out, dst + "attn.o_proj", hf, src + "self_attention.dense")
        copy_linear(out, dst + "ffn.up", hf, src + "mlp.dense_h_to_4h")
        copy_linear(out, dst + "ffn.down", hf, src + "mlp.dense_4h_to_h")
    return out
