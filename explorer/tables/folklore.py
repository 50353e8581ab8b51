"""The usual ratings that LLM architecture guides print for each component, as checkable claims.

These words are what the tables test, not a source of numbers: each claim names the metric it
is about and which derived ratings (see ``ratings.py``) agree with it. Claims are keyed by row
family, so one GQA claim covers every GQA group count.
"""

from __future__ import annotations

from .ratings import Claim

# Rows: the six position kinds of the recipe schema.
POSITION_CLAIMS = (
    Claim("learned", "params", "extra parameters (a table of max_seq_len x d_model)", levels=("medium", "high")),
    Claim("learned", "memory", "low memory", levels=("low",)),
    Claim("learned", "compute", "low compute", levels=("low",)),
    Claim("learned", "length", "no extrapolation past the trained length", levels=("rejects",)),
    Claim("sinusoidal", "memory", "no extra memory", levels=("low",)),
    Claim("sinusoidal", "compute", "low compute", levels=("low",)),
    Claim("sinusoidal", "length", "poor extrapolation", levels=("degrades",)),
    Claim("relative", "memory", "medium-high memory", levels=("medium", "high")),
    Claim("relative", "compute", "medium compute", levels=("medium",)),
    Claim("relative", "length", "good extrapolation", levels=("holds",)),
    Claim("alibi", "memory", "low memory", levels=("low",)),
    Claim("alibi", "compute", "low compute", levels=("low",)),
    Claim("alibi", "length", "excellent extrapolation", levels=("holds",)),
    Claim("rope", "memory", "low memory", levels=("low",)),
    Claim("rope", "compute", "low compute", levels=("low",)),
    Claim("rope", "length", "excellent", levels=("holds",)),
    Claim("xpos", "memory", "low memory", levels=("low",)),
    Claim("xpos", "compute", "low compute", levels=("low",)),
    Claim("xpos", "length", "excellent extrapolation", levels=("holds",)),
)

# Rows: mha, gqa (any group count), mqa. "Medium" for GQA means between MHA and MQA.
ATTENTION_CLAIMS = (
    Claim("mha", "kv_cache", "high memory", levels=("high",)),
    Claim("gqa", "kv_cache", "medium memory (between MHA and MQA)", comparisons=(("mha", "lower"), ("mqa", "higher"))),
    Claim("mqa", "kv_cache", "low memory", levels=("low",)),
    Claim("gqa", "decode", "faster decoding than MHA", comparisons=(("mha", "lower"),)),
    Claim("mqa", "decode", "fastest decoding", levels=("low",)),
)

# Rows: sigmoid, gelu, swiglu (d_ff = 4d), swiglu-equal (d_ff = 8d/3).
FEED_FORWARD_CLAIMS = (
    Claim("swiglu", "compute", "higher compute", comparisons=(("gelu", "higher"),)),
    Claim("swiglu", "memory", "higher memory", comparisons=(("gelu", "higher"),)),
    Claim("swiglu-equal", "compute", "higher compute", comparisons=(("gelu", "higher"),)),
    Claim("swiglu-equal", "memory", "higher memory", comparisons=(("gelu", "higher"),)),
    Claim("swiglu", "quality", "better quality", comparisons=(("gelu", "lower"),)),
    Claim("swiglu-equal", "quality", "better quality", comparisons=(("gelu", "lower"),)),
)

# Rows: layernorm, rmsnorm.
NORM_CLAIMS = (
    Claim("rmsnorm", "params", "slightly lighter", comparisons=(("layernorm", "lower"),)),
    Claim("rmsnorm", "compute", "slightly lighter", comparisons=(("layernorm", "lower"),)),
    Claim("rmsnorm", "norm_time", "slightly lighter", comparisons=(("layernorm", "lower"),)),
    Claim("rmsnorm", "model_time", "slightly lighter", comparisons=(("layernorm", "lower"),)),
)

# Models that use each component, as their published configs state; the tables add this
# project's presets that use it, read from presets/*.json at run time.
MODELS_USING = {
    "learned": "GPT-2, GPT-3, OPT",
    "sinusoidal": "the original Transformer (Vaswani et al., 2017)",
    "relative": "T5, Flan-T5",
    "alibi": "BLOOM, MPT",
    "rope": "Llama 1-3, Mistral, GPT-NeoX, Pythia, PaLM",
    "xpos": "TorchScale's LEX Transformer (few released models)",
    "mha": "GPT-2, GPT-3, Llama 2 7B and 13B",
    "gqa": "Llama 2 70B, Llama 3, Mistral 7B, TinyLlama",
    "mqa": "PaLM, Falcon-7B, StarCoder",
    "sigmoid": "none of the large released decoders",
    "gelu": "GPT-2, GPT-3, BLOOM, Phi-2",
    "swiglu": "Llama 1-3, Mistral, PaLM",
    "swiglu-equal": "Llama 1-3 (d_ff about 8d/3)",
    "layernorm": "GPT-2, GPT-3, BLOOM, Falcon",
    "rmsnorm": "Llama 1-3, Mistral, T5, Gemma",
}


def claims_for(claims: tuple[Claim, ...], family: str, metric: str) -> list[Claim]:
    return [c for c in claims if c.row == family and c.metric == metric]
