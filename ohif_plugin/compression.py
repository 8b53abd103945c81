"""Compressed answers: content negotiation, and bytes compressed once rather than per request.

What Orthanc 1.10.1 does (measured, see docs/benchmarks.md): with
``"HttpCompressionEnabled": true`` (Debian's default) and a request whose
``Accept-Encoding`` lists the bare token ``gzip`` (or ``deflate``), Orthanc
gzips (or deflates) *every* plugin answer on the fly, whatever it already is,
and adds its own ``Content-Encoding`` header after the plugin's. It does not
read q-values (``gzip;q=0`` is not the bare token, so no compression).
A plugin cannot opt out: answers other than 200 cannot carry binary bodies in
orthanc-python 4.0.

So the plugin always sends its own precompressed bytes (zstd, else gzip)
when the browser accepts them. With Orthanc's compression on, the browser
gets ``Content-Encoding: zstd, gzip`` and undoes both (HTTP allows a chain of
codings; Chromium decodes it): Orthanc's gzip over already compressed bytes
costs about an eighth of gzipping the raw text, and the bytes on the wire
are those of zstd at level 19. With Orthanc's compression off, nothing is
compressed per request at all.

The bundle's files are compressed at build time (``python -m
ohif_plugin.compression FOLDER``, run by ``scripts/build_ohif_dist.sh``) into
``.zst`` and ``.gz`` siblings; a file without them is compressed on first use,
at fast levels, and kept in memory.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
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

BUILD_LEVELS: dict[str, int] = {ZSTD: 19, GZIP: 9}
"""Made once, at build time: as small as it gets."""
RUNTIME_LEVELS: dict[str, int] = {ZSTD: 6, GZIP: 6}
"""Made at the first request when the build did not make them: fast."""
ANSWER_LEVELS: dict[str, int] = {ZSTD: 3, GZIP: 6}
"""For answers made per study (ohif-dicom-json): a few milliseconds for 2 MB."""
STORED_ANSWER_LEVELS: dict[str, int] = {ZSTD: 9, GZIP: 6}
"""For a study's stored answer, made once off the request path: zstd 9 is 3% smaller
than zstd 3 for 13 ms at 2,000 instances (zstd 19 would take 0.7 s, gzip 9 gains under 1%)."""


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


# --- Negotiation -----------------------------------------------------------------------


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


# --- Build time ------------------------------------------------------------------------


def sibling(path: Path, coding: str) -> Path:
    return path.with_name(path.name + SUFFIXES[coding])


def is_variant_file(path: PurePosixPath | Path) -> bool:
    """A compressed sibling written by :func:`precompress_folder` (not a file of the bundle)."""
    return path.suffix in SUFFIXES.values() and path.with_suffix("").suffix.lower() in COMPRESSIBLE_SUFFIXES


def precompress_folder(root: Path, report: Callable[[str], None] = lambda line: None) -> tuple[int, int]:
    """Write ``.zst`` and ``.gz`` siblings of the compressible files that lack an up-to-date one.

    Returns (files compressed, bytes saved by zstd). Idempotent: a second run
    compresses nothing.
    """
    compressed = saved = 0
    for path in sorted(_bundle_files(root)):
        size = path.stat().st_size
        if not is_compressible(path.name, size):
            continue
        missing = [
            coding for coding in CODINGS
            if not sibling(path, coding).exists() or sibling(path, coding).stat().st_mtime < path.stat().st_mtime
        ]
        if not missing:
            continue
        data = path.read_bytes()
        for coding in missing:
            variant = compress(data, coding, BUILD_LEVELS[coding])
            target = sibling(path, coding)
            if len(variant) <= WORTH_IT * size:
                target.write_bytes(variant)
                if coding == ZSTD:
                    saved += size - len(variant)
            else:
                target.unlink(missing_ok=True)
        compressed += 1
        report(f"compressed {path.relative_to(root)} ({size:,} bytes)")
    return compressed, saved


def _bundle_files(root: Path) -> Iterable[Path]:
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and not is_variant_file(path):
            yield path


def main(arguments: list[str]) -> int:
    if len(arguments) != 1 or not Path(arguments[0]).is_dir():
        print("usage: python -m ohif_plugin.compression OHIF_DIST_FOLDER", file=sys.stderr)
        return 2
    count, saved = precompress_folder(Path(arguments[0]))
    print(f"compression: {count} file(s) compressed, zstd saves {saved / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
