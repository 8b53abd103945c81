"""Compressed siblings written at build time (ohif_plugin.build.precompress)."""

from __future__ import annotations

import os
from pathlib import Path

from ohif_plugin.build.precompress import precompress_folder
from ohif_plugin.codings import GZIP, ZSTD, decompress
from tests.support.bundle_folder import make_bundle


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
