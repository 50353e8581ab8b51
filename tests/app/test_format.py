"""Number formatting on the page: units, prefixes, and missing values never shown as 0."""

from explorer.ui import format as fmt


def test_count_prefixes():
    assert fmt.count(124_439_808) == "124.44 M"
    assert fmt.count(6_738_415_616) == "6.74 B"
    assert fmt.count(512) == "512.00"


def test_flops_and_bytes_units():
    assert fmt.flops(2.5e11) == "250.00 GFLOP"
    assert fmt.nbytes(3 * 2**30) == "3.00 GiB"
    assert fmt.nbytes(512) == "512.00 B"


def test_missing_value_is_named():
    for formatter in (fmt.count, fmt.flops, fmt.nbytes, fmt.millis):
        assert formatter(None) == "not measured"


def test_relative_change():
    assert fmt.relative_change(110, 100) == "+10.0%"
    assert fmt.relative_change(90, 100) == "-10.0%"
    assert fmt.relative_change(100, 100) == "±0.0%"
    assert fmt.relative_change(None, 100) is None
    assert fmt.relative_change(5, 0) is None
