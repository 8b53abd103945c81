"""Per-instance summaries: computing them from DICOM, and the metadata 4202 codec.

A summary is the JSON object that the reference plugin stores, for each
instance, in metadata 4202 as ``base64(gzip(JSON))``. Keeping exactly that
format lets this plugin and the C++ one read each other's summaries.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import logging
import math
import re
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import pydicom
from pydicom.charset import convert_encodings, decode_bytes
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.valuerep import PersonName

from ohif_plugin.extensions import (
    EXTENSIONS_KEY,
    extensions_of,
    has_current_extensions,
    needs_extensions,
    no_extensions,
)
from ohif_plugin.tags import RADIOPHARMACEUTICAL_FIELDS, TAGS, ValueType

METADATA_KEY = "4202"
SUMMARY_VERSION = 2
VERSION_KEY = "Version"

MAX_DECODED_BYTES = 16 * 1024 * 1024
"""A summary is about 1 KB; anything this large is garbage, not a summary."""

Summary = dict[str, Any]

logger = logging.getLogger(__name__)

# ASCII digits only: DICOM IS and DS values are ASCII, and int() would accept "١٢".
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1

_SPECIFIC_TAGS = [info.tag for info in TAGS] + [0x00080005]


class SummaryError(Exception):
    """The instance could not be read as DICOM at all."""


# --- Typing rules ------------------------------------------------------------


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


# --- From DICOM --------------------------------------------------------------


def _text_of_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not isinstance(value, pydicom.valuerep.DSfloat):
        return repr(value)
    return str(value)


def element_text(element: DataElement, encodings: list[str]) -> str | None:
    """The DICOM string value of an element, multiple values joined by backslashes.

    None for sequences, which have no string value.
    """
    if element.VR == "SQ":
        return None
    value = element.value
    if isinstance(value, bytes | bytearray):
        # Private or unknown tags read as UN: their bytes are still text.
        text = decode_bytes(bytes(value), encodings, set())
    elif isinstance(value, MultiValue | list | tuple):
        text = "\\".join(_text_of_value(item) for item in value)
    elif isinstance(value, PersonName):
        text = str(value)
    else:
        text = _text_of_value(value)
    return text.rstrip(" \x00")


def _radiopharmaceutical(item: Dataset, encodings: list[str]) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    for field in RADIOPHARMACEUTICAL_FIELDS:
        element = item.get(field.tag)
        if element is None:
            continue
        text = element_text(element, encodings)
        if text is None:
            continue
        value = typed_value(text, field.value_type)
        if value is not None:
            found[field.name] = value
    start_key = next(
        (key for key in ("RadiopharmaceuticalStartDateTime", "RadiopharmaceuticalStartTime") if key in found),
        None,
    )
    if "RadionuclideHalfLife" not in found or "RadionuclideTotalDose" not in found or start_key is None:
        return None
    return {
        "RadionuclideHalfLife": found["RadionuclideHalfLife"],
        "RadionuclideTotalDose": found["RadionuclideTotalDose"],
        start_key: found[start_key],
    }


def _encodings_of(dataset: Dataset) -> list[str]:
    try:
        return convert_encodings(dataset.get("SpecificCharacterSet", "ISO_IR 6"))
    except Exception:
        return ["iso8859"]  # an unusable declaration: read as Latin-1 rather than fail


def summarize_dataset(dataset: Dataset) -> Summary:
    """The summary of a dataset: one typed value per tag of the table that it has."""
    encodings = _encodings_of(dataset)
    summary: Summary = {VERSION_KEY: SUMMARY_VERSION}
    for info in TAGS:
        try:
            element = dataset.get(info.tag)
            if element is None:
                continue
            if info.value_type is ValueType.RADIOPHARMACEUTICAL:
                if element.VR == "SQ" and element.value:
                    first = _radiopharmaceutical(element.value[0], encodings)
                    if first is not None:
                        summary[info.key] = [first]
                continue
            text = element_text(element, encodings)
            if text is None:
                continue
            value = typed_value(text, info.value_type)
        except Exception:
            # One unreadable element must not cost the whole summary.
            continue
        if value is not None:
            summary[info.key] = value
    return summary


IDENTIFYING_TAGS = (0x00080018, 0x0020000D, 0x0020000E)
"""SOPInstanceUID, StudyInstanceUID, SeriesInstanceUID: a dataset with none is not an instance."""


def read_dataset(data: bytes) -> Dataset:
    """Parse the header of a DICOM file (or of its first bytes up to the pixel data)."""
    try:
        dataset = pydicom.dcmread(
            io.BytesIO(data), force=True, stop_before_pixels=True, specific_tags=_SPECIFIC_TAGS
        )
    except Exception as error:
        raise SummaryError(f"not readable as DICOM: {type(error).__name__}: {error}") from error
    # With force=True, pydicom reads any bytes as an empty dataset rather than failing.
    if not any(tag in dataset for tag in IDENTIFYING_TAGS):
        raise SummaryError("not readable as DICOM: no SOP, study or series instance UID found")
    return dataset


def summarize_dicom(data: bytes) -> Summary:
    """The summary of a DICOM file, with extensions where the reference's fields are not enough."""
    summary = summarize_dataset(read_dataset(data))
    if needs_extensions(summary):
        summary[EXTENSIONS_KEY] = _extensions(data)
    return _within_decoded_limit(summary)


def _within_decoded_limit(summary: Summary) -> Summary:
    """Leave out the largest values of a summary beyond MAX_DECODED_BYTES (say a 20 MB PatientName).

    Such a summary would be stored, then judged a gzip bomb by :func:`decode_summary`
    and recomputed on every display.
    """
    size = len(orjson.dumps(summary))
    if size <= MAX_DECODED_BYTES:
        return summary
    # Bytes that leaving a key out saves: its '"key":value' and one comma (the summary has a Version too).
    sizes = {key: len(orjson.dumps({key: value})) - 1 for key, value in summary.items() if key != VERSION_KEY}
    for key in sorted(sizes, key=sizes.__getitem__, reverse=True):
        if size <= MAX_DECODED_BYTES:
            break
        logger.warning("Summary value %s of %d bytes left out: a summary is at most %d bytes",
                       key, sizes[key], MAX_DECODED_BYTES)
        if key == EXTENSIONS_KEY:  # current but empty, so that the summary is not stale
            summary[key] = no_extensions()
            size -= sizes[key] - (len(orjson.dumps({key: summary[key]})) - 1)
        else:
            del summary[key]
            size -= sizes[key]
    return summary


def _extensions(data: bytes) -> dict[str, Any]:
    try:
        dataset = pydicom.dcmread(io.BytesIO(data), force=True, stop_before_pixels=True)
        return extensions_of(dataset)
    except Exception as error:
        logger.warning("Extended fields not readable (%s: %s); shown as a plain image", type(error).__name__, error)
        return no_extensions()


# --- Metadata 4202 codec -----------------------------------------------------


def encode_summary(summary: Mapping[str, Any]) -> bytes:
    """base64(gzip(compact JSON)), the exact format of metadata 4202."""
    return base64.b64encode(gzip.compress(orjson.dumps(summary), compresslevel=6, mtime=0))


def _is_number(value: Any) -> bool:
    # Exact types: orjson gives plain int, float, str, list, dict; bool is not a number here.
    return type(value) is int or type(value) is float


SHAPE_CHECKS: dict[ValueType, Callable[[Any], bool]] = {
    ValueType.STRING: lambda value: type(value) is str,
    ValueType.INTEGER: lambda value: type(value) is int,
    ValueType.FLOAT: _is_number,
    ValueType.LIST_OF_FLOATS: lambda value: type(value) is list and all(map(_is_number, value)),
    ValueType.LIST_OF_STRINGS: lambda value: type(value) is list and all(type(item) is str for item in value),
    ValueType.RADIOPHARMACEUTICAL: lambda value: type(value) is list and all(type(item) is dict for item in value),
}
CHECKS_BY_KEY: dict[str, Callable[[Any], bool]] = {info.key: SHAPE_CHECKS[info.value_type] for info in TAGS}
"""Worked out once: validating a study's summaries is a dictionary look-up per key."""


def _has_valid_shape(key: str, value: Any) -> bool:
    check = CHECKS_BY_KEY.get(key)
    return check is None or check(value)  # keys we do not use are not our business


def decode_summary(value: bytes | str) -> Summary | None:
    """The summary stored in a metadata 4202 value, or None if it is stale.

    Stale means: not base64, not gzip, not JSON, not an object, another
    Version, a known key whose value has the wrong type, or missing or outdated
    extensions where the instance needs them.
    """
    try:
        compressed = base64.b64decode(value.strip(), validate=True)
        inflater = zlib.decompressobj(wbits=31)
        text = inflater.decompress(compressed, MAX_DECODED_BYTES)
        if inflater.unconsumed_tail or inflater.unused_data or not inflater.eof:  # one whole gzip stream
            return None
        summary = orjson.loads(text)
    except (ValueError, binascii.Error, zlib.error, orjson.JSONDecodeError):
        return None
    if not isinstance(summary, dict):
        return None
    version = summary.get(VERSION_KEY)
    if not isinstance(version, int) or isinstance(version, bool) or version != SUMMARY_VERSION:
        return None
    if not all(_has_valid_shape(key, item) for key, item in summary.items()):
        return None
    if needs_extensions(summary) and not has_current_extensions(summary):
        return None  # e.g. written by the C++ plugin, or by an older version of this one
    return summary
