"""Position-wise feed-forward networks: two-matrix MLPs and gated (GLU) variants.

Two-matrix MLPs compute ``down(act(up(x)))``. Gated ones compute ``down(act(gate(x)) * up(x))``
with three matrices, as Llama's SwiGLU does; ``gate`` is the activated matrix (HF's
``gate_proj``) and ``up`` the linear one (``up_proj``), so weights load without a swap.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import DecoderConfig


class MLP(nn.Module):
    """A two-matrix MLP: d_model -> d_ff, a nonlinearity, d_ff -> d_model."""

    def __init__(self, config: DecoderConfig):
        super().__init__()
        bias = config.bias["mlp"]
        self.up = nn.Linear(config.d_model, config.resolved_d_ff, bias=bias)
        self.down = nn.Linear(config.resolved_d_ff, config.d_model, bias=bias)

    def activation(self, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x_btd: torch.Tensor) -> torch.Tensor:
        return self.down(self.activation(self.up(x_btd)))


class SigmoidMLP(MLP):
    """A two-matrix MLP with a logistic sigmoid nonlinearity (not SiLU, and not Dauphin's GLU)."""

    def activation(self, h):
        return torch.sigmoid(h)


class GeluMLP(MLP):
    """GPT-2's MLP. GPT-2, BLOOM and Phi-2 use the tanh approximation; BERT-style code uses exact erf."""

    def __init__(self, config: DecoderConfig):
        super().__init__(config)
        self.approximate = config.feed_forward["approximate"]

    def activation(self, h):
        return F.gelu(h, approximate=self.approximate)


class ReluMLP(MLP):
    """OPT's MLP."""

    def activation(self, h):
        return F.relu(h)


class GatedMLP(nn.Module):
    """A gated feed-forward with three matrices: down(act(gate x) * up x)."""

    def __init__(self, config: DecoderConfig):
        super().__init__()
        bias = config.bias["mlp"]
        self.gate = nn.Linear(config.d_model, config.resolved_d_ff, bias=bias)
        self.up = nn.Linear(config.d_model, config.resolved_d_ff, bias=bias)
        self.down = nn.Linear(config.resolved_d_ff, config.d_model, bias=bias)

    def activation(self, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x_btd: torch.Tensor) -> torch.Tensor:
        return self.down(self.activation(self.gate(x_btd)) * self.up(x_btd))


class SwiGLU(GatedMLP):
    """Shazeer's SwiGLU as in Llama: SiLU (x * sigmoid(x)) on the gate."""

    def activation(self, h):
        return F.silu(h)


class GeGLU(GatedMLP):
    """GeGLU as in Gemma: GELU on the gate."""

    def __init__(self, config: DecoderConfig):
        super().__init__(config)
        self.approximate = config.feed_forward["approximate"]

    def activation(self, h):
        return F.gelu(h, approximate=self.approximate)


FEED_FORWARDS: dict[str, type[nn.Module]] = {
    "sigmoid": SigmoidMLP,
    "gelu": GeluMLP,
    "relu": ReluMLP,
    "swiglu": SwiGLU,
    "geglu": GeGLU,
}


def build_feed_forward(config: DecoderConfig) -> nn.Module:
    return FEED_FORWARDS[config.feed_forward["kind"]](config)
