"""A fast summary reader for the common case; pydicom reads everything else.

pydicom builds a whole Dataset that the summary reads some 50 elements
from, the larger part of an instance's cost. Almost every instance Orthanc
receives is explicit VR little endian (uncompressed or encapsulated pixel
data) in ASCII, Latin-1 or UTF-8: for those, this module scans the raw
elements and applies pydicom's own string rules (which padding it strips,
which values it splits, what it refuses to convert), at a fraction of the cost.

Whatever it is not sure to read exactly as pydicom would - another transfer
syntax or character set, escape sequences, a number pydicom would refuse,
a sequence or binary value among the summary's tags, a truncated file, an
instance that needs extensions - makes :func:`fast_summary` return None, and
:func:`ohif_plugin.summaries.compute.summarize` falls back to
:func:`ohif_plugin.summaries.dataset.summarize_dicom`. The unit tests check
that both give the same summaries.
"""

from __future__ import annotations

import re
import struct

from ohif_plugin.summaries.codec import SUMMARY_VERSION, VERSION_KEY, Summary
from ohif_plugin.summaries.extensions import needs_extensions
from ohif_plugin.summaries.tags import IDENTIFYING_TAGS, SPECIFIC_CHARACTER_SET, TAGS, ValueType
from ohif_plugin.summaries.values import typed_value

PREAMBLE_SIZE = 128
MAGIC = b"DICM"
TRANSFER_SYNTAX = 0x00020010
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
UNDEFINED_LENGTH = 0xFFFFFFFF
MAX_SEQUENCE_DEPTH = 16

EXPLICIT_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
ENCAPSULATED_PREFIXES = ("1.2.840.10008.1.2.4.", "1.2.840.10008.1.2.5")
"""JPEG, JPEG-LS, JPEG 2000, MPEG, HTJ2K... and RLE: their dataset is explicit VR little endian."""

ENCODINGS: dict[str, str] = {"ISO_IR 6": "latin_1", "ISO_IR 100": "latin_1", "ISO_IR 192": "utf_8"}
"""Character sets read here (pydicom's "iso8859" default is Latin-1); others go to pydicom."""
DEFAULT_ENCODING = "latin_1"

LONG_HEADER_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})
"""Explicit VRs with 2 reserved bytes and a 4-byte length."""
SHORT_HEADER_VRS = frozenset({
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN", b"SH", b"SL",
    b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
})

PLAIN_STRING_VRS = frozenset({"AE", "AS", "CS", "DA", "DT", "TM", "UI"})
"""Decoded as Latin-1 whatever the character set, as pydicom does."""
SPLIT_TEXT_VRS = frozenset({"SH", "LO", "UC"})
"""Text split on backslashes, each value stripped of trailing spaces."""
SINGLE_TEXT_VRS = frozenset({"ST", "LT", "UT"})
BINARY_FORMATS: dict[str, str] = {"US": "H", "SS": "h", "UL": "I", "SL": "i"}

_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
NUMBER_PATTERNS = {"DS": _DECIMAL, "IS": _INTEGER}
"""Each value of a DS or IS must look like this, or pydicom may refuse the whole element."""

WANTED_TAGS = frozenset({info.tag for info in TAGS} | {SPECIFIC_CHARACTER_SET})
LAST_WANTED_TAG = max(WANTED_TAGS)

Elements = dict[int, tuple[str, bytes]]


class Unsure(Exception):
    """This file is not the simple case: pydicom reads it."""


def _element_header(data: bytes, offset: int) -> tuple[int, bytes, int, int]:
    """(tag, VR, value length, header size) of the explicit VR element at ``offset``."""
    if offset + 8 > len(data):
        raise Unsure
    group, element = struct.unpack_from("<HH", data, offset)
    vr = data[offset + 4 : offset + 6]
    if vr in SHORT_HEADER_VRS:
        return (group << 16) | element, vr, struct.unpack_from("<H", data, offset + 6)[0], 8
    if vr in LONG_HEADER_VRS and offset + 12 <= len(data):
        return (group << 16) | element, vr, struct.unpack_from("<I", data, offset + 8)[0], 12
    raise Unsure


def _item_header(data: bytes, offset: int) -> tuple[int, int]:
    if offset + 8 > len(data):
        raise Unsure
    group, element, length = struct.unpack_from("<HHI", data, offset)
    return (group << 16) | element, length


def _skip_sequence(data: bytes, offset: int, depth: int) -> int:
    """The offset after an undefined-length sequence whose first item starts at ``offset``."""
    if depth > MAX_SEQUENCE_DEPTH:
        raise Unsure
    while True:
        tag, length = _item_header(data, offset)
        if tag == SEQUENCE_END:
            return offset + 8
        if tag != ITEM:
            raise Unsure
        offset += 8
        if length != UNDEFINED_LENGTH:
            offset += length
            continue
        while True:  # the elements of an undefined-length item
            tag, _ = _item_header(data, offset)
            if tag == ITEM_END:
                offset += 8
                break
            offset = _skip_element(data, offset, depth)


def _skip_element(data: bytes, offset: int, depth: int) -> int:
    _, vr, length, header = _element_header(data, offset)
    if length != UNDEFINED_LENGTH:
        return offset + header + length
    if vr != b"SQ":
        raise Unsure  # UN or OB of undefined length before the pixel data: rare, left to pydicom
    return _skip_sequence(data, offset + header, depth + 1)


def _dataset_start(data: bytes) -> int:
    """Where the dataset starts, after a file meta group that announces explicit VR little endian."""
    if data[PREAMBLE_SIZE : PREAMBLE_SIZE + 4] != MAGIC:
        raise Unsure
    offset = PREAMBLE_SIZE + 4
    transfer_syntax = ""
    while offset + 8 <= len(data) and data[offset : offset + 2] == b"\x02\x00":
        tag, _, length, header = _element_header(data, offset)
        if length == UNDEFINED_LENGTH:
            raise Unsure
        if tag == TRANSFER_SYNTAX:
            transfer_syntax = data[offset + header : offset + header + length].decode("latin_1").rstrip(" \x00")
        offset += header + length
    if transfer_syntax != EXPLICIT_LITTLE_ENDIAN and not transfer_syntax.startswith(ENCAPSULATED_PREFIXES):
        raise Unsure
    return offset


def read_elements(data: bytes) -> Elements:
    """The summary's top-level elements, as (VR, raw value); raises Unsure."""
    found: Elements = {}
    offset = _dataset_start(data)
    while offset < len(data):
        tag, vr, length, header = _element_header(data, offset)
        if tag > LAST_WANTED_TAG:
            break  # elements come in tag order: nothing wanted after this (such as the pixel data)
        if length == UNDEFINED_LENGTH:
            if tag in WANTED_TAGS:
                raise Unsure
            offset = _skip_element(data, offset, 0)
            continue
        end = offset + header + length
        if end > len(data):
            raise Unsure
        if tag in WANTED_TAGS:
            found[tag] = (vr.decode("ascii"), data[offset + header : end])
        offset = end
    return found


def _numbers_text(text: str, vr: str) -> str:
    values = text.split("\\")
    pattern = NUMBER_PATTERNS[vr]
    if not all(pattern.fullmatch(value.strip(" \x00")) for value in values):
        raise Unsure  # pydicom would refuse (or warn about) the whole element
    return "\\".join(values)


def element_text(vr: str, value: bytes, encoding: str) -> str:
    """The element's string value as :func:`ohif_plugin.summaries.dataset.element_text` gives it from pydicom."""
    if not value:
        return ""
    if vr in BINARY_FORMATS:
        size = struct.calcsize(BINARY_FORMATS[vr])
        if len(value) % size:
            raise Unsure
        numbers = struct.unpack(f"<{len(value) // size}{BINARY_FORMATS[vr]}", value)
        return "\\".join(map(str, numbers))
    if vr in PLAIN_STRING_VRS:
        return value.decode("latin_1").rstrip(" \x00")
    if vr == "DS":
        return _numbers_text(value.decode("latin_1").strip().rstrip(" \x00"), vr).rstrip(" \x00")
    if vr == "IS":
        return _numbers_text(value.decode("latin_1").rstrip(" \x00"), vr).rstrip(" \x00")
    if b"\x1b" in value:
        raise Unsure  # ISO 2022 escape sequences
    try:
        if vr == "PN":
            names = value.rstrip(b"\x00 ").decode(encoding).split("\\")
            return "\\".join(_person_name(name) for name in names).rstrip(" \x00")
        text = value.decode(encoding)
    except UnicodeDecodeError:
        raise Unsure from None  # pydicom replaces the bad bytes, with a warning
    if vr in SPLIT_TEXT_VRS:
        return "\\".join(item.rstrip("\x00 ") for item in text.split("\\")).rstrip(" \x00")
    if vr in SINGLE_TEXT_VRS:
        return text.rstrip("\x00 ")
    raise Unsure  # FL, FD, AT, binary and unknown VRs


def _person_name(name: str) -> str:
    """As pydicom's PersonName prints it: without empty trailing component groups."""
    groups = name.split("=")
    while groups and not groups[-1]:
        groups.pop()
    return "=".join(groups)


def _encoding(elements: Elements) -> str:
    declared = elements.get(SPECIFIC_CHARACTER_SET)
    if declared is None:
        return DEFAULT_ENCODING
    encoding = ENCODINGS.get(declared[1].decode("latin_1").strip(" \x00"))
    if encoding is None:
        raise Unsure
    return encoding


def fast_summary(data: bytes) -> Summary | None:
    """The summary of a simple instance, exactly as pydicom's path computes it; None if unsure."""
    try:
        elements = read_elements(data)
        if not any(tag in elements for tag in IDENTIFYING_TAGS):
            return None  # pydicom's path says why
        encoding = _encoding(elements)
        summary: Summary = {VERSION_KEY: SUMMARY_VERSION}
        for info in TAGS:
            element = elements.get(info.tag)
            if element is None:
                continue
            if info.value_type is ValueType.RADIOPHARMACEUTICAL:
                return None  # a sequence: pydicom reads its first item
            value = typed_value(element_text(element[0], element[1], encoding), info.value_type)
            if value is not None:
                summary[info.key] = value
    except (Unsure, struct.error):
        return None
    if needs_extensions(summary):
        return None  # the extensions need the whole dataset: pydicom
    return summary

