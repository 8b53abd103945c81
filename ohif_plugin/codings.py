"""Content codings: compressing, decompressing, and choosing one from ``Accept-Encoding``.

What Orthanc does with a plugin's answer matters here. With
``"HttpCompressionEnabled": true`` and a request whose ``Accept-Encoding``
lists the bare token ``gzip`` (or ``deflate``), Orthanc 1.10 gzips (or
deflates) *every* plugin answer on the fly, whatever it already is, and adds
its own ``Content-Encoding`` header after the plugin's. It does not read
q-values (``gzip;q=0`` is not the bare token). A plugin cannot opt out.

So the plugin sends its own compressed bytes (zstd, else gzip) when the
browser accepts them. With Orthanc's compression on, the browser gets
``Content-Encoding: zstd, gzip`` and undoes both (HTTP allows a chain of
codings): Orthanc's gzip over compressed bytes is far cheaper than over the
raw text. With Orthanc's compression off, nothing is compressed per request.

The bundle's files are compressed at build time into ``.zst`` and ``.gz``
siblings (:mod:`ohif_plugin.build.precompress`); a file without them is
compressed on first use, at fast levels, and kept in memory.
"""

from __future__ import annotations

import gzip
from collections.abc import Collection, Mapping
from pathlib import Path, PurePosixPath

import zstandard

IDENTITY = "identity"
ZSTD = "zstd"
GZIP = "gzip"
CODINGS: tuple[str, ...] = (ZSTD, GZIP)
"""Our codings, best first: zstd is smaller and faster to decode than gzip."""

SUFFIXES: dict[str, str] = {ZSTD: ".zst", GZIP: ".gz"}

ORTHANC_CODINGS = ("gzip", "deflate")
"""The Accept-Encoding tokens that make Orthanc compress an answer itself."""

COMPRESSIBLE_SUFFIXES = frozenset({
    ".js", ".mjs", ".css", ".html", ".json", ".jsonc", ".map", ".wasm", ".svg", ".txt", ".xml", ".ico",
    ".webapp", ".ttf",
})
"""Images and fonts such as PNG, JPEG and WOFF2 are compressed already."""
MINIMUM_SIZE = 1024
"""Smaller answers gain nothing worth a compressed copy."""
WORTH_IT = 0.9
"""A compressed copy is kept only if it is at most this fraction of the original."""

RUNTIME_LEVELS: dict[str, int] = {ZSTD: 6, GZIP: 6}
"""Made at the first request when the build did not make them: fast."""
ANSWER_LEVELS: dict[str, int] = {ZSTD: 3, GZIP: 6}
"""For answers compressed per request (ohif-dicom-json assembled anew): fast levels."""
STORED_ANSWER_LEVELS: dict[str, int] = {ZSTD: 9, GZIP: 6}
"""For a study's stored answer, made once off the request path: smaller than the per-request
levels, at a cost paid once (the performance docs give the trade-off)."""


def compress(data: bytes, coding: str, level: int) -> bytes:
    if coding == ZSTD:
        return bytes(zstandard.ZstdCompressor(level=level).compress(data))
    if coding == GZIP:
        return gzip.compress(data, compresslevel=level, mtime=0)
    raise ValueError(f"unknown coding {coding!r}")


def decompress(data: bytes, coding: str) -> bytes:
    """The inverse of :func:`compress` (a stored answer for a browser that takes no gzip)."""
    if coding == ZSTD:
        return bytes(zstandard.ZstdDecompressor().decompressobj().decompress(data))
    if coding == GZIP:
        return gzip.decompress(data)
    return data


def is_compressible(path: str, size: int) -> bool:
    return size >= MINIMUM_SIZE and PurePosixPath(path).suffix.lower() in COMPRESSIBLE_SUFFIXES


def compressed_variants(data: bytes, levels: Mapping[str, int]) -> dict[str, bytes]:
    """The codings worth keeping for these bytes."""
    found = {}
    for coding in CODINGS:
        compressed = compress(data, coding, levels[coding])
        if len(compressed) <= WORTH_IT * len(data):
            found[coding] = compressed
    return found


def accepted_codings(accept_encoding: str | None) -> dict[str, float]:
    """Coding -> q-value, as RFC 9110 reads ``Accept-Encoding`` (lower-case names; ``*`` kept)."""
    accepted: dict[str, float] = {}
    for part in (accept_encoding or "").split(","):
        name, *parameters = (piece.strip() for piece in part.split(";"))
        if not name:
            continue
        quality = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0  # a q-value we cannot read: do not guess
        accepted[name.lower()] = quality
    return accepted


def choose_coding(accept_encoding: str | None, available: Collection[str]) -> str:
    """The best coding the client accepts among ``available``; identity when none is.

    Highest q-value first, then our preference (:data:`CODINGS`). A coding
    with q=0 is refused, ``*`` stands for any coding not named.
    """
    accepted = accepted_codings(accept_encoding)
    wildcard = accepted.get("*", 0.0)
    best, best_quality = IDENTITY, 0.0
    for coding in CODINGS:
        quality = accepted.get(coding, wildcard)
        if coding in available and quality > best_quality:
            best, best_quality = coding, quality
    return best


def orthanc_compresses(accept_encoding: str | None, http_compression_enabled: bool) -> bool:
    """Whether Orthanc 1.10.1 will gzip or deflate this answer itself (bare tokens, as it parses them)."""
    if not http_compression_enabled:
        return False
    tokens = {token.strip() for token in (accept_encoding or "").split(",")}
    return any(coding in tokens for coding in ORTHANC_CODINGS)


def sibling(path: Path, coding: str) -> Path:
    """Where the build keeps a file's compressed copy (``app.js`` -> ``app.js.zst``)."""
    return path.with_name(path.name + SUFFIXES[coding])


def is_variant_file(path: PurePosixPath | Path) -> bool:
    """A compressed sibling written at build time (:mod:`ohif_plugin.build.precompress`), not a file of the bundle."""
    return path.suffix in SUFFIXES.values() and path.with_suffix("").suffix.lower() in COMPRESSIBLE_SUFFIXES
