"""Content negotiation and precompressed files (ohif_plugin.codings)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ohif_plugin.web.assets import AssetFolder
from ohif_plugin.codings import GZIP, IDENTITY, ZSTD, accepted_codings, choose_coding, decompress, is_variant_file, orthanc_compresses
from ohif_plugin.build.precompress import precompress_folder

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


def make_bundle(root: Path) -> dict[str, bytes]:
    files = {
        "app.bundle.0123456789abcdef.js": b"function hello() { return 'world'; }\n" * 400,
        "style.css": b"body { margin: 0; }\n" * 200,
        "small.js": b"x=1",
        "logo.png": bytes(range(256)) * 20,
        "ort/model.wasm": b"\x00asm" + b"\x01\x02\x03\x04" * 2000,
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


def test_precompress_folder_writes_siblings_once(tmp_path: Path) -> None:
    files = make_bundle(tmp_path)
    count, saved = precompress_folder(tmp_path)
    assert count == 3  # the two text files and the wasm; not the small file, not the PNG
    assert saved > 0
    for name in ("app.bundle.0123456789abcdef.js", "style.css", "ort/model.wasm"):
        for coding, suffix in ((ZSTD, ".zst"), (GZIP, ".gz")):
            assert decompress((tmp_path / (name + suffix)).read_bytes(), coding) == files[name]
    assert not (tmp_path / "small.js.zst").exists()
    assert not (tmp_path / "logo.png.gz").exists()
    assert precompress_folder(tmp_path) == (0, 0)


def test_a_changed_file_gets_new_siblings(tmp_path: Path) -> None:
    make_bundle(tmp_path)
    precompress_folder(tmp_path)
    path = tmp_path / "style.css"
    path.write_bytes(b"p { color: red; }\n" * 300)
    later = (tmp_path / "style.css.zst").stat().st_mtime + 10
    os.utime(path, (later, later))
    assert precompress_folder(tmp_path)[0] == 1
    assert decompress((tmp_path / "style.css.zst").read_bytes(), ZSTD) == path.read_bytes()


def test_siblings_are_variants_not_files_of_the_bundle(tmp_path: Path) -> None:
    files = make_bundle(tmp_path)
    precompress_folder(tmp_path)
    folder = AssetFolder(tmp_path)
    assert folder.get("style.css.gz") is None
    assert folder.get("style.css.zst") is None
    asset = folder.get("style.css")
    assert asset is not None
    assert set(asset.variants) == {ZSTD, GZIP}
    assert decompress(asset.variants[ZSTD], ZSTD) == files["style.css"]
    assert is_variant_file(Path("a.js.gz"))
    assert not is_variant_file(Path("archive.tar.gz"))


def test_without_siblings_assets_are_compressed_on_first_use(tmp_path: Path) -> None:
    files = make_bundle(tmp_path)
    folder = AssetFolder(tmp_path)
    asset = folder.get("app.bundle.0123456789abcdef.js")
    assert asset is not None
    assert {coding: decompress(data, coding) for coding, data in asset.variants.items()} == {
        ZSTD: files["app.bundle.0123456789abcdef.js"],
        GZIP: files["app.bundle.0123456789abcdef.js"],
    }
    assert folder.get("logo.png") is not None
    assert folder.get("logo.png").variants == {}  # type: ignore[union-attr]


def test_a_stale_sibling_is_ignored(tmp_path: Path) -> None:
    make_bundle(tmp_path)
    (tmp_path / "style.css.zst").write_bytes(b"not zstd at all")
    earlier = (tmp_path / "style.css").stat().st_mtime - 100
    os.utime(tmp_path / "style.css.zst", (earlier, earlier))
    asset = AssetFolder(tmp_path).get("style.css")
    assert asset is not None
    assert decompress(asset.variants[ZSTD], ZSTD) == (tmp_path / "style.css").read_bytes()
