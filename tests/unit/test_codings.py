"""Content codings: negotiation, compression, compressed siblings (ohif_plugin.codings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ohif_plugin.codings import (
    GZIP,
    IDENTITY,
    ZSTD,
    accepted_codings,
    choose_coding,
    compress,
    decompress,
    is_variant_file,
    orthanc_compresses,
    sibling,
)

BOTH = (ZSTD, GZIP)


@pytest.mark.parametrize(
    ("accept_encoding", "available", "expected"),
    [
        ("gzip, deflate, br, zstd", BOTH, ZSTD),  # Chromium on localhost or HTTPS
        ("gzip, deflate", BOTH, GZIP),  # Chromium on plain HTTP
        ("gzip, deflate, br, zstd", (GZIP,), GZIP),
        ("gzip, deflate, br, zstd", (), IDENTITY),
        (None, BOTH, IDENTITY),
        ("", BOTH, IDENTITY),
        ("identity", BOTH, IDENTITY),
        ("zstd;q=0, gzip", BOTH, GZIP),
        ("zstd;q=0, gzip;q=0", BOTH, IDENTITY),
        ("gzip;q=1.0, zstd;q=0.5", BOTH, GZIP),  # q-values first, then our preference
        ("gzip;q=0.5, zstd;q=0.5", BOTH, ZSTD),
        ("*", BOTH, ZSTD),
        ("*;q=0.2, gzip", BOTH, GZIP),
        ("*;q=0", BOTH, IDENTITY),
        ("GZIP", BOTH, GZIP),  # coding names are case-insensitive
        ("gzip;q=bad", BOTH, IDENTITY),
        (" zstd ; q=0.8 ", BOTH, ZSTD),
    ],
)
def test_choose_coding(accept_encoding: str | None, available: tuple[str, ...], expected: str) -> None:
    assert choose_coding(accept_encoding, available) == expected


def test_accepted_codings_reads_q_values() -> None:
    assert accepted_codings("gzip;q=0.3, zstd, br;q=0") == {"gzip": 0.3, "zstd": 1.0, "br": 0.0}


@pytest.mark.parametrize(
    ("accept_encoding", "enabled", "expected"),
    [
        ("gzip, deflate, br, zstd", True, True),
        ("deflate", True, True),
        ("zstd", True, False),
        ("gzip;q=0", True, False),  # Orthanc 1.10.1 compares bare tokens: not "gzip"
        (None, True, False),
        ("gzip, deflate, br, zstd", False, False),
    ],
)
def test_when_orthanc_compresses(accept_encoding: str | None, enabled: bool, expected: bool) -> None:
    assert orthanc_compresses(accept_encoding, enabled) is expected


def test_a_variant_file_is_a_compressed_sibling_not_an_archive() -> None:
    assert is_variant_file(Path("a.js.gz"))
    assert is_variant_file(Path("a.js.zst"))
    assert not is_variant_file(Path("archive.tar.gz"))
    assert not is_variant_file(Path("a.js"))


@pytest.mark.parametrize("coding", [GZIP, ZSTD])
def test_compress_and_decompress_round_trip(coding: str) -> None:
    body = b"the same bytes, over and over; " * 100
    compressed = compress(body, coding, 3)
    assert len(compressed) < len(body) / 5
    assert decompress(compressed, coding) == body


def test_the_sibling_of_a_file_has_the_suffix_of_its_coding() -> None:
    assert sibling(Path("/b/app.js"), GZIP) == Path("/b/app.js.gz")
    assert sibling(Path("/b/app.js"), ZSTD) == Path("/b/app.js.zst")
