"""Copy the weights of a Hugging Face ``transformers`` causal LM into our Decoder.

One converter per HF ``model_type`` maps the HF state dict to our module names:
``embedding``, ``positions.table`` (learned positions), ``blocks.{i}.attn_norm``,
``blocks.{i}.attn.{q,k,v,o}_proj``, ``blocks.{i}.ffn_norm``, ``blocks.{i}.ffn.{up,down,gate}``,
``final_norm`` and ``head``. A converter only renames, splits and transposes tensors. It does not
compare architecture settings, so the caller builds a DecoderConfig that matches the HF config.
A mismatch still fails loudly: an HF tensor left unused or missing raises ValueError, and
``load_state_dict(strict=True)`` raises on a missing, extra or mis-shaped tensor of ours.

Only tensors are read: no code from a checkpoint or a model repository is executed here.
"""

from __future__ import annotations

from typing import Callable, Mapping

import torch
from torch import nn

from model import DecoderConfig

StateDict = Mapping[str, torch.Tensor]
Converter = Callable[[StateDict, DecoderConfig], dict[str, torch.Tensor]]

CONVERTERS: dict[str, Converter] = {}


def register(model_type: str) -> Callable[[Converter], Converter]:
    """Register a converter for one HF ``config.model_type``."""

    def add(converter: Converter) -> Converter:
        CONVERTERS[model_type] = converter
        return converter

    return add


class TrackedStateDict(dict):
    """A state dict that records which tensors a converter read, to find the ones it left out."""

    def __init__(self, state: StateDict):
        super().__init__(state)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> torch.Tensor:
        self.read.add(key)
        return super().__getitem__(key)


# Non-weight tensors some HF versions keep in the state dict: GPT-2's causal mask buffers and
# cached rotary frequencies.
IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias", "rotary_emb.inv_freq")


def copy_if_present(out: dict[str, torch.Tensor], ours: str, hf: StateDict, theirs: str) -> None:
    if theirs in hf:
        out[ours] = hf[theirs]


def head_weight(hf: StateDict, config: DecoderConfig, embedding_key: str) -> torch.Tensor:
    """Return the output head's weight. HF state dicts of tied models may omit ``lm_head.weight``."""
    embedding = hf[embedding_key]
    head = hf["lm_head.weight"] if "lm_head.weight" in hf else embedding
    if config.tie_embeddings and not torch.equal(head, embedding):
        raise ValueError(f"recipe '{config.name}' ties the output head to the token embedding, but the HF model's "
                         "lm_head.weight differs from its embedding; set tie_embeddings to false")
    return head


@register("gpt2")
def convert_gpt2(hf: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Convert GPT2LMHeadModel weights.

    GPT-2 stores its projections as Conv1D with weights of shape [in, out], the transpose of
    nn.Linear's [out, in]. ``c_attn`` fuses q, k and v as [q | k | v] along the output axis.
    """
    d = config.d_model
    out = {
        "embedding.weight": hf["transformer.wte.weight"],
        "positions.table.weight": hf["transformer.wpe.weight"],
        "final_norm.weight": hf["transformer.ln_f.weight"],
        "final_norm.bias": hf["transformer.ln_f.bias"],
        "head.weight": head_weight(hf, config, "transformer.wte.weight"),
    }
    for i in range(config.n_layer):
        src, dst = f"transformer.h.{i}.", f"blocks.{i}."
        for ours, theirs in (("attn_norm", "ln_1"), ("ffn_norm", "ln_2")):
            out[dst + ours + ".weight"] = hf[src + theirs + ".weight"]
            out[dst + ours + ".bias"] = hf[src + theirs + ".bias"]

        q_w, k_w, v_w = hf[src + "attn.c_attn.weight"].t().split(d, dim=0)
        q_b, k_b, v_b = hf[src + "attn.c_attn.bias"].split(d, dim=0)
        for name, weight, bias in (("q_proj", q_w, q_b), ("k_proj", k_w, k_b), ("v_proj", v_w, v_b)):
            out[dst + f"attn.{name}.weight"] = weight
            out[dst + f"attn.{name}.bias"] = bias

        for ours, theirs in (("attn.o_proj", "attn.c_proj"), ("ffn.up", "mlp.c_fc"), ("ffn.down", "mlp.c_proj")):
            out[dst + ours + ".weight"] = hf[src + theirs + ".weight"].t()
            out[dst + ours + ".bias"] = hf[src + theirs + ".bias"]
    return out


@register("llama")
def convert_llama(hf: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Convert LlamaForCausalLM weights.

    HF Llama checkpoints already use the rotate-half RoPE pairing that our RoPE uses, so q and k
    need no permutation. HF's ``gate_proj`` is the activated matrix (our ``gate``) and
    ``up_proj`` the linear one (our ``up``).
    """
    out = {
        "embedding.weight": hf["model.embed_tokens.weight"],
        "final_norm.weight": hf["model.norm.weight"],
        "head.weight": head_weight(hf, config, "model.embed_tokens.weight"),
    }
    copy_if_present(out, "head.bias", hf, "lm_head.bias")
    for i in range(config.n_layer):
        src, dst = f"model.layers.{i}.", f"blocks.{i}."
        out[dst + "attn_norm.weight"] = hf[src + "input_layernorm.weight"]
        out[dst + "ffn_norm.weight"] = hf[src + "post_attention_layernorm.weight"]
        for ours, theirs in (("attn.q_proj", "self_attn.q_proj"), ("attn.k_proj", "self_attn.k_proj"),
                             ("attn.v_proj", "self_attn.v_proj"), ("attn.o_proj", "self_attn.o_proj"),
                             ("ffn.gate", "mlp.gate_proj"), ("ffn.up", "mlp.up_proj"),
                             ("ffn.down", "mlp.down_proj")):
            out[dst + ours + ".weight"] = hf[src + theirs + ".weight"]
            copy_if_present(out, dst + ours + ".bias", hf, src + theirs + ".bias")
    return out


def convert_state_dict(model_type: str, hf_state: StateDict, config: DecoderConfig) -> dict[str, torch.Tensor]:
    """Map an HF state dict of ``model_type`` to our module names."""
    if model_type not in CONVERTERS:
        raise ValueError(f"invalid model_type={model_type!r}: no weight converter; supported: {', '.join(sorted(CONVERTERS))}")
    tracked = TrackedStateDict(hf_state)
    try:
        converted = CONVERTERS[model_type](tracked, config)
    except KeyError as err:
        raise ValueError(f"the {model_type} state dict has no tensor {err.args[0]!r}, so recipe '{config.name}' "
                         "does not match the HF config (compare n_layer and the bias settings)") from None

    unused = sorted(key for key in tracked if key not in tracked.read and not key.endswith(IGNORED_SUFFIXES))
    if unused:
        raise ValueError(f"recipe '{config.name}' has no place for {len(unused)} tensors of the {model_type} state "
                         f"dict, first {unused[0]!r}; it does not match the HF config (compare n_layer and the biases)")
    return converted


def load_hf_weights(model: nn.Module, hf_model: nn.Module) -> None:
    """Copy the weights of ``hf_model`` (a transformers causal LM) into ``model`` (our Decoder).

    Raises ValueError for an unsupported model type or an HF tensor the recipe needs but the HF
    model lacks, and RuntimeError from ``load_state_dict`` when a tensor is extra or of the wrong
    shape. Both mean that the recipe does not match the HF config.
    """
    state = convert_state_dict(hf_model.config.model_type, hf_model.state_dict(), model.config)
    # load_state_dict copies values into the existing Parameters, so a tied head stays tied.
    with torch.no_grad():
        model.load_state_dict(state, strict=True)


# Converters for more families live in their own module and register themselves here.
from . import hf_weights_fused, hf_weights_renamed  # noqa: E402,F401
