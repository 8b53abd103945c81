"""Plain answers and If-None-Match (ohif_plugin.responses)."""

from __future__ import annotations

import pytest

from ohif_plugin.responses import SECURITY_HEADERS, Response, matches


@pytest.mark.parametrize(
    ("if_none_match", "etag", "expected"),
    [
        ('W/"abc"', 'W/"abc"', True),
        ('"abc"', 'W/"abc"', True),  # weak comparison: W/ is ignored
        ('W/"abc"', '"abc"', True),
        ('"x", W/"abc"', 'W/"abc"', True),
        ("*", 'W/"abc"', True),
        ('W/"abd"', 'W/"abc"', False),
        ('"abc', 'W/"abc"', False),
        ("", 'W/"abc"', False),
    ],
)
def test_if_none_match(if_none_match: str, etag: str, expected: bool) -> None:
    assert matches(if_none_match, etag) is expected


def test_the_security_headers_isolate_the_viewer() -> None:
    assert SECURITY_HEADERS == {
        "Cross-Origin-Embedder-Policy": "require-corp",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


def test_responses_do_not_share_their_headers() -> None:
    first, second = Response(200), Response(200)
    first.headers["ETag"] = "x"
    assert second.headers == {}
