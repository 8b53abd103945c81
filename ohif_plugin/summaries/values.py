"""The reference's typing rules: a DICOM string value made a JSON string, integer, float or list."""

from __future__ import annotations

import math
import re
from typing import Any

from ohif_plugin.summaries.tags import ValueType

# ASCII digits only: DICOM IS and DS values are ASCII, and int() would accept "١٢".
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def parse_integer(text: str) -> int | None:
    text = text.strip(" \x00")
    if not _INTEGER.fullmatch(text):
        return None
    value = int(text)
    return value if _INT32_MIN <= value <= _INT32_MAX else None


def parse_float(text: str) -> float | None:
    text = text.strip(" \x00")
    if not _DECIMAL.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def typed_value(text: str, value_type: ValueType) -> Any | None:
    """Apply the reference's typing rule to a DICOM string value; None = leave out."""
    values = text.split("\\")
    if value_type is ValueType.STRING:
        return text
    if value_type is ValueType.INTEGER:
        return parse_integer(values[0])
    if value_type is ValueType.FLOAT:
        return parse_float(values[0])
    if value_type is ValueType.LIST_OF_STRINGS:
        return values
    if value_type is ValueType.LIST_OF_FLOATS:
        return [number for number in map(parse_float, values) if number is not None]
    raise ValueError(f"{value_type} has no plain typing rule")
