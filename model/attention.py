"""Causal self-attention for MHA, GQA and MQA, and the KV cache it writes to.

The number of key/value heads sets the kind: ``n_kv_head == n_head`` is MHA, 1 is MQA, and a
divisor in between is GQA. Query head h reads key/value head ``h // (n_head // n_kv_head)``
(the contiguous grouping of Llama and ``repeat_interleave``), and the cache stores the
``n_kv_head`` heads before any repeat, which is where GQA saves memory.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import DecoderConfig
from .positions import PositionEncoding


class LayerCache:
    """Preallocated keys and values of one layer: (batch, n_kv_head, max_len, head_dim) each."""

    def __init__(self, batch_size: int, n_kv_head: int, max_len: int, head_dim: int, dtype, device):
        shape = (batch_size, n_kv_head, max_len, head_dim)
        self.k = torch.zeros(shape, dtype=dtype, device=device)
        self.v = torch.zeros(shape, dtype=dtype, device=device)

    def append(self, start: int, k_bhtd: torch.Tensor, v_bhtd: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write new keys and values at ``start`` and return every key and value so far."""
        end = start + k_bhtd.shape[-2]
        self.k[:, :, start:end] = k_bhtd
        self.v[:, :, start:end] = v_bhtd
        return self.k[:, :, :end], self.v[:, :, :end]


class WindowCache(LayerCache):
    """The cache of a sliding-window layer: only the last ``window`` keys and values stay stored."""

    def __init__(self, batch_size: int, n_kv_head: int, max_len: int, head_dim: int, dtype, device, window: int):
        super().__init__(batch_size, n_kv_head, min(max_len, window), head_dim, dtype, device)
        self.filled = 0

    def append(self, start: int, k_bhtd: torch.Tensor, v_bhtd: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the stored keys and values followed by the new ones, and keep the most recent."""
        k_all = torch.cat((self.k[:, :, : self.filled], k_bhtd), dim=2)
        v_all = torch.cat((self.v[:, :, : self.filled], v_bhtd), dim=2)
        keep = min(k_all.shape[2], self.k.shape[2])
        self.k[:, :, :keep] = k_all[:, :, -keep:]
        self.v[:, :, :keep] = v_all[:, :, -keep:]
        self.filled = keep
        return k_all, v_all


def new_layer_cache(config: DecoderConfig, window: int | None, batch_size: int, max_len: int, dtype, device) -> LayerCache:
    shape = (batch_size, config.n_kv_head, max_len, config.resolved_head_dim)
    if window is None:
        return LayerCache(*shape, dtype, device)
    return WindowCache(*shape, dtype, device, window=window)


class KVCache:
    """A KV cache for every layer; ``length`` is the number of tokens already decoded."""

    def __init__(self, config: DecoderConfig, batch_size: int, max_len: int, dtype, device):
        self.max_len = max_len
        self.batch_size = batch_size
        self.length = 0
        self.layers = [new_layer_cache(config, window, batch_size, max_len, dtype, device)
                       for window in config.layer_windows()]

    def mark_filled(self, length: int) -> None:
        """Mark ``length`` tokens as cached without writing them, as a prefill would leave the cache.

        FLOP counters on the meta device use this, because only the shapes of the cached keys matter there.
        """
        self.length = length
        for layer in self.layers:
            if isinstance(layer, WindowCache):
                layer.filled = min(length, layer.k.shape[2])

    def nbytes(self) -> int:
        """Return the bytes of every key and value tensor, filled or not."""
        return sum(t.numel() * t.element_size() for layer in self.layers for t in (layer.k, layer.v))

    def check_room(self, batch_size: int, new_tokens: int) -> None:
        if batch_size != self.batch_size:
            raise ValueError(f"input batch of {batch_size} does not match the cache's batch_size={self.batch_size}")
        if self.length + new_tokens > self.max_len:
            raise ValueError(
                f"cache is full: {self.length} cached + {new_tokens} new tokens exceed max_len={self.max_len}; "
                "make the cache with a larger max_len")


class Attention(nn.Module):
    """Multi-head causal self-attention with ``n_kv_head`` key/value heads, through SDPA."""

    def __init__(self, config: DecoderConfig, window: int | None = None):
        super().__init__()
        self.window = window  # None: every earlier key; else the last `window` keys, self included
        self.scale = config.attention_scale  # None: SDPA's 1/sqrt(head_dim)
        self.n_head = config.n_head
        self.n_kv_head = config.n_kv_head
        self.head_dim = config.resolved_head_dim
        self.dropout = config.dropout
        qkv_bias, out_bias = config.bias["qkv"], config.bias["attn_out"]

        self.q_proj = nn.Linear(config.d_model, self.n_head * self.head_dim, bias=qkv_bias)
        self.k_proj = nn.Linear(config.d_model, self.n_kv_head * self.head_dim, bias=qkv_bias)
        self.v_proj = nn.Linear(config.d_model, self.n_kv_head * self.head_dim, bias=qkv_bias)
        self.o_proj = nn.Linear(self.n_head * self.head_dim, config.d_model, bias=out_bias)

    def split_heads(self, x_btf: torch.Tensor, n_heads: int) -> torch.Tensor:
        b, t, _ = x_btf.shape
        return x_btf.view(b, t, n_heads, self.head_dim).transpose(1, 2)

    def forward(self, x_btd: torch.Tensor, positions: PositionEncoding, bias_hqk: torch.Tensor | None,
                cache: LayerCache | None = None, start: int = 0) -> torch.Tensor:
        b, t, _ = x_btd.shape
        q = self.split_heads(self.q_proj(x_btd), self.n_head)
        k = self.split_heads(self.k_proj(x_btd), self.n_kv_head)
        v = self.split_heads(self.v_proj(x_btd), self.n_kv_head)

        # RoPE and xPos rotate q and k by absolute position; the cache keeps rotated keys.
        q = positions.rotate(q, start)
        k = positions.rotate(k, start)

        if cache is not None:
            k, v = cache.append(start, k, v)

        out = self.attend(q, k, v, positions, bias_hqk, start)

        out = out.transpose(1, 2).contiguous().view(b, t, self.n_head * self.head_dim)
        return self.o_proj(out)

    def attend(self, q, k, v, positions: PositionEncoding, bias_hqk, start: int) -> torch.Tensor:
        """Attend with SDPA, in blocks of queries when the position scheme needs that to stay finite."""
        block = positions.query_block
        t = q.shape[-2]
        if block is None or t <= block:
            return self.attend_block(q, k, v, positions, bias_hqk, start)

        outputs = []
        for lo in range(0, t, block):
            hi = min(lo + block, t)
            rows = None if bias_hqk is None else bias_hqk[..., lo:hi, : start + hi]
            outputs.append(self.attend_block(q[:, :, lo:hi], k[:, :, : start + hi], v[:, :, : start + hi],
                                             positions, rows, start + lo))
        return torch.cat(outputs, dim=2)

    def attend_block(self, q, k, v, positions: PositionEncoding, bias_hqk, start: int) -> torch.Tensor:
        q, k = positions.rescale(q, k, start)
        t, s = q.shape[-2], k.shape[-2]

        # SDPA's is_causal aligns the mask top-left, which is wrong once queries are fewer than
        # keys, so a cached step passes an explicit bottom-right mask (or none for one query).
        mask, is_causal = bias_hqk, False
        if self.window is not None:
            mask = self.window_mask(bias_hqk, t, s, start, q.device)
        elif mask is None and t == s:
            is_causal = bool(t > 1)  # a plain bool even when torch.jit.trace records shapes as tensors
        elif mask is None and t > 1:
            key_pos = torch.arange(s, device=q.device)
            mask = key_pos[None, :] <= torch.arange(s - t, s, device=q.device)[:, None]

        dropout_p = self.dropout if self.training else 0.0
        scale = 1.0 if positions.unscaled_attention else self.scale
        return F.scaled_dot_product_attention(q, k, v, mask, dropout_p, is_causal, scale=scale,
                                              enable_gqa=self.n_kv_head != self.n_head)

    def window_mask(self, bias_hqk, t: int, s: int, start: int, device) -> torch.Tensor:
        """Return the causal sliding-window mask, folded into ``bias_hqk`` when there is one.

        The s keys are the most recent ones, at absolute positions start + t - s .. start + t - 1;
        query i (at start + i) attends to key j when 0 <= (start + i) - key_pos[j] < window.
        """
        query_pos = torch.arange(start, start + t, device=device)[:, None]
        key_pos = torch.arange(start + t - s, start + t, device=device)[None, :]
        distance = query_pos - key_pos
        allowed = (distance >= 0) & (distance < self.window)
        if bias_hqk is None:
            return allowed
        return bias_hqk[..., -s:].masked_fill(~allowed, float("-inf"))
