"""Shrink a recipe to a size that trains in about a minute on a CPU, keeping its components.

What a recipe chooses stays: position kind and its settings, feed-forward kind, norm, biases,
tied head, block layout, and the shape ratios (d_ff / d_model, query heads per key/value head).
What sets the size changes: width, depth, head count (a fixed head width), and the vocabulary,
which becomes the 256 byte values.
"""

from __future__ import annotations

import math

from model import DecoderConfig
from model.schema import check_positive_int

from .data import VOCAB_SIZE

DEFAULT_D_MODEL = 128
DEFAULT_N_LAYER = 4
DEFAULT_HEAD_DIM = 32
# Evaluation lengths as multiples of the trained length; 4x as the maximum keeps the evaluation
# cheap on a CPU.
EXTRAPOLATION_FACTORS = (1, 2, 4)


def scaled_max_seq_len(config: DecoderConfig, seq_len: int) -> int:
    """Return the position limit of a scaled recipe.

    A learned table gets exactly ``seq_len`` rows, the length it is trained at, so evaluating it
    longer raises instead of reading rows that were never trained. Other schemes compute their
    encoding at any position, and their limit is set to cover the longest evaluation.
    """
    if config.position["kind"] == "learned":
        return seq_len
    return seq_len * max(EXTRAPOLATION_FACTORS)


def scale_recipe(config: DecoderConfig, seq_len: int, d_model: int = DEFAULT_D_MODEL,
                 n_layer: int = DEFAULT_N_LAYER, head_dim: int = DEFAULT_HEAD_DIM) -> DecoderConfig:
    """Return ``config`` shrunk to ``d_model`` x ``n_layer`` with byte vocabulary and its components kept."""
    for name, value in (("seq_len", seq_len), ("d_model", d_model), ("n_layer", n_layer), ("head_dim", head_dim)):
        check_positive_int(name, value)
    if d_model % head_dim:
        raise ValueError(f"invalid d_model={d_model}: expected a multiple of the head width {head_dim}")

    n_head = d_model // head_dim
    group = config.n_head // config.n_kv_head  # query heads per key/value head
    n_kv_head = max(1, n_head // group)
    while n_head % n_kv_head:
        n_kv_head -= 1

    changes = {
        "name": config.name if config.name.endswith("-tiny") else f"{config.name}-tiny",
        "vocab_size": VOCAB_SIZE,
        "max_seq_len": scaled_max_seq_len(config, seq_len),
        "n_layer": n_layer,
        "d_model": d_model,
        "n_head": n_head,
        "n_kv_head": n_kv_head,
        "head_dim": None,
        "d_ff": max(1, round(config.resolved_d_ff * d_model / config.d_model)),
        "dropout": 0.0,
    }
    if config.embedding_scale is not None:
        # Gemma scales embeddings by sqrt(d_model); keep the rule rather than the number.
        changes["embedding_scale"] = config.embedding_scale * math.sqrt(d_model / config.d_model)
    return config.replace(**changes)
