"""The measured peak of the machine at hand: a real matmul and a real copy."""

import pytest

from explorer.peak import measure_peak


def test_measure_peak_cpu_small():
    peak = measure_peak("cpu", "float32", matmul_size=256, copy_megabytes=8, min_run_time=0.05)
    assert peak.matmul_flops > 1e8  # any CPU of the last decade does far more than 0.1 GFLOP/s
    assert peak.copy_bandwidth > 1e8
    assert peak.copy_bytes == 8 * 2**20
    assert peak.to_dict()["device"] == "cpu"


def test_measure_peak_rejects_unknown_dtype():
    with pytest.raises(ValueError, match="dtype='int8'"):
        measure_peak("cpu", "int8")
