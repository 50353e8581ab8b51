"""Serving memory, the largest batch and roofline bounds, on the handed llama-2-7b case."""

import pytest

from explorer.cost import ServingSetup, decode_point, largest_batch, measured_phase, prefill_point
from explorer.cost.serving import kv_cache_bytes, weights_bytes
from model import DecoderConfig

LLAMA_2_7B_PARAMS = 6_738_415_616
H100 = dict(peak_flops=989.4e12, bandwidth=3.35e12)


@pytest.fixture(scope="module")
def llama():
    return DecoderConfig.from_preset("llama-2-7b")


def test_llama_bf16_batch1_context4096(llama):
    assert weights_bytes(llama, "bf16") == 13_476_831_232
    assert kv_cache_bytes(llama, 4096, 1, "bf16") == 2_147_483_648


@pytest.mark.parametrize("dtype, per_param", [("fp32", 4), ("fp16", 2), ("int8", 1), ("int4", 0.5)])
def test_weights_at_each_serving_dtype(llama, dtype, per_param):
    assert weights_bytes(llama, dtype) == LLAMA_2_7B_PARAMS * per_param


def test_quantised_weights_keep_bf16_kv_cache(llama):
    assert kv_cache_bytes(llama, 4096, 1, "int4") == 2_147_483_648


def test_gqa_shrinks_kv_cache():
    mistral = DecoderConfig.from_preset("mistral-7b")
    # 32 layers x 8 KV heads x 128 dims x 2 (keys and values) x 2 bytes per token.
    assert kv_cache_bytes(mistral, 4096, 1, "bf16") == 2 * 32 * 8 * 128 * 2 * 4096


def test_largest_batch_fits_beside_weights(llama):
    batch = largest_batch(llama, 80e9, 4096, "bf16")
    assert batch == (80e9 - 13_476_831_232) // 2_147_483_648
    assert 13_476_831_232 + batch * 2_147_483_648 <= 80e9
    assert 13_476_831_232 + (batch + 1) * 2_147_483_648 > 80e9


def test_largest_batch_zero_when_weights_do_not_fit(llama):
    assert largest_batch(llama, 12e9, 4096, "bf16") == 0


def test_prefill_compute_bound_decode_memory_bound(llama):
    prefill = prefill_point(llama, 1, 4096, "bf16", "h100-sxm", **H100)
    decode = decode_point(llama, 1, 4096, "bf16", "h100-sxm", **H100)
    assert prefill.bound == "compute"
    assert decode.bound == "memory"
    assert decode.bytes == 13_476_831_232 + 2_147_483_648
    assert decode.tokens_per_second == pytest.approx(3.35e12 / decode.bytes)
    assert prefill.tokens_per_second == pytest.approx(4096 * 989.4e12 / prefill.flops)


def test_measured_phase_fraction_of_peak(llama):
    decode = decode_point(llama, 1, 4096, "bf16", "here", peak_flops=1e12, bandwidth=1e10)
    measured = measured_phase(decode, seconds=decode.bytes / 5e9)
    assert measured.fraction_of_peak == pytest.approx(0.5)
    prefill = prefill_point(llama, 1, 128, "bf16", "here", peak_flops=1e12, bandwidth=1e10)
    measured = measured_phase(prefill, seconds=prefill.flops / 2.5e11)
    assert measured.fraction_of_peak == pytest.approx(0.25)


def test_serving_setup_rejects_invalid_values():
    with pytest.raises(ValueError, match="dtype='int3'"):
        ServingSetup(dtype="int3")
    with pytest.raises(ValueError, match="batch=0"):
        ServingSetup(batch=0)
