"""Count a forward pass with fvcore's FlopCountAnalysis and this project's handles.

The model is traced on the meta device: tracing needs only shapes, so no weight memory is
allocated and any size can be counted. Each op is attributed to the innermost module that
ran it and then to a component (attention projections, attention core, feed-forward, ...).
"""

from __future__ import annotations

import logging
from collections import Counter

import torch
from torch import nn

from .handles import MATMUL, handles

# fvcore logs a warning for every unpriced op and every module the trace skips; the report
# lists unpriced ops itself, so the log lines add nothing.
logging.getLogger("fvcore").setLevel(logging.ERROR)

COMPONENTS = ("embedding", "position", "attention_projections", "attention_core", "feed_forward",
              "norm", "residual", "output_head")


def component_of(module_name: str, op_key: str) -> str:
    """Return the component an op belongs to, from the module that ran it and the handle's key."""
    parts = module_name.split(".")
    leaf = parts[-1]
    if op_key.startswith("attention_"):
        return "attention_core"
    if "norm" in leaf:
        return "norm"
    if leaf.endswith("_proj"):
        return "attention_projections"
    if "ffn" in parts:
        return "feed_forward"
    if parts[0] == "embedding":
        return "embedding"
    if parts[0] == "head":
        return "output_head"
    if parts[0] == "blocks" and len(parts) == 2:
        return "residual"
    # Rotations (RoPE, xPos) run inside attention, and position tables, sinusoids and the
    # ALiBi/T5 bias run at the top level of the decoder.
    return "position"


def _self_counts(module: nn.Module, totals: dict[str, Counter]) -> dict[str, Counter]:
    """Return each module's own counts: fvcore's totals include every descendant."""
    own = {}
    for name, mod in module.named_modules():
        counts = Counter(totals.get(name, Counter()))
        for child_name, _ in mod.named_children():
            counts.subtract(totals.get(f"{name}.{child_name}" if name else child_name, Counter()))
        own[name] = counts
    return own


def breakdown(module: nn.Module, inputs: tuple, convention: str, strip: str = "") -> tuple[dict, Counter]:
    """Count ``module(*inputs)`` with fvcore and return ({component: {matmul, other}}, unsupported ops)."""
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(module, inputs)
    analysis.set_op_handle(**handles(convention))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    analysis.tracer_warnings("none")

    with torch.no_grad():
        totals = analysis.by_module_and_operator()
    result = {name: {"matmul": 0, "other": 0} for name in COMPONENTS}
    for name, counts in _self_counts(module, totals).items():
        short = name[len(strip):] if name.startswith(strip) else name
        for key, value in counts.items():
            part = "matmul" if key.endswith(MATMUL) else "other"
            result[component_of(short, key)][part] += int(value)
    return result, Counter(analysis.unsupported_ops())


class DecodeStep(nn.Module):
    """One decode step as a module of token ids alone, so fvcore can trace it with the cache inside."""

    def __init__(self, model: nn.Module, batch: int, context: int):
        super().__init__()
        self.model = model
        self.cache = model.new_cache(batch, context)
        self.start = context - 1

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        self.cache.mark_filled(self.start)
        return self.model(ids, cache=self.cache)


def count_forward(model: nn.Module, batch: int, seq_len: int, convention: str) -> tuple[dict, Counter]:
    ids = torch.zeros(batch, seq_len, dtype=torch.long, device=model.embedding.weight.device)
    return breakdown(model, (ids,), convention)


def count_decode(model: nn.Module, batch: int, context: int) -> tuple[dict, Counter]:
    """Count decoding one token that attends to ``context`` keys (itself and context - 1 cached ones)."""
    step = DecodeStep(model, batch, context)
    ids = torch.zeros(batch, 1, dtype=torch.long, device=model.embedding.weight.device)
    return breakdown(step, (ids,), "full", strip="model.")
