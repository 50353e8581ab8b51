"""The accelerator table: required chips, sources, and user files merged with clear errors."""

import json

import pytest

from explorer.hardware import get_accelerator, load_hardware

REQUIRED = ("a100-40gb", "a100-80gb", "h100-sxm", "h100-pcie", "h200", "l4", "l40s", "a10g", "t4", "rtx-4090",
            "mi300x", "tpu-v5e")


def test_table_has_required_chips_with_sources():
    table = load_hardware()
    for key in REQUIRED:
        gpu = table[key]
        assert gpu.memory_bytes > 0
        assert gpu.bandwidth > 0
        assert gpu.dense_16bit_flops > 0
        assert gpu.source


def test_table_figures_in_base_units():
    h100 = load_hardware()["h100-sxm"]
    assert h100.memory_bytes == 80e9
    assert h100.bandwidth == 3.35e12
    assert h100.bf16_flops == pytest.approx(989.4e12)
    assert h100.fp8_flops == pytest.approx(1978.9e12)


def test_chips_without_fp8_have_null():
    table = load_hardware()
    for key in ("a100-40gb", "a100-80gb", "a10g", "t4", "tpu-v5e"):
        assert table[key].fp8_flops is None


def test_t4_falls_back_to_fp16_peak():
    t4 = load_hardware()["t4"]
    assert t4.bf16_flops is None
    assert t4.dense_16bit_flops == 65e12


def test_user_file_adds_and_overrides(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"accelerators": {
        "my-gpu": {"name": "My GPU", "memory_gb": 32, "bandwidth_gb_s": 900, "bf16_tflops": 100, "source": "lab test"},
        "l4": {"name": "L4 (measured)", "memory_gb": 24, "bandwidth_gb_s": 250, "bf16_tflops": 90, "source": "our bench"},
    }}))
    table = load_hardware(path)
    assert table["my-gpu"].memory_bytes == 32e9
    assert table["my-gpu"].fp8_flops is None
    assert table["l4"].bandwidth == 250e9
    assert "h100-sxm" in table


@pytest.mark.parametrize("entry, message", [
    ({"name": "x", "memory_gb": 8, "bandwidth_gb_s": 100}, "missing source"),
    ({"name": "x", "memory_gb": -8, "bandwidth_gb_s": 100, "source": "s"}, "memory_gb=-8"),
    ({"name": "x", "memory_gb": 8, "bandwidth_gb_s": 100, "source": "s", "bf16_tflops": "fast"}, "bf16_tflops='fast'"),
    ({"name": "x", "memory_gb": 8, "bandwidth_gb_s": 100, "source": "s", "colour": "red"}, "colour: unknown field"),
    ({"name": "x", "memory_gb": 8, "bandwidth_gb_s": 100, "source": " "}, "source: empty"),
])
def test_user_file_rejects_invalid_entries(tmp_path, entry, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"accelerators": {"bad": entry}}))
    with pytest.raises(ValueError, match=message):
        load_hardware(path)


def test_user_file_not_json_or_missing(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a JSON file"):
        load_hardware(path)
    with pytest.raises(ValueError, match="absent.json"):
        load_hardware(tmp_path / "absent.json")


def test_unknown_gpu_lists_choices():
    with pytest.raises(ValueError, match="gpu='b200'.*h100-sxm"):
        get_accelerator(load_hardware(), "b200")
