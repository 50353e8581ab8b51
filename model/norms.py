"""Normalization layers. Both compute their statistics in float32 and always take an explicit eps."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import DecoderConfig


class LayerNorm(nn.Module):
    """LayerNorm with optional bias (``bias``) and optional weights altogether (``affine``, OLMo)."""

    def __init__(self, config: DecoderConfig):
        super().__init__()
        settings = config.norm
        self.eps = settings["eps"]
        affine = settings["affine"]
        self.weight = nn.Parameter(torch.ones(config.d_model)) if affine else None
        self.bias = nn.Parameter(torch.zeros(config.d_model)) if affine and settings["bias"] else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = None if self.weight is None else self.weight.float()
        bias = None if self.bias is None else self.bias.float()
        return F.layer_norm(x.float(), x.shape[-1:], weight, bias, self.eps).to(x.dtype)


class RMSNorm(nn.Module):
    """RMSNorm: x / sqrt(mean(x^2) + eps) * weight, no mean subtraction and no bias.

    As in HF Llama, the normalized value is cast back to the input dtype before the weight
    multiply. With ``unit_offset`` (Gemma) the weight is stored as w - 1, initialised to 0, and the
    multiply happens in float32.
    """

    def __init__(self, config: DecoderConfig):
        super().__init__()
        self.eps = config.norm["eps"]
        self.unit_offset = config.norm["unit_offset"]
        initial = torch.zeros if self.unit_offset else torch.ones
        self.weight = nn.Parameter(initial(config.d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normed = F.rms_norm(x.float(), x.shape[-1:], None, self.eps)
        if self.unit_offset:
            return (normed * (1.0 + self.weight.float())).to(x.dtype)
        return self.weight * normed.to(x.dtype)


NORMS: dict[str, type[nn.Module]] = {
    "layernorm": LayerNorm,
    "rmsnorm": RMSNorm,
}


def build_norm(config: DecoderConfig) -> nn.Module:
    return NORMS[config.norm["kind"]](config)
