"""The layer-stack diagram of one recipe: the usual picture of a decoder, with parameter counts.

``layer_stack(config)`` lists the steps from the input tokens to the logits, each named after
the component the recipe chose. Parameter counts come from the real model built on the meta
device (no weight memory), one count per module, so the diagram and the model cannot disagree.
``stack_figure(steps, n_layer)`` draws the list as a Plotly figure with the repeated block
bracketed "× N".
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
from torch import nn

from model import DecoderConfig, build_model

# Box colours by role: input/output, learned modules, parameter-free operations.
ROLE_COLOURS = {"io": "#e8e8e8", "module": "#cfe2f3", "op": "#fff2cc", "norm": "#d9ead3"}


@dataclass(frozen=True)
class StackStep:
    """One box of the diagram."""

    label: str
    detail: str
    params: int | None  # parameters of one instance of this box; None where nothing is learned
    role: str  # a key of ROLE_COLOURS
    repeated: bool = False  # inside the block that is stacked n_layer times


def _count(module: nn.Module | None) -> int:
    if module is None:
        return 0
    return sum(p.numel() for p in module.parameters())


def _position_detail(config: DecoderConfig) -> str:
    p = config.position
    kind = p["kind"]
    if kind == "learned":
        return f"learned table, {config.max_seq_len} positions"
    if kind == "sinusoidal":
        return "fixed sin/cos, added to the embeddings"
    if kind == "relative":
        return f"T5 bias on the logits, {p['num_buckets']} buckets, max distance {p['max_distance']}"
    if kind == "alibi":
        return "ALiBi linear bias on the logits"
    if kind == "rope":
        return f"RoPE on q and k, theta {p['theta']:g}, rotates {config.rotary_dim} of {config.resolved_head_dim} dims"
    return f"xPos on q and k, theta {p['theta']:g}, scale base {p['scale_base']:g}"


def _norm_detail(config: DecoderConfig) -> str:
    n = config.norm
    if n["kind"] == "layernorm":
        return f"LayerNorm, eps {n['eps']:g}, {'with' if n['bias'] else 'no'} bias"
    return f"RMSNorm, eps {n['eps']:g}"


def _attention_detail(config: DecoderConfig) -> str:
    return (f"{config.attention_kind}: {config.n_head} query heads, {config.n_kv_head} KV heads, "
            f"head_dim {config.resolved_head_dim}")


def _feed_forward_detail(config: DecoderConfig) -> str:
    ff = config.feed_forward
    name = {"sigmoid": "sigmoid MLP", "gelu": "GELU MLP", "relu": "ReLU MLP", "swiglu": "SwiGLU", "geglu": "GeGLU"}[ff["kind"]]
    if ff["kind"] in ("gelu", "geglu"):
        name += " (tanh approx.)" if ff["approximate"] == "tanh" else " (exact erf)"
    return f"{name}, d_ff {config.resolved_d_ff}"


def _block_steps(config: DecoderConfig, block: nn.Module) -> list[StackStep]:
    norm, attention, ffn = _norm_detail(config), _attention_detail(config), _feed_forward_detail(config)
    if not config.parallel_residual:
        return [
            StackStep("Norm", norm, _count(block.attn_norm), "norm", True),
            StackStep("Attention", attention, _count(block.attn), "module", True),
            StackStep("Residual add", "x + attention(norm(x))", None, "op", True),
            StackStep("Norm", norm, _count(block.ffn_norm), "norm", True),
            StackStep("Feed-forward", ffn, _count(block.ffn), "module", True),
            StackStep("Residual add", "x + feed_forward(norm(x))", None, "op", True),
        ]
    # A parallel block reads one input into both branches and adds both outputs at once.
    norms = "one norm shared by both branches" if config.shared_block_norm else "one norm per branch"
    return [
        StackStep("Norm", f"{norm}; {norms}", _count(block.attn_norm) + _count(block.ffn_norm), "norm", True),
        StackStep("Attention ‖ feed-forward", f"{attention} | {ffn}", _count(block.attn) + _count(block.ffn), "module", True),
        StackStep("Residual add", "x + attention(·) + feed_forward(·)", None, "op", True),
    ]


def layer_stack(config: DecoderConfig) -> list[StackStep]:
    """List the diagram's boxes from input to logits for ``config``."""
    model = build_model(config, device="meta")
    steps = [
        StackStep("Input", "token ids (batch, seq_len)", None, "io"),
        StackStep("Token embedding", f"{config.vocab_size} × {config.d_model}", _count(model.embedding), "module"),
    ]
    if config.embedding_norm:
        steps.append(StackStep("Embedding norm", _norm_detail(config), _count(model.embedding_norm), "norm"))
    positions = _count(model.positions)
    steps.append(StackStep("Positions", _position_detail(config), positions or None, "module" if positions else "op"))
    steps += _block_steps(config, model.blocks[0])
    steps.append(StackStep("Final norm", _norm_detail(config), _count(model.final_norm), "norm"))
    if config.tie_embeddings:
        head_detail, head_params = "tied to the token embedding (no new matrix)", _count(model.head) - _count(model.embedding)
    else:
        head_detail, head_params = f"{config.d_model} × {config.vocab_size}, untied", _count(model.head)
    if config.bias["lm_head"]:
        head_detail += ", with bias"
    steps.append(StackStep("Output head", head_detail, head_params, "module"))
    steps.append(StackStep("Logits", "(batch, seq_len, vocab)", None, "io"))
    return steps


def format_params(n: int | None) -> str:
    if n is None:
        return "no parameters"
    if n >= 1e9:
        return f"{n / 1e9:.2f} B params"
    if n >= 1e6:
        return f"{n / 1e6:.2f} M params"
    if n >= 1e3:
        return f"{n / 1e3:.1f} K params"
    return f"{n} params"


def stack_figure(steps: list[StackStep], n_layer: int, title: str = "") -> go.Figure:
    """Draw ``steps`` bottom-up (input at the bottom, logits on top) as labelled boxes."""
    fig = go.Figure()
    box_h, gap = 0.8, 0.35
    y = 0.0
    repeated_ys = []
    for step in steps:
        fig.add_shape(type="rect", x0=0, x1=10, y0=y, y1=y + box_h, line={"color": "#555", "width": 1},
                      fillcolor=ROLE_COLOURS[step.role])
        text = f"<b>{step.label}</b> · {format_params(step.params)}<br><span style='font-size:11px'>{step.detail}</span>"
        fig.add_annotation(x=5, y=y + box_h / 2, text=text, showarrow=False, font={"size": 12, "color": "#111"})
        if step.repeated:
            repeated_ys.append(y)
        y += box_h + gap

    if repeated_ys:
        low, high = min(repeated_ys) - gap / 2, max(repeated_ys) + box_h + gap / 2
        fig.add_shape(type="rect", x0=-0.3, x1=10.3, y0=low, y1=high, line={"color": "#1f4e79", "width": 2, "dash": "dash"})
        fig.add_annotation(x=10.5, y=(low + high) / 2, text=f"<b>× {n_layer}</b>", showarrow=False,
                           xanchor="left", font={"size": 16, "color": "#1f4e79"})

    fig.update_xaxes(visible=False, range=[-0.5, 12])
    fig.update_yaxes(visible=False, range=[-0.3, y])
    fig.update_layout(title=title, height=int(60 * len(steps)) + 60, margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
                      plot_bgcolor="white", showlegend=False)
    return fig
