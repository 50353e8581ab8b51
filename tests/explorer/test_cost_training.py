"""Training memory, sharding and compute, on the handed llama-2-7b cases and small recipes."""

import pytest

from explorer.cost import (OPTIMIZERS, TrainingSetup, activation_memory, smallest_gpu_count, training_compute,
                           training_memory)
from model import DecoderConfig

LLAMA_2_7B_PARAMS = 6_738_415_616


@pytest.fixture(scope="module")
def llama():
    return DecoderConfig.from_preset("llama-2-7b")


def test_optimizer_bytes_per_parameter():
    expected = {"adamw-fp32": 16, "adamw-mixed": 16, "adamw-mixed-fp32-grads": 18, "adam-8bit": 10, "sgd-momentum": 12}
    assert {name: preset.bytes_per_parameter for name, preset in OPTIMIZERS.items()} == expected


def test_llama_adamw_mixed_unsharded(llama):
    memory = training_memory(llama, TrainingSetup(optimizer="adamw-mixed", activations=False))
    assert memory.weights == 2 * LLAMA_2_7B_PARAMS
    assert memory.gradients == 2 * LLAMA_2_7B_PARAMS
    assert memory.optimizer_states == 12 * LLAMA_2_7B_PARAMS
    assert memory.activations == 0
    assert memory.total == 107_814_649_856


def test_llama_zero3_over_8_gpus(llama):
    setup = TrainingSetup(optimizer="adamw-mixed", gpus=8, zero=3, micro_batch=1, seq_len=4096)
    memory = training_memory(llama, setup)
    activations = activation_memory(llama, 1, 4096, act=2).total
    assert memory.weights + memory.gradients + memory.optimizer_states == 107_814_649_856 / 8
    assert memory.activations == activations
    assert memory.total == 107_814_649_856 / 8 + activations


@pytest.mark.parametrize("zero, sharded", [(0, ()), (1, ("optimizer",)), (2, ("optimizer", "gradients")),
                                           (3, ("optimizer", "gradients", "weights"))])
def test_zero_stages_shard_their_states(llama, zero, sharded):
    memory = training_memory(llama, TrainingSetup(gpus=4, zero=zero, activations=False))
    n = LLAMA_2_7B_PARAMS
    assert memory.optimizer_states == (12 * n / 4 if "optimizer" in sharded else 12 * n)
    assert memory.gradients == (2 * n / 4 if "gradients" in sharded else 2 * n)
    assert memory.weights == (2 * n / 4 if "weights" in sharded else 2 * n)


def test_tensor_parallel_keeps_norms_whole(llama):
    memory = training_memory(llama, TrainingSetup(optimizer="adamw-fp32", gpus=8, tp=8, activations=False))
    norm = 65 * 4096  # two norms per layer for 32 layers, plus the final norm
    assert memory.weights == ((LLAMA_2_7B_PARAMS - norm) / 8 + norm) * 4


def test_tensor_parallel_splits_activations(llama):
    whole = activation_memory(llama, 1, 4096, act=2, tp=1).layer
    split = activation_memory(llama, 1, 4096, act=2, tp=8).layer
    assert split.norms == whole.norms
    assert split.attention < whole.attention
    assert split.feed_forward < whole.feed_forward


def test_smallest_gpu_count_fits_exactly(llama):
    setup = TrainingSetup(optimizer="adamw-mixed", gpus=1, zero=3, activations=False)
    gpus = smallest_gpu_count(llama, setup, 80e9)
    assert gpus == 2  # 107.8 GB of states over 2 GPUs is 53.9 GB each
    assert training_memory(llama, TrainingSetup(gpus=gpus, zero=3, activations=False)).total <= 80e9
    assert training_memory(llama, TrainingSetup(gpus=gpus - 1, zero=3, activations=False)).total > 80e9


def test_smallest_gpu_count_with_activations(llama):
    setup = TrainingSetup(gpus=2, tp=2, zero=1, micro_batch=1, seq_len=4096, recompute="full")
    gpus = smallest_gpu_count(llama, setup, 24e9)
    assert gpus > 2
    assert gpus % 2 == 0
    fits = TrainingSetup(gpus=gpus, tp=2, zero=1, seq_len=4096, recompute="full")
    one_fewer = TrainingSetup(gpus=gpus - 2, tp=2, zero=1, seq_len=4096, recompute="full")
    assert training_memory(llama, fits).total <= 24e9
    assert training_memory(llama, one_fewer).total > 24e9


def test_smallest_gpu_count_none_without_zero(llama):
    assert smallest_gpu_count(llama, TrainingSetup(zero=0, activations=False), 80e9) is None


@pytest.mark.parametrize("changes, field", [(dict(gpus=6, tp=4), "gpus=6"), (dict(zero=4), "zero=4"),
                                            (dict(optimizer="lion"), "optimizer='lion'"),
                                            (dict(recompute="some"), "recompute='some'"), (dict(micro_batch=0), "micro_batch=0")])
def test_setup_rejects_invalid_values(changes, field):
    with pytest.raises(ValueError, match=field):
        TrainingSetup(**changes)


def test_tp_must_divide_heads(llama):
    with pytest.raises(ValueError, match="tp=3"):
        training_memory(llama, TrainingSetup(gpus=3, tp=3))


def test_compute_palm_formula(llama):
    compute = training_compute(llama, peak_flops_per_gpu=989.4e12, gpus=1024, tokens=2e12, seq_len=4096,
                               mfu=0.4, price_per_gpu_hour=2.5)
    per_token = 6 * LLAMA_2_7B_PARAMS + 12 * 32 * 32 * 128 * 4096
    assert compute.flops_per_token == per_token
    assert compute.flops == per_token * 2e12
    assert compute.gpu_hours == pytest.approx(per_token * 2e12 / (989.4e12 * 0.4) / 3600)
    assert compute.days == pytest.approx(compute.gpu_hours / 1024 / 24)
    assert compute.cost == pytest.approx(compute.gpu_hours * 2.5)


def test_compute_chinchilla_tokens(llama):
    compute = training_compute(llama, peak_flops_per_gpu=312e12, gpus=8)
    assert compute.tokens == 20 * LLAMA_2_7B_PARAMS
    assert compute.tokens_from_chinchilla
    assert compute.cost is None


@pytest.mark.parametrize("kwargs, field", [(dict(mfu=0), "mfu"), (dict(mfu=1.5), "mfu"), (dict(tokens=-1), "tokens"),
                                           (dict(price_per_gpu_hour=-2), "price")])
def test_compute_rejects_invalid_values(llama, kwargs, field):
    with pytest.raises(ValueError, match=field):
        training_compute(llama, peak_flops_per_gpu=312e12, gpus=8, **kwargs)
