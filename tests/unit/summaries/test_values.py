"""The typing rules of summary values (ohif_plugin.summaries.values).

A value that does not parse as its type is left out of the summary rather than
guessed at: the viewer then behaves as if the tag were absent.
"""

from __future__ import annotations

from typing import Any

import pytest

from ohif_plugin.summaries.tags import ValueType
from ohif_plugin.summaries.values import parse_float, parse_integer, typed_value

# --- parse_integer / parse_float -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12), (" 12 ", 12), ("+7", 7), ("-3", -3), ("0", 0), ("007", 7),
        ("2147483647", 2147483647), ("-2147483648", -2147483648), ("12\x00", 12),
    ],
)
def test_parse_integer_accepts(text: str, expected: int) -> None:
    assert parse_integer(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "abc", "1.5", "", " ", "nan", "inf", "1_000", "1e3", "0x10", "12 13", "+", "-",
        "2147483648", "-2147483649", "99999999999999999999",
        "٣",  # ARABIC-INDIC DIGIT THREE: IS values are ASCII digits only
        "１２",  # FULLWIDTH DIGITS
    ],
)
def test_parse_integer_rejects(text: str) -> None:
    assert parse_integer(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", 1.5), (" 12 ", 12.0), ("-0.25", -0.25), ("+3", 3.0), (".5", 0.5), ("5.", 5.0),
        ("1e3", 1000.0), ("-1.5E-2", -0.015), ("2147483648", 2147483648.0),
        ("0.66146800000000004", 0.66146800000000004),  # C++ float32 output: kept as written
    ],
)
def test_parse_float_accepts(text: str, expected: float) -> None:
    assert parse_float(text) == expected


@pytest.mark.parametrize(
    "text",
    ["abc", "", " ", "nan", "NaN", "inf", "-Infinity", "1_000", "1e400", "1.2.3", "0x1p3", "1,5",
     "١.٥", "１.５"],  # non-ASCII digits: DS values are ASCII only
)
def test_parse_float_rejects(text: str) -> None:
    assert parse_float(text) is None


# --- typed_value ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value_type", "expected"),
    [
        ("abc", ValueType.STRING, "abc"),
        ("", ValueType.STRING, ""),
        ("A\\B", ValueType.STRING, "A\\B"),
        ("12\\13", ValueType.INTEGER, 12),
        (" 12 ", ValueType.INTEGER, 12),
        ("-2147483648", ValueType.INTEGER, -2147483648),
        ("1.5\\2.5", ValueType.FLOAT, 1.5),
        (" 300 ", ValueType.FLOAT, 300.0),
        ("0.5\\0.25", ValueType.LIST_OF_FLOATS, [0.5, 0.25]),
        ("1\\x\\3", ValueType.LIST_OF_FLOATS, [1.0, 3.0]),
        ("", ValueType.LIST_OF_FLOATS, []),
        ("ORIGINAL\\PRIMARY\\AXIAL", ValueType.LIST_OF_STRINGS, ["ORIGINAL", "PRIMARY", "AXIAL"]),
        ("", ValueType.LIST_OF_STRINGS, [""]),
        ("A\\", ValueType.LIST_OF_STRINGS, ["A", ""]),
    ],
)
def test_typed_value(text: str, value_type: ValueType, expected: Any) -> None:
    value = typed_value(text, value_type)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("text", "value_type"),
    [
        ("abc", ValueType.INTEGER), ("1.5", ValueType.INTEGER), ("", ValueType.INTEGER),
        ("2147483648", ValueType.INTEGER), ("x\\12", ValueType.INTEGER),
        ("abc", ValueType.FLOAT), ("", ValueType.FLOAT), ("nan", ValueType.FLOAT),
        ("inf\\1", ValueType.FLOAT),
    ],
)
def test_typed_value_left_out(text: str, value_type: ValueType) -> None:
    assert typed_value(text, value_type) is None


def test_typed_value_refuses_the_radiopharmaceutical_type() -> None:
    with pytest.raises(ValueError):
        typed_value("x", ValueType.RADIOPHARMACEUTICAL)
