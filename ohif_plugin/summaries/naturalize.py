"""DICOM datasets as "naturalized" JSON, the shape OHIF's code reads instance metadata in.

OHIF's dicom-web source turns DICOM JSON into instance metadata with dcmjs's
``DicomMetaDictionary.naturalizeDataset``; its SR, SEG and RTSTRUCT handlers
read those objects. This module builds the same shape from a pydicom dataset,
so that the dicom-json source can hand OHIF the same fields:

- keys are DICOM keywords; private and unknown tags are left out;
- a sequence is a list of naturalized items, even with one item;
- a person name is a list of ``{"Alphabetic", "Ideographic", "Phonetic"}`` objects;
- any other single value is unwrapped, several values make a list;
- IS, DS and the binary numeric VRs are JSON numbers;
- an empty element is ``null``;
- a binary value (OB, OW, UN...) is ``{"InlineBinary": base64}`` when small,
  otherwise ``{"BulkDataURI": <path under the instance>}``, a path that the study
  answer turns into a URL Orthanc serves (see :func:`bulk_data_url`).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from typing import Any

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.valuerep import PersonName

BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW", "US or SS or OW"})
NUMBER_VRS = frozenset({"FL", "FD", "SL", "SS", "SV", "UL", "US", "UV", "US or SS"})
INTEGER_STRING_VR = "IS"
DECIMAL_STRING_VR = "DS"

INLINE_BINARY_LIMIT = 256
"""Bytes of a binary value given inline; larger ones are left to a URL."""

BULK_DATA_KEY = "BulkDataURI"
INLINE_BINARY_KEY = "InlineBinary"

Path = tuple[str, ...]
"""Where an element sits in the instance, as Orthanc's /content route spells it: "gggg-eeee", item index..."""


def _tag_path(element: DataElement) -> str:
    return f"{element.tag.group:04x}-{element.tag.element:04x}"


def _number(text: Any, integer: bool) -> Any:
    """An IS or DS value as a JSON number; text that is not a number is kept as text."""
    try:
        number = int(text) if integer else float(text)
    except (TypeError, ValueError):
        return str(text).strip()
    if isinstance(number, float) and not math.isfinite(number):
        return str(text).strip()
    return number


def _person_name(value: PersonName) -> dict[str, str]:
    components = {
        "Alphabetic": value.alphabetic,
        "Ideographic": value.ideographic,
        "Phonetic": value.phonetic,
    }
    return {name: text for name, text in components.items() if text}


def _scalar(value: Any, vr: str) -> Any:
    if vr == INTEGER_STRING_VR:
        return _number(value, integer=True)
    if vr == DECIMAL_STRING_VR:
        return _number(value, integer=False)
    if vr in NUMBER_VRS:
        return value if isinstance(value, int | float) else _number(value, integer=False)
    if vr == "AT":
        return f"{int(value):08X}"
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip(" \x00")
    return str(value)


def _binary(value: bytes, path: Path) -> dict[str, str]:
    if len(value) <= INLINE_BINARY_LIMIT:
        return {INLINE_BINARY_KEY: base64.b64encode(value).decode("ascii")}
    return {BULK_DATA_KEY: "/".join(path)}


def naturalize_element(element: DataElement, path: Path = (), omit: frozenset[str] = frozenset()) -> Any:
    """The naturalized value of one element; ``path`` locates it for bulk data.

    Elements named in ``omit`` are left out of the items of its sequences, at any depth.
    """
    element_path = (*path, _tag_path(element))
    vr = element.VR
    value = element.value
    if vr == "SQ":
        return [naturalize_dataset(item, (*element_path, str(index)), omit) for index, item in enumerate(value)]
    if value is None or value == "" or value == b"" or (isinstance(value, MultiValue | list) and len(value) == 0):
        return None
    if vr in BINARY_VRS and isinstance(value, bytes | bytearray):
        return _binary(bytes(value), element_path)
    if vr == "PN":
        names = value if isinstance(value, MultiValue | list) else [value]
        return [_person_name(name) for name in names]
    if isinstance(value, MultiValue | list | tuple):
        values = [_scalar(item, vr) for item in value]
        return values[0] if len(values) == 1 else values
    return _scalar(value, vr)


def naturalize_dataset(dataset: Dataset, path: Path = (), omit: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every public, known element of a dataset but those in ``omit``, by keyword."""
    keywords = (element.keyword for element in dataset if element.keyword not in omit)
    return naturalize_elements(dataset, keywords, path, omit)


def naturalize_elements(
    dataset: Dataset, keywords: Iterable[str], path: Path = (), omit: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The named elements of a dataset that it has (private and unknown tags have no keyword)."""
    naturalized: dict[str, Any] = {}
    for keyword in keywords:
        if not keyword or keyword not in dataset:
            continue
        element = dataset[keyword]
        if element.tag.is_private:
            continue
        naturalized[keyword] = naturalize_element(element, path, omit)
    return naturalized


def bulk_data_url(fields: Any, instance_url: str, query: str) -> Any:
    """The fields with each ``BulkDataURI`` path made a URL under ``instance_url`` (plus ``query``).

    Orthanc serves ``/instances/{id}/content/{path}`` with the raw value. Only
    dictionaries and lists that hold a bulk data reference are copied.
    """
    if isinstance(fields, dict):
        bulk = fields.get(BULK_DATA_KEY)
        if isinstance(bulk, str) and len(fields) == 1:
            url = f"{instance_url}/content/{bulk}"
            return {BULK_DATA_KEY: f"{url}?{query}" if query else url}
        changed = {key: bulk_data_url(value, instance_url, query) for key, value in fields.items()}
        return fields if all(changed[key] is fields[key] for key in fields) else changed
    if isinstance(fields, list):
        items = [bulk_data_url(item, instance_url, query) for item in fields]
        return fields if all(new is old for new, old in zip(items, fields, strict=True)) else items
    return fields
