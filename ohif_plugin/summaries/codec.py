"""Metadata 4202: the per-instance summary as Orthanc stores it, ``base64(gzip(JSON))``.

Keeping exactly the C++ plugin's format lets this plugin and that one read
each other's summaries. A value that does not decode, or holds another
version or a value of the wrong shape, is stale: it is computed again.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ohif_plugin.summaries.extensions import has_current_extensions, needs_extensions
from ohif_plugin.summaries.tags import TAGS, ValueType

METADATA_KEY = "4202"
"""The metadata key (and, for a study, the attachment) registered for the plugin in Orthanc's registry."""
SUMMARY_VERSION = 2
VERSION_KEY = "Version"

MAX_DECODED_BYTES = 16 * 1024 * 1024
"""A summary is about a kilobyte; anything this large is garbage, not a summary."""

Summary = dict[str, Any]


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
