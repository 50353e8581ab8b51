"""Exact parameter counts from the built module, by component.

The model is built on the meta device, which allocates no weight memory, so any size can be
counted. ``named_parameters()`` yields a shared tensor once, so a tied embedding and head count
once (under ``embedding``). Buffers such as RoPE frequencies and ALiBi slopes are not parameters.
"""

from __future__ import annotations

from functools import lru_cache

from model import DecoderConfig

COMPONENTS = ("embedding", "position", "attention", "feed_forward", "norm", "output_head")


def component_of(name: str) -> str:
    """Return the component a parameter belongs to, from its dotted name in the Decoder."""
    parts = name.split(".")
    if parts[0] == "embedding":
        return "embedding"
    if parts[0] == "positions":
        return "position"
    if parts[0] == "head":
        return "output_head"
    if any("norm" in part for part in parts[:-1]):
        return "norm"
    if "attn" in parts:
        return "attention"
    if "ffn" in parts:
        return "feed_forward"
    raise ValueError(f"parameter {name!r} belongs to no known component")


def _by_component(config: DecoderConfig) -> dict[str, int]:
    from model import build_model

    model = build_model(config, device="meta")
    by_component = dict.fromkeys(COMPONENTS, 0)
    for name, param in model.named_parameters():
        by_component[component_of(name)] += param.numel()
    return by_component


@lru_cache(maxsize=64)
def _count_cached(config_json: str) -> dict:
    from model import build_model

    from .flops import by_layers

    config = DecoderConfig.from_json(config_json)
    # Deep models are built at 1 and 2 layers and scaled, which is exact because blocks are identical.
    by_component, _ = by_layers(config, _by_component)
    model = build_model(config.replace(n_layer=1), device="meta")

    total = sum(by_component.values())
    untied_head = 0 if config.tie_embeddings else model.head.weight.numel()
    learned_table = model.positions.table.weight.numel() if config.position["kind"] == "learned" else 0
    return {
        "total": total,
        "non_embedding": total - by_component["embedding"] - untied_head - learned_table,
        "by_component": by_component,
        "tied_embeddings": config.tie_embeddings,
    }


def count_params(config: DecoderConfig) -> dict:
    """Return {"total", "non_embedding", "by_component", "tied_embeddings"}; by_component sums to total.

    ``non_embedding`` is the total minus the token embedding, an untied head's weight and a learned
    position table.
    """
    result = _count_cached(config.to_json())
    return {**result, "by_component": dict(result["by_component"])}
