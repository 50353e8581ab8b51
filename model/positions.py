"""Positional encodings, one class per scheme behind one small interface.

Each scheme touches the model in at most three places:

- ``embed(x, start)`` adds an absolute position vector to the token embeddings (learned,
  sinusoidal); the other schemes return ``x`` unchanged.
- ``rotate(t, start)`` rotates queries or keys by their absolute positions (RoPE, xPos), and
  ``rescale(q, k, start)`` applies xPos's decay to the queries and to the whole key sequence.
- ``attention_bias(q_len, start, ...)`` returns an additive bias on the attention logits
  (ALiBi, T5), built once per forward and shared by every layer.

Angles, sinusoids and scales are computed in float32 whatever the model's dtype, because in
bfloat16 integer positions above 256 are no longer exact.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import DecoderConfig


class PositionEncoding(nn.Module):
    """The base scheme: leaves the residual stream, queries, keys and logits unchanged."""

    # The largest position the scheme can encode; None when any position works.
    max_positions: int | None = None
    # Queries per attention call that keeps this scheme's numbers finite; None means no limit.
    query_block: int | None = None
    # Whether attention must drop its 1/sqrt(head_dim) scaling (T5 trains without it).
    unscaled_attention: bool = False

    def __init__(self, config: DecoderConfig):
        super().__init__()
        self.config = config

    def embed(self, x_btd: torch.Tensor, start: int) -> torch.Tensor:
        return x_btd

    def rotate(self, t_bhtd: torch.Tensor, start: int) -> torch.Tensor:
        return t_bhtd

    def rescale(self, q_bhtd: torch.Tensor, k_bhsd: torch.Tensor, start: int) -> tuple[torch.Tensor, torch.Tensor]:
        return q_bhtd, k_bhsd

    def attention_bias(self, q_len: int, start: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor | None:
        return None

    def _apply(self, fn, recurse=True):
        # model.to(torch.bfloat16) would round the float32 buffers (RoPE frequencies, xPos decay
        # rates, ALiBi slopes) to 8 mantissa bits, so a cast keeps their float32 values and only
        # moves them to the new device.
        originals = {name: buf for name, buf in self._buffers.items() if buf is not None and buf.is_floating_point()}
        super()._apply(fn, recurse)
        for name, original in originals.items():
            moved = self._buffers[name]
            if moved.dtype != original.dtype:
                self._buffers[name] = original.to(device=moved.device)
        return self

    def check_length(self, end: int) -> None:
        if self.max_positions is not None and end > self.max_positions:
            raise ValueError(
                f"sequence of {end} tokens exceeds max_seq_len={self.config.max_seq_len}: "
                f"a {self.config.position['kind']} position table has no row past {self.max_positions - 1}; "
                "shorten the input or raise max_seq_len")


def causal_bias(q_len: int, start: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Return a (q_len, start + q_len) float mask, 0 where a query may attend and -inf elsewhere.

    Queries sit at the end of the key sequence (bottom-right alignment), so with a cache query i,
    at absolute position start + i, sees keys 0..start + i. Every row keeps its diagonal, so no
    row is fully masked.
    """
    query_pos = torch.arange(start, start + q_len, device=device)[:, None]
    key_pos = torch.arange(start + q_len, device=device)[None, :]
    zeros = torch.zeros((), dtype=dtype, device=device)
    return torch.where(key_pos <= query_pos, zeros, torch.tensor(float("-inf"), dtype=dtype, device=device))


def relative_distance(q_len: int, start: int, device: torch.device) -> torch.Tensor:
    """Return key position minus query position, shape (q_len, start + q_len)."""
    query_pos = torch.arange(start, start + q_len, device=device)[:, None]
    key_pos = torch.arange(start + q_len, device=device)[None, :]
    return key_pos - query_pos


class LearnedPositions(PositionEncoding):
    """GPT-2's learned absolute table, added to the token embeddings once before the first block."""

    def __init__(self, config: DecoderConfig):
        super().__init__(config)
        self.offset = config.position["offset"]  # OPT allocates 2 extra rows and looks up pos + 2
        self.table = nn.Embedding(config.max_seq_len + self.offset, config.d_model)
        self.max_positions = config.max_seq_len

    def embed(self, x_btd, start):
        self.check_length(start + x_btd.shape[1])
        pos = torch.arange(start, start + x_btd.shape[1], device=x_btd.device) + self.offset
        return x_btd + self.table(pos)


def sinusoid_table(positions: torch.Tensor, d_model: int) -> torch.Tensor:
    """Return the sinusoids of Vaswani et al. in float32: sin on even and cos on odd channels."""
    inv_freq = 10000.0 ** (-torch.arange(0, d_model, 2, device=positions.device, dtype=torch.float32) / d_model)
    angles = positions.float()[:, None] * inv_freq[None, :]
    table = torch.stack((angles.sin(), angles.cos()), dim=-1)  # interleave: (T, d/2, 2)
    return table.flatten(-2)


class SinusoidalPositions(PositionEncoding):
    """Fixed sinusoids, evaluated at any position, added to the token embeddings."""

    def embed(self, x_btd, start):
        pos = torch.arange(start, start + x_btd.shape[1], device=x_btd.device)
        return x_btd + sinusoid_table(pos, x_btd.shape[-1]).to(x_btd.dtype)


def t5_relative_bucket(relative_position: torch.Tensor, num_buckets: int = 32, max_distance: int = 128) -> torch.Tensor:
    """Map key-minus-query distances to T5's decoder (unidirectional) buckets.

    Keys in the future fall in bucket 0 (the causal mask removes them). Distances below
    num_buckets // 2 get a bucket each; longer ones share log-spaced buckets up to max_distance,
    and everything beyond lands in the last bucket.
    """
    distance = (-relative_position).clamp(min=0)
    max_exact = num_buckets // 2
    is_small = distance < max_exact

    # log(0) is -inf here, but torch.where discards those entries.
    log_ratio = torch.log(distance.float() / max_exact) / math.log(max_distance / max_exact)
    large = max_exact + (log_ratio * (num_buckets - max_exact)).to(torch.long)
    large = large.clamp(max=num_buckets - 1)
    return torch.where(is_small, distance, large)


class RelativeBiasPositions(PositionEncoding):
    """T5's bucketed relative bias: one learned table shared by every layer, unscaled logits."""

    unscaled_attention = True

    def __init__(self, config: DecoderConfig):
        super().__init__(config)
        self.num_buckets = config.position["num_buckets"]
        self.max_distance = config.position["max_distance"]
        self.table = nn.Embedding(self.num_buckets, config.n_head)

    def attention_bias(self, q_len, start, dtype, device):
        buckets = t5_relative_bucket(relative_distance(q_len, start, device), self.num_buckets, self.max_distance)
        bias_hqk = self.table(buckets).permute(2, 0, 1)
        return bias_hqk.to(dtype) + causal_bias(q_len, start, dtype, device)


def alibi_slopes(n_head: int) -> torch.Tensor:
    """Return ALiBi's per-head slopes (Press et al., 2021) in float32.

    For a power of two n the slopes are 2^(-8/n), 2^(-16/n), ..., 2^-8. Otherwise take the slopes
    of the largest power of two below n, then every other slope of twice that power.
    """

    def power_of_two_slopes(n: int) -> list[float]:
        start = 2.0 ** (-8.0 / n)
        return [start ** (i + 1) for i in range(n)]

    closest = 2 ** math.floor(math.log2(n_head))
    slopes = power_of_two_slopes(closest)
    if closest < n_head:
        slopes += power_of_two_slopes(2 * closest)[0::2][: n_head - closest]
    return torch.tensor(slopes, dtype=torch.float32)


class AlibiPositions(PositionEncoding):
    """ALiBi: a fixed per-head penalty proportional to distance, added after the 1/sqrt(d) scaling."""

    def __init__(self, config: DecoderConfig):
        super().__init__(config)
        self.register_buffer("slopes", alibi_slopes(config.n_head), persistent=False)

    def attention_bias(self, q_len, start, dtype, device):
        distance = relative_distance(q_len, start, device).clamp(max=0).float()  # -(i - j) on and below the diagonal
        bias_hqk = self.slopes.to(device)[:, None, None] * distance[None]
        return bias_hqk.to(dtype) + causal_bias(q_len, start, dtype, device)


def scale_rope_frequencies(inv_freq: torch.Tensor, scaling: dict | None) -> torch.Tensor:
    """Apply a long-context rescaling of RoPE's inverse frequencies.

    ``linear`` divides every frequency by ``factor`` (position interpolation). ``llama3`` (Llama
    3.1) divides only the low frequencies, whose wavelength exceeds original_max_seq_len /
    low_freq_factor, keeps those with a wavelength below original_max_seq_len / high_freq_factor,
    and blends linearly in between.
    """
    if scaling is None:
        return inv_freq
    factor = scaling["factor"]
    if scaling["type"] == "linear":
        return inv_freq / factor

    low, high, original = scaling["low_freq_factor"], scaling["high_freq_factor"], scaling["original_max_seq_len"]
    wavelength = 2 * math.pi / inv_freq
    blend = ((original / wavelength - low) / (high - low)).clamp(0.0, 1.0)
    blended = (1 - blend) * inv_freq / factor + blend * inv_freq
    scaled = torch.where(wavelength > original / low, inv_freq / factor, blended)
    return torch.where(wavelength < original / high, inv_freq, scaled)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    first, second = x.chunk(2, dim=-1)
    return torch.cat((-second, first), dim=-1)


class RotaryPositions(PositionEncoding):
    """RoPE with the rotate-half pairing of HF Llama and GPT-NeoX: dimension i pairs with i + r/2.

    With ``fraction`` < 1 only the first r = fraction * head_dim dimensions rotate, and the
    frequencies use r, as GPT-NeoX and Phi do.
    """

    def __init__(self, config: DecoderConfig):
        super().__init__(config)
        self.rotary_dim = config.rotary_dim
        theta = config.position["theta"]
        inv_freq = theta ** (-torch.arange(0, self.rotary_dim, 2, dtype=torch.float32) / self.rotary_dim)
        inv_freq = scale_rope_frequencies(inv_freq, config.position.get("scaling"))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def cos_sin(self, start: int, length: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        # NOTE: every layer recomputes this small table. Keeping the last one on the module was
        # tried and removed: a cached model is shared by app sessions on several threads, so a
        # forward pass must not write module state.
        pos = torch.arange(start, start + length, device=device, dtype=torch.float32)
        angles = pos[:, None] * self.inv_freq.to(device)[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        return angles.cos(), angles.sin()

    def rotate(self, t_bhtd, start):
        cos, sin = self.cos_sin(start, t_bhtd.shape[-2], t_bhtd.device)
        rot, rest = t_bhtd[..., : self.rotary_dim], t_bhtd[..., self.rotary_dim:]

        rot = rot.float()
        rotated = (rot * cos + rotate_half(rot) * sin).to(t_bhtd.dtype)

        return torch.cat((rotated, rest), dim=-1) if rest.shape[-1] else rotated


class XPosPositions(RotaryPositions):
    """xPos (Sun et al., 2022): RoPE plus a per-frequency decay with distance.

    Query n is scaled by zeta^((n - c)/gamma) and key m by zeta^((c - m)/gamma), so q.k gains
    zeta^((n - m)/gamma) whatever the centre c. Keys are cached rotated but not scaled, and each
    call picks c as its last query position: key factors are then at most 1 (far keys may
    underflow to 0, where the true product is negligible), and query factors stay below
    zeta_min^(-query_block/gamma), about 3.5 for blocks of gamma queries. Attention calls with
    more queries are split into such blocks, so the numbers stay finite at any length and dtype.
    """

    def __init__(self, config: DecoderConfig):
        super().__init__(config)
        self.scale_base = config.position["scale_base"]
        half = self.rotary_dim // 2
        zeta = (torch.arange(0, half, dtype=torch.float32) * 2 + 0.4 * self.rotary_dim) / (1.4 * self.rotary_dim)
        self.register_buffer("log_zeta", torch.cat((zeta, zeta)).log(), persistent=False)
        self.query_block = max(1, int(self.scale_base))

    def rescale(self, q_bhtd, k_bhsd, start):
        q_len, k_len = q_bhtd.shape[-2], k_bhsd.shape[-2]
        centre = start + q_len - 1
        log_zeta = self.log_zeta.to(q_bhtd.device)

        q_pos = torch.arange(start, start + q_len, device=q_bhtd.device, dtype=torch.float32)
        k_pos = torch.arange(k_len, device=k_bhsd.device, dtype=torch.float32)
        q_scale = torch.exp((q_pos - centre)[:, None] / self.scale_base * log_zeta[None, :])
        k_scale = torch.exp((centre - k_pos)[:, None] / self.scale_base * log_zeta[None, :])

        return (q_bhtd.float() * q_scale).to(q_bhtd.dtype), (k_bhsd.float() * k_scale).to(k_bhsd.dtype)


# Reachable from a built model as model.positions.alibi_slopes(...), as scripts expect.
PositionEncoding.alibi_slopes = staticmethod(alibi_slopes)
PositionEncoding.t5_relative_bucket = staticmethod(t5_relative_bucket)

POSITIONS: dict[str, type[PositionEncoding]] = {
    "learned": LearnedPositions,
    "sinusoidal": SinusoidalPositions,
    "relative": RelativeBiasPositions,
    "alibi": AlibiPositions,
    "rope": RotaryPositions,
    "xpos": XPosPositions,
}


def build_positions(config: DecoderConfig) -> PositionEncoding:
    return POSITIONS[config.position["kind"]](config)
