"""The bundle's files, indexed once and served from memory (ohif_plugin.web.assets)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ohif_plugin.build.precompress import precompress_folder
from ohif_plugin.codings import GZIP, ZSTD, decompress
from ohif_plugin.web.assets import AssetFolder, javascript_value, mime_type_of, resource_text
from tests.support.bundle_folder import APP_BUNDLE, make_bundle


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


def test_a_stale_sibling_is_not_used(tmp_path: Path) -> None:
    make_bundle(tmp_path)
    precompress_folder(tmp_path)
    path = tmp_path / "style.css"
    path.write_bytes(b"p { color: red; }\n" * 300)
    later = (tmp_path / "style.css.gz").stat().st_mtime + 10
    os.utime(path, (later, later))
    asset = AssetFolder(tmp_path).get("style.css")
    assert asset is not None
    assert decompress(asset.variants[GZIP], GZIP) == path.read_bytes()


def test_the_precompressed_siblings_are_served_as_they_are(tmp_path: Path) -> None:
    """The build compresses harder than the plugin does at run time: its siblings are the ones sent."""
    make_bundle(tmp_path)
    precompress_folder(tmp_path)
    marked = b"not really zstd, but the sibling's bytes"
    sibling = tmp_path / "style.css.zst"
    sibling.write_bytes(marked)
    later = (tmp_path / "style.css").stat().st_mtime + 10
    os.utime(sibling, (later, later))
    asset = AssetFolder(tmp_path).get("style.css")
    assert asset is not None and asset.variants[ZSTD] == marked


def test_index_lists_the_regular_files_by_relative_path(tmp_path: Path) -> None:
    files = make_bundle(tmp_path)
    (tmp_path / ".ohif-version").write_text("version=3")
    folder = AssetFolder(tmp_path)
    for name, data in files.items():
        asset = folder.get(name)
        assert asset is not None and asset.body == data, name
    assert folder.get("ort") is None  # a folder is no file
    assert folder.get(".ohif-version") is None  # nor is a hidden file served


def test_a_file_added_after_start_up_is_not_served(tmp_path: Path) -> None:
    make_bundle(tmp_path)
    folder = AssetFolder(tmp_path)
    (tmp_path / "later.js").write_bytes(b"x")
    assert folder.get("later.js") is None


@pytest.mark.parametrize(
    ("name", "mime_type"),
    [
        (APP_BUNDLE, "text/javascript"),
        ("style.css", "text/css"),
        ("logo.png", "image/png"),
        ("ort/model.wasm", "application/wasm"),
        ("index.HTML", "text/html; charset=utf-8"),
        ("data.unknown", "application/octet-stream"),
        ("README", "application/octet-stream"),
    ],
)
def test_mime_types_by_suffix(name: str, mime_type: str) -> None:
    assert mime_type_of(name) == mime_type


def test_content_hashed_names_are_immutable_and_others_revalidated(tmp_path: Path) -> None:
    make_bundle(tmp_path)
    (tmp_path / "9f3a2b1c4d5e6f70.worker.js").write_bytes(b"w")
    (tmp_path / "chunk-0123456789abcdef0.js").write_bytes(b"c")
    (tmp_path / "deadbeef.js").write_bytes(b"short hash: not content-hashed")
    folder = AssetFolder(tmp_path)
    immutable = {name: folder.get(name).immutable  # type: ignore[union-attr]
                 for name in (APP_BUNDLE, "9f3a2b1c4d5e6f70.worker.js", "chunk-0123456789abcdef0.js",
                              "style.css", "deadbeef.js")}
    assert immutable == {APP_BUNDLE: True, "9f3a2b1c4d5e6f70.worker.js": True, "chunk-0123456789abcdef0.js": True,
                         "style.css": False, "deadbeef.js": False}


def test_the_etag_follows_the_content(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_bytes(b"same")
    (tmp_path / "b.js").write_bytes(b"same")
    (tmp_path / "c.js").write_bytes(b"other")
    folder = AssetFolder(tmp_path)
    etags = [folder.get(name).etag for name in ("a.js", "b.js", "c.js")]  # type: ignore[union-attr]
    assert etags[0] == etags[1] != etags[2]
    assert etags[0].startswith('W/"')


@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "sub/../../secret.txt",
        "%2e%2e/secret.txt",
        "/etc/passwd",
        "ort/../../secret.txt",
        "style.css\x00.png",
        "",
        ".",
        "./style.css",
        "ort//model.wasm",
    ],
)
def test_path_traversal_never_reaches_the_file_system(
    tmp_path: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "bundle"
    root.mkdir()
    make_bundle(root)
    (tmp_path / "secret.txt").write_text("secret")
    folder = AssetFolder(root)
    opened: list[Path] = []

    def touched(self: Path, *arguments: object, **keywords: object) -> bytes:
        opened.append(self)
        raise AssertionError(f"{self} reached")

    monkeypatch.setattr(Path, "read_bytes", touched)
    monkeypatch.setattr(Path, "stat", touched)
    monkeypatch.setattr(Path, "open", touched)
    assert folder.get(path) is None
    assert opened == []


def test_a_symbolic_link_in_the_bundle_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (root / "linked.txt").symlink_to(tmp_path / "secret.txt")
    assert AssetFolder(root).get("linked.txt") is None


def test_files_beyond_the_cache_budget_are_read_again_each_time(tmp_path: Path) -> None:
    make_bundle(tmp_path)
    folder = AssetFolder(tmp_path, cache_budget=0)
    first = folder.get("logo.png")
    (tmp_path / "logo.png").write_bytes(b"changed")
    second = folder.get("logo.png")
    assert first is not None and second is not None and second.body == b"changed"
    cached = AssetFolder(tmp_path)
    assert cached.get("logo.png") is cached.get("logo.png")


def test_javascript_values_cannot_close_a_script_element() -> None:
    text = javascript_value({"a": "</script><!--", "b": [1, None, True]})
    assert "<" not in text
    assert text == '{"a":"\\u003c/script>\\u003c!--","b":[1,null,true]}'


def test_the_plugin_resources_are_read_from_the_package() -> None:
    assert "/*OHIF_SETTINGS*/null" in resource_text("orthanc-explorer.js")
    with pytest.raises(FileNotFoundError):
        resource_text("no-such-file.js")
