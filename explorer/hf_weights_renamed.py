"""Weight converters for GPT-Neo, OPT, Phi, BLOOM, MPT, OLMo and Gemma.

Most of these only rename tensors, so each family is a table from our module names to theirs.
BLOOM and MPT fuse q, k and v into one matrix, split here by its layout. Registered into
``explorer.hf_weights``.
"""

from __future__ import annotations

from typing import Callable

import torch

from model import DecoderConfig

from .hf_weights import StateDict, convert_llama, head_weight, register
from .hf_weights_fused import copy_fused_qkv, copy_linear, split_rows_per_head

register("gemma")(convert_llama)  # Llama's names; HF Gemma also stores the RMSNorm weight as w in (1 + w)

Split = Callable[[torch.Tensor], tuple[torch.Tensor, ...]]
QKV = {"attn.q_proj": "q_proj", "attn.k_proj": "k_proj", "attn.v_proj": "v_proj"}


def convert_by_table(hf: StateDict, config: DecoderConfig, embedding: str, top: dict[str, str], layer_prefix: str,
                     layer: dict[str, str], fused_qkv: tuple[str, Split] | None = None) -> dict[str, torch.Tensor]:
    """Copy every weight and bias that the tables name, then split a fused qkv matrix if there is one.

    ``top`` and ``layer`` map our module names to theirs, and ``layer_prefix`` has a ``{i}`` for the
    layer. Names absent from ``hf`` (norms without weights) are skipped; the strict load that follows
    rejects any tensor our model still lacks.
    """
    out = {"head.weight": head_weight(hf, config, embedding + ".weight")}
    if "lm_head.bias" in hf:
        out["head.bias"] = hf["lm_head.bias"]
    for ours, theirs in {"embedding": embedding, **top}.items():
        if theirs + ".weight" in hf:
            copy_linear(out, ours, hf, theirs)
    for i in range(config.n_layer):
        src, dst = layer_prefix.format(i=i), f"blocks.{i}."
        for ours, theirs in layer.items():
            if src + theirs + ".weight" in hf:
                copy_linear(out, dst + ours, hf, src + theirs)
        if fused_qkv is not None:
            name, split = fused_qkv
            copy_fused_qkv(out, dst + "attn", hf, src + name, split)
    return out


@register("gpt_neo")
def convert_gpt_neo(hf: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Convert GPTNeoForCausalLM weights; unlike GPT-2 they are nn.Linear, so nothing is transposed."""
    layer = {"attn_norm": "ln_1", "ffn_norm": "ln_2", "attn.o_proj": "attn.attention.out_proj",
             "ffn.up": "mlp.c_fc", "ffn.down": "mlp.c_proj",
             **{ours: f"attn.attention.{theirs}" for ours, theirs in QKV.items()}}
    return convert_by_table(hf, config, "transformer.wte",
                            {"positions.table": "transformer.wpe", "final_norm": "transformer.ln_f"},
                            "transformer.h.{i}.", layer)


@register("opt")
def convert_opt(hf: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Convert OPTForCausalLM weights; its position table already has the 2 offset rows ours has."""
    layer = {"attn_norm": "self_attn_layer_norm", "ffn_norm": "final_layer_norm", "attn.o_proj": "self_attn.out_proj",
             "ffn.up": "fc1", "ffn.down": "fc2", **{ours: f"self_attn.{theirs}" for ours, theirs in QKV.items()}}
    return convert_by_table(hf, config, "model.decoder.embed_tokens",
                            {"positions.table": "model.decoder.embed_positions",
                             "final_norm": "model.decoder.final_layer_norm"},
                            "model.decoder.layers.{i}.", layer)


@register("phi")
def convert_phi(hf: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Convert PhiForCausalLM weights: one input_layernorm feeds both parallel branches."""
    layer = {"attn_norm": "input_layernorm", "attn.o_proj": "self_attn.dense", "ffn.up": "mlp.fc1",
             "ffn.down": "mlp.fc2", **{ours: f"self_attn.{theirs}" for ours, theirs in QKV.items()}}
    return convert_by_table(hf, config, "model.embed_tokens", {"final_norm": "model.final_layernorm"},
                            "model.layers.{i}.", layer)


@register("olmo")
def convert_olmo(hf: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Convert OlmoForCausalLM weights; its LayerNorms have no weights, so only linears are copied."""
    layer = {"attn.o_proj": "self_attn.o_proj", "ffn.gate": "mlp.gate_proj", "ffn.up": "mlp.up_proj",
             "ffn.down": "mlp.down_proj", **{ours: f"self_attn.{theirs}" for ours, theirs in QKV.items()}}
    return convert_by_table(hf, config, "model.embed_tokens", {}, "model.layers.{i}.", layer)


@register("bloom")
def convert_bloom(hf: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Convert BloomForCausalLM weights; its fused qkv rows are (head, [q | k | v], head_dim)."""
    layer = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
             "attn.o_proj": "self_attention.dense", "ffn.up": "mlp.dense_h_to_4h", "ffn.down": "mlp.dense_4h_to_h"}
    return convert_by_table(hf, config, "transformer.word_embeddings",
                            {"embedding_norm": "transformer.word_embeddings_layernorm", "final_norm": "transformer.ln_f"},
                            "transformer.h.{i}.", layer,
                            ("self_attention.query_key_value", lambda t: split_rows_per_head(t, config)))


@register("mpt")
def convert_mpt(hf: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Convert MptForCausalLM weights; its fused Wqkv rows are [all q | all k | all v]."""
    layer = {"attn_norm": "norm_1", "ffn_norm": "norm_2", "attn.o_proj": "attn.out_proj",
             "ffn.up": "ffn.up_proj", "ffn.down": "ffn.down_proj"}
    return convert_by_table(hf, config, "transformer.wte", {"final_norm": "transformer.norm_f"},
                            "transformer.blocks.{i}.", layer,
                            ("attn.Wqkv", lambda t: tuple(t.chunk(3, dim=0))))
