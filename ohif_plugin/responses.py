"""What the plugin answers over HTTP, as plain values; the Orthanc adapter sends them.

Kept below every other package so that the study JSON and the viewer build
answers without knowing Orthanc.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECURITY_HEADERS: dict[str, str] = {
    # OHIF needs SharedArrayBuffer, which needs a cross-origin isolated page.
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    mime_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison: ``*``, or one of the listed tags equals ours (W/ ignored)."""
    wanted = _opaque(etag)
    return any(tag.strip() == "*" or _opaque(tag) == wanted for tag in if_none_match.split(","))
