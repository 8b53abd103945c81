"""The metadata 4202 codec (ohif_plugin.summaries.codec): base64 of the gzip of compact JSON, whose
"Version" must be the current one; anything else decodes to None, so that it is recomputed."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from ohif_plugin.summaries.codec import decode_summary, encode_summary

SUMMARY: dict[str, Any] = {
    "Version": 2,
    "0020,000d": "1.2.3",
    "0010,0010": "Dvořák^Antonín=東京",
    "0028,0010": 512,
    "0028,1050": -600.5,
    "0028,0030": [0.5, 0.25],
    "0008,0008": ["ORIGINAL", "PRIMARY"],
    "0054,0016": [{"RadionuclideHalfLife": 6586.2, "RadionuclideTotalDose": 3.7e8,
                   "RadiopharmaceuticalStartTime": "093000"}],
}


def _gzip_b64(raw: bytes) -> bytes:
    return base64.b64encode(gzip.compress(raw))


def _stored(value: Any) -> bytes:
    """A 4202 value built with the standard library only, as any other writer would."""
    return _gzip_b64(json.dumps(value).encode("utf-8"))


# --- encode_summary ----------------------------------------------------------------


def test_encoded_value_decodes_with_the_standard_library() -> None:
    encoded = encode_summary(SUMMARY)
    raw = gzip.decompress(base64.b64decode(encoded, validate=True))
    decoded = json.loads(raw)
    assert decoded == SUMMARY
    assert type(decoded["Version"]) is int


def test_encoded_json_is_compact_utf8() -> None:
    raw = gzip.decompress(base64.b64decode(encode_summary({"Version": 2, "0010,0010": "Zoë", "a": [1, 2]})))
    assert raw == '{"Version":2,"0010,0010":"Zoë","a":[1,2]}'.encode()


def test_encoded_value_is_plain_ascii_base64() -> None:
    encoded = encode_summary(SUMMARY)
    assert isinstance(encoded, bytes)
    assert encoded.isascii()
    assert b"\n" not in encoded


# --- decode_summary: stale values ------------------------------------------------------

GZIP_BOMB = _gzip_b64(b"0" * 50_000_000)
VALID_JSON_BOMB = _gzip_b64(b'{"Version":2,"0008,1030":"' + b"x" * 50_000_000 + b'"}')
"""Well-formed once inflated: only a limit on the inflated size rejects it."""

STALE: dict[str, bytes | str] = {
    "empty": b"",
    "bad base64": b"not base64 at all!",
    "base64 of non-gzip": base64.b64encode(b'{"Version": 2}'),
    "truncated gzip": base64.b64encode(gzip.compress(b'{"Version": 2}')[:-6]),
    "gzip of invalid JSON": _gzip_b64(b'{"Version": 2,'),
    "gzip of invalid UTF-8": _gzip_b64(b'{"Version": 2, "a": "\xff"}'),
    "JSON list": _stored([{"Version": 2}]),
    "JSON string": _stored("Version 2"),
    "Version 1": _stored({"Version": 1, "0020,000d": "1.2.3"}),
    "Version 3": _stored({"Version": 3}),
    'Version "2"': _stored({"Version": "2"}),
    "Version 2.0": _gzip_b64(b'{"Version": 2.0}'),
    "Version true": _stored({"Version": True}),
    "Version null": _stored({"Version": None}),
    "no Version": _stored({"0020,000d": "1.2.3"}),
    "number for a list of floats": _stored({"Version": 2, "0028,0030": 5}),
    "string in a list of floats": _stored({"Version": 2, "0028,0030": ["0.5", "0.5"]}),
    "string for an integer": _stored({"Version": 2, "0028,0010": "512"}),
    "float for an integer": _stored({"Version": 2, "0028,0010": 512.5}),
    "bool for an integer": _stored({"Version": 2, "0028,0010": True}),
    "number for a string": _stored({"Version": 2, "0020,000d": 1.23}),
    "string for a list of strings": _stored({"Version": 2, "0008,0008": "ORIGINAL"}),
    "object for the sequence": _stored({"Version": 2, "0054,0016": {"RadionuclideHalfLife": 1}}),
    "gzip bomb": GZIP_BOMB,
    "gzip bomb of valid JSON": VALID_JSON_BOMB,
    "non-ASCII text": "é" + _stored({"Version": 2}).decode(),
    "list for a string": _stored({"Version": 2, "0010,0010": ["Doe", "J"]}),
    "nested garbage for a string": _stored({"Version": 2, "0020,000d": {"a": [{"b": [None, {"c": []}]}]}}),
    "list of lists for a list of floats": _stored({"Version": 2, "0020,0032": [[1.0], [2.0]]}),
    "JSON nested beyond the parser's depth": _gzip_b64(b'{"Version": 2, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
    "infinity": _gzip_b64(b'{"Version": 2, "0028,1050": 1e400}'),
    "NaN": _gzip_b64(b'{"Version": 2, "0028,1050": NaN}'),
    "integer beyond 64 bits": _gzip_b64(b'{"Version": 2, "0028,0010": 123456789012345678901234567890}'),
    # What `base64 -d | gunzip -c` does not read as one JSON object (gunzip concatenates members, or fails):
    "two gzip members": base64.b64encode(gzip.compress(b'{"Version": 2}') + gzip.compress(b'{"Version": 2}')),
    "bytes after the gzip stream": base64.b64encode(gzip.compress(b'{"Version": 2}') + b"trailing garbage"),
}


@pytest.mark.parametrize("value", list(STALE.values()), ids=list(STALE))
def test_stale_values_decode_to_none(value: bytes | str) -> None:
    assert decode_summary(value) is None


def test_version_2_point_0_is_stale() -> None:
    """A float Version is not what any writer produces; recomputing it is harmless."""
    assert decode_summary(_gzip_b64(b'{"Version":2.0,"0020,000d":"1.2.3"}')) is None


# --- decode_summary: valid values ------------------------------------------------------


def test_round_trip_of_a_stdlib_written_value() -> None:
    assert decode_summary(_stored(SUMMARY)) == SUMMARY


def test_round_trip_of_encode_summary() -> None:
    assert decode_summary(encode_summary(SUMMARY)) == SUMMARY


def test_foreign_summary_with_unknown_keys_and_float32_values() -> None:
    """As the C++ plugin writes it: float32 values printed with 17 digits, keys we do not use."""
    raw = (
        b'{"0008,0060":"CT","0020,000d":"1.2.3","0020,000e":"1.2.3.4",'
        b'"0028,0030":[0.66146800000000004,0.66146800000000004],'
        b'"0028,1052":-1024,"0018,0050":2.5,"0028,0010":512,'
        b'"0099,0001":{"anything":[1,"x"]},"Extra":null,"Version":2}'
    )
    assert decode_summary(_gzip_b64(raw)) == {
        "0008,0060": "CT",
        "0020,000d": "1.2.3",
        "0020,000e": "1.2.3.4",
        "0028,0030": [0.66146800000000004, 0.66146800000000004],
        "0028,1052": -1024,  # an integer where a Float is expected is still a number
        "0018,0050": 2.5,
        "0028,0010": 512,
        "0099,0001": {"anything": [1, "x"]},
        "Extra": None,
        "Version": 2,
    }


@pytest.mark.parametrize("suffix", [b"\n", b"\r\n", b" \n"])
def test_trailing_newline_after_base64_is_accepted(suffix: bytes) -> None:
    assert decode_summary(_stored(SUMMARY) + suffix) == SUMMARY


def test_str_value_is_accepted() -> None:
    assert decode_summary(_stored(SUMMARY).decode("ascii") + "\n") == SUMMARY


def test_large_but_legitimate_value_is_not_mistaken_for_a_bomb() -> None:
    summary = {"Version": 2, "0008,1030": "x" * 2_000_000}
    assert decode_summary(_stored(summary)) == summary
