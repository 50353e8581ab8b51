"""The decoder: token embedding, positions, a stack of blocks, final norm and output head."""

from __future__ import annotations

import math

import torch
from torch import nn

from .attention import Attention, KVCache, LayerCache
from .config import DecoderConfig
from .feed_forward import build_feed_forward
from .norms import build_norm
from .positions import PositionEncoding, build_positions


class Block(nn.Module):
    """A pre-norm residual block: x + attn(norm(x)), then x + ffn(norm(x))."""

    def __init__(self, config: DecoderConfig, window: int | None = None):
        super().__init__()
        self.attn_norm = build_norm(config)
        self.attn = Attention(config, window)
        self.ffn_norm = build_norm(config)
        self.ffn = build_feed_forward(config)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x, positions: PositionEncoding, bias_hqk, cache: LayerCache | None, start: int):
        x = x + self.dropout(self.attn(self.attn_norm(x), positions, bias_hqk, cache, start))
        x = x + self.dropout(self.ffn(self.ffn_norm(x)))
        return x


class ParallelBlock(nn.Module):
    """GPT-J / GPT-NeoX's parallel block: x + attn(norm1(x)) + ffn(norm2(x)).

    With ``shared_block_norm`` (Falcon-7B, Phi-2) one norm feeds both branches.
    """

    def __init__(self, config: DecoderConfig, window: int | None = None):
        super().__init__()
        self.attn_norm = build_norm(config)
        self.attn = Attention(config, window)
        self.ffn_norm = None if config.shared_block_norm else build_norm(config)
        self.ffn = build_feed_forward(config)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x, positions: PositionEncoding, bias_hqk, cache: LayerCache | None, start: int):
        attn_in = self.attn_norm(x)
        ffn_in = attn_in if self.ffn_norm is None else self.ffn_norm(x)
        return x + self.dropout(self.attn(attn_in, positions, bias_hqk, cache, start)) + self.dropout(self.ffn(ffn_in))


BLOCKS: dict[bool, type[nn.Module]] = {False: Block, True: ParallelBlock}


class Decoder(nn.Module):
    """A decoder-only transformer assembled from the components a recipe names."""

    def __init__(self, config: DecoderConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.d_model)
        self.embedding_norm = build_norm(config) if config.embedding_norm else None
        self.positions = build_positions(config)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(BLOCKS[config.parallel_residual](config, window) for window in config.layer_windows())
        self.final_norm = build_norm(config)
        self.head = nn.Linear(config.d_model, config.vocab_size, bias=config.bias["lm_head"])
        if config.tie_embeddings:
            self.head.weight = self.embedding.weight

    def new_cache(self, batch_size: int, max_len: int | None = None) -> KVCache:
        """Make an empty KV cache for ``batch_size`` sequences of up to ``max_len`` tokens."""
        max_len = max_len or self.config.max_seq_len
        weight = self.embedding.weight
        return KVCache(self.config, batch_size, max_len, weight.dtype, weight.device)

    def forward(self, input_ids: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """Return logits (batch, tokens, vocab) for every position, continuing from ``cache``."""
        b, t = input_ids.shape
        start = 0
        if cache is not None:
            cache.check_room(b, t)
            start = cache.length
        self.positions.check_length(start + t)

        x = self.embedding(input_ids)
        if self.config.embedding_scale is not None:
            x = x * self.config.embedding_scale
        if self.embedding_norm is not None:
            x = self.embedding_norm(x)
        x = self.positions.embed(x, start)
        x = self.dropout(x)

        # ALiBi and T5 biases are built once here and shared by every layer.
        bias_hqk = self.positions.attention_bias(t, start, x.dtype, x.device)
        for i, block in enumerate(self.blocks):
            layer_cache = None if cache is None else cache.layers[i]
            x = block(x, self.positions, bias_hqk, layer_cache, start)

        x = self.final_norm(x)
        if cache is not None:
            cache.length += t
        return self.head(x)


def init_weights(model: Decoder) -> None:
    """Initialise as GPT-2 does: N(0, 0.02) for every matrix and embedding, zero biases, unit norms.

    The projections that write into the residual stream (attention output and the last MLP
    matrix) get std 0.02 / sqrt(2 * n_layer), because each block adds two residual branches.
    """
    std = 0.02
    residual_std = std / math.sqrt(2 * model.config.n_layer)
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=std)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
    for block in model.blocks:
        nn.init.normal_(block.attn.o_proj.weight, mean=0.0, std=residual_std)
        nn.init.normal_(block.ffn.down.weight, mean=0.0, std=residual_std)


def build_model(config: DecoderConfig, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> Decoder:
    """Build the decoder for ``config``. On ``device="meta"`` no weight memory is allocated.

    NOTE: a meta model is for counting. Materialising it with ``to_empty`` leaves the position
    buffers (RoPE frequencies, ALiBi slopes, xPos decay) uninitialised; build on the target
    device instead.
    """
    if not isinstance(config, DecoderConfig):
        raise TypeError(f"build_model expects a DecoderConfig, got {type(config).__name__} {config!r:.60}; "
                        "make one with DecoderConfig.from_preset(name) or DecoderConfig.from_dict(recipe)")
    device = torch.device(device)
    with device:
        model = Decoder(config)
    if device.type != "meta":
        init_weights(model)
    return model.to(dtype=dtype)
