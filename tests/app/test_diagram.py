"""The layer-stack diagram: boxes in the usual order, named components, counts that add up."""

import pytest

from explorer.diagram import layer_stack, stack_figure
from model import DecoderConfig, build_model


def total_params(config: DecoderConfig) -> int:
    return sum(p.numel() for p in build_model(config, device="meta").parameters())


def stack_total(config: DecoderConfig) -> int:
    return sum((s.params or 0) * (config.n_layer if s.repeated else 1) for s in layer_stack(config))


@pytest.mark.parametrize("preset", ["gpt2-small", "llama-style-124m"])
def test_stack_counts_sum_to_model(preset):
    config = DecoderConfig.from_preset(preset)
    assert stack_total(config) == total_params(config)


def test_gpt2_small_stack_golden():
    config = DecoderConfig.from_preset("gpt2-small")
    assert stack_total(config) == 124_439_808
    labels = [s.label for s in layer_stack(config)]
    assert labels == ["Input", "Token embedding", "Positions", "Norm", "Attention", "Residual add", "Norm",
                      "Feed-forward", "Residual add", "Final norm", "Output head", "Logits"]


def test_stack_names_chosen_components():
    config = DecoderConfig.from_preset("llama-style-124m")
    details = " | ".join(s.detail for s in layer_stack(config))
    assert "RoPE" in details
    assert "GQA: 12 query heads, 4 KV heads" in details
    assert "SwiGLU, d_ff 2432" in details
    assert "RMSNorm" in details
    assert "tied" in details


def test_untied_head_and_relative_bias_counted():
    config = DecoderConfig.from_preset("gpt2-small").replace(
        tie_embeddings=False, position={"kind": "relative", "num_buckets": 32, "max_distance": 128})
    steps = {s.label: s for s in layer_stack(config)}
    assert steps["Output head"].params == 768 * 50257
    assert steps["Positions"].params == 32 * 12  # one T5 bias table shared by every layer
    assert stack_total(config) == total_params(config)


def test_parallel_block_is_one_residual():
    config = DecoderConfig.from_preset("gpt2-small").replace(parallel_residual=True, shared_block_norm=True)
    steps = layer_stack(config)
    assert sum(s.label == "Residual add" for s in steps) == 1
    assert stack_total(config) == total_params(config)


def test_figure_has_box_per_step_and_repeat_bracket():
    config = DecoderConfig.from_preset("gpt2-small")
    steps = layer_stack(config)
    fig = stack_figure(steps, config.n_layer, title="gpt2")
    assert len(fig.layout.shapes) == len(steps) + 1  # one box per step plus the × N bracket
    assert any("× 12" in a.text for a in fig.layout.annotations)
