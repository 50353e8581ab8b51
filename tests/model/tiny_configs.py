"""Tiny recipes for tests: every component choice at sizes that run in milliseconds."""

import torch

from model import DecoderConfig

# One setting per position kind. T5's buckets are shrunk so that short test sequences reach the
# log-spaced buckets; xPos keeps its default scale_base here (see XPOS_BLOCKED).
POSITIONS = {
    "learned": {"kind": "learned"},
    "sinusoidal": {"kind": "sinusoidal"},
    "relative": {"kind": "relative", "num_buckets": 8, "max_distance": 16},
    "alibi": {"kind": "alibi"},
    "rope": {"kind": "rope", "theta": 10000.0},
    "xpos": {"kind": "xpos", "scale_base": 512.0},
}
# xPos with scale_base 8 attends in blocks of 8 queries, so a 24-token forward takes the blocked path.
XPOS_BLOCKED = {"kind": "xpos", "scale_base": 8.0}

N_HEAD = 4
KV_HEADS = {"MHA": N_HEAD, "GQA": 2, "MQA": 1}
FEED_FORWARDS = {
    "gelu": {"kind": "gelu", "approximate": "tanh"},
    "swiglu": {"kind": "swiglu", "multiple_of": 16},
    "sigmoid": {"kind": "sigmoid"},
}
NORMS = {
    "layernorm": {"kind": "layernorm", "eps": 1e-5},
    "rmsnorm": {"kind": "rmsnorm", "eps": 1e-5},
}


def tiny_config(position="rope", attention="MHA", feed_forward="gelu", norm="layernorm", **changes) -> DecoderConfig:
    """Return a 2-layer, d_model 32, 4-head recipe with the named components."""
    recipe = {
        "name": "tiny",
        "vocab_size": 61,
        "max_seq_len": 64,
        "n_layer": 2,
        "d_model": 32,
        "n_head": N_HEAD,
        "n_kv_head": KV_HEADS[attention],
        "position": POSITIONS[position] if isinstance(position, str) else position,
        "feed_forward": FEED_FORWARDS[feed_forward],
        "norm": NORMS[norm],
        "bias": {"qkv": True, "attn_out": True, "mlp": True},
    }
    recipe.update(changes)
    return DecoderConfig.from_dict(recipe)


def randomize(model: torch.nn.Module, seed: int = 0, std: float = 0.3) -> torch.nn.Module:
    """Overwrite every weight with noise large enough that logits depend strongly on context.

    GPT-2's init (std 0.02, zero biases, unit norms) makes logits nearly constant, which would let
    a wrong mask or a missing bias pass an equality test unnoticed.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator) * std
            is_norm_weight = param.dim() == 1 and "norm" in name and name.endswith("weight")
            param.copy_(((1.0 if is_norm_weight else 0.0) + noise).to(param.dtype))
    return model
