"""Summaries computed with pydicom: any DICOM file pydicom reads, with extensions where needed.

:mod:`ohif_plugin.summaries.fast_header` handles the common case faster and
hands everything else here.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import orjson
import pydicom
from pydicom.charset import convert_encodings, decode_bytes
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.valuerep import PersonName

from ohif_plugin.summaries.codec import MAX_DECODED_BYTES, SUMMARY_VERSION, VERSION_KEY, Summary
from ohif_plugin.summaries.extensions import EXTENSIONS_KEY, extensions_of, needs_extensions, no_extensions
from ohif_plugin.summaries.tags import (
    IDENTIFYING_TAGS,
    RADIOPHARMACEUTICAL_FIELDS,
    SPECIFIC_CHARACTER_SET,
    TAGS,
    ValueType,
)
from ohif_plugin.summaries.values import typed_value

logger = logging.getLogger(__name__)

_SPECIFIC_TAGS = [info.tag for info in TAGS] + [SPECIFIC_CHARACTER_SET]


class SummaryError(Exception):
    """The instance could not be read as DICOM at all."""



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
