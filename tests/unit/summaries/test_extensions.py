"""The "Extensions" key: which summaries need it, and when a stored one is stale."""

from __future__ import annotations

from typing import Any

import pytest

from ohif_plugin.summaries.codec import decode_summary, encode_summary
from ohif_plugin.summaries.extensions import (
    EXTENSIONS_KEY,
    EXTENSIONS_VERSION,
    has_current_extensions,
    instance_fields,
    needs_extensions,
)

PLAIN = {"Version": 2, "0008,0016": "1.2.840.10008.5.1.4.1.1.2", "0028,0008": 1}
MULTI_FRAME = {"Version": 2, "0008,0016": "1.2.840.10008.5.1.4.1.1.3.1", "0028,0008": 12}
CURRENT = {"Version": EXTENSIONS_VERSION, "Instance": {"FrameTime": 33.3}}


def test_a_plain_image_needs_nothing_new() -> None:
    assert not needs_extensions(PLAIN)
    assert decode_summary(encode_summary(PLAIN)) == PLAIN


def test_a_multi_frame_image_needs_extensions() -> None:
    assert needs_extensions(MULTI_FRAME)
    assert decode_summary(encode_summary(MULTI_FRAME)) is None  # e.g. written by the C++ plugin


def test_current_extensions_are_used_as_they_are() -> None:
    summary = MULTI_FRAME | {EXTENSIONS_KEY: CURRENT}
    assert decode_summary(encode_summary(summary)) == summary
    assert instance_fields(summary) == {"FrameTime": 33.3}


@pytest.mark.parametrize(
    "extensions",
    [
        {"Version": EXTENSIONS_VERSION - 1, "Instance": {}},
        {"Version": True, "Instance": {}},
        {"Version": EXTENSIONS_VERSION, "Instance": []},
        {"Version": EXTENSIONS_VERSION},
        [],
        "1",
    ],
)
def test_outdated_or_malformed_extensions_are_stale(extensions: Any) -> None:
    summary = MULTI_FRAME | {EXTENSIONS_KEY: extensions}
    assert not has_current_extensions(summary)
    assert decode_summary(encode_summary(summary)) is None


def test_malformed_extensions_of_a_plain_image_are_ignored() -> None:
    summary = PLAIN | {EXTENSIONS_KEY: {"Version": EXTENSIONS_VERSION, "Instance": "garbage"}}
    assert decode_summary(encode_summary(summary)) == summary
    assert instance_fields(summary) == {}
