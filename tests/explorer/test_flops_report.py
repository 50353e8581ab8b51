"""The flops section of a report: handed gpt2 figures, layer scaling and the training step."""

import pytest

import explorer.flops as flops
from explorer.measure import Workload
from model import DecoderConfig


def test_gpt2_small_forward_matmul():
    result = flops.measure_flops(DecoderConfig.from_preset("gpt2-small"), 1, 1024)
    assert result["forward_matmul"] == 291_648_307_200
    assert result["macs_forward"] == 145_824_153_600
    counters = result["counters"]
    assert counters["fvcore"]["matmul"] == counters["torch"]["matmul"] == counters["closed_form"]["matmul"]
    assert result["forward"] > result["forward_matmul"]
    assert result["unsupported_ops"] == {}
    assert result["convention"] == "full"


def test_gpt2_small_longer_context():
    config = DecoderConfig.from_preset("gpt2-small").replace(max_seq_len=2048)
    long = flops.closed_form.forward_flops(config, 1, 2048)["matmul"]
    short = flops.closed_form.forward_flops(config, 1, 1024)["matmul"]
    assert long == 660_606_025_728
    assert round(long / short, 3) == 2.265


def test_gpt2_small_rejects_2048_tokens():
    with pytest.raises(ValueError, match="max_seq_len=1024"):
        Workload(seq_len=2048).check(DecoderConfig.from_preset("gpt2-small"))


@pytest.mark.parametrize("position", ["learned", "sinusoidal", "relative", "alibi", "rope", "xpos"])
def test_layer_scaling_equals_full_count(position, monkeypatch):
    config = DecoderConfig(vocab_size=101, max_seq_len=64, n_layer=4, d_model=32, n_head=4, n_kv_head=2,
                           position={"kind": position}, feed_forward={"kind": "swiglu"})
    full, method = flops.by_layers(config, lambda c: flops._count_all(c, 2, 16, "causal"))
    assert method.startswith("counted on the whole")
    monkeypatch.setattr(flops, "FULL_COUNT_MAX_LAYERS", 1)
    scaled, method = flops.by_layers(config, lambda c: flops._count_all(c, 2, 16, "causal"))
    assert "scaled to 4 layers" in method
    assert scaled == full


def test_train_step_is_counted():
    result = flops.measure_flops(DecoderConfig.from_preset("llama-style-124m"), 2, 64)
    # Backward costs two matmuls per forward matmul here, so the counted step is 3x the forward.
    assert result["train_step"] == 3 * result["forward_matmul"]
    assert "not assumed" in result["train_step_method"]
