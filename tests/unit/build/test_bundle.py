"""Rewriting an OHIF build to be served under any path prefix (ohif_plugin.build.bundle).

The build here is a tiny fake with the layout of OHIF's published one: each
rewrite must find what it rewrites, and a build without it must fail loudly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ohif_plugin.build.bundle import BROWSER_PUBLIC_PATH, REMOVED_FILES, REWRITES, BundleError, main, rewrite_bundle
from ohif_plugin.web.modes import MODE_ROUTES

INDEX = """<!doctype html><html><head><meta charset="utf-8">
<link rel="manifest" href="/manifest.json"><link rel="icon" href="/favicon.ico">
<meta name="msapplication-TileImage" content="/assets/icon.png">
<script src="/init-service-worker.js"></script>
<script>window.PUBLIC_URL = "/";</script>
<script src="/app-config.js"></script>
<a href="//cdn.example.org/keep">cdn</a>
</head><body><script defer="defer" src="/app.bundle.0123456789abcdef.js"></script></body></html>
"""
MAIN_BUNDLE = (
    '(()=>{__webpack_require__.p = "/";var x=1;'
    "browserImportFunction('/dicom-microscopy-viewer/dicomMicroscopyViewer.min.js')})();"
)
WORKER_BUNDLE = "(()=>{__webpack_require__.p='/';postMessage(1)})();"
STYLE = "@font-face{src:url(/assets/font.woff2)}body{background:url(//cdn.example.org/a.png)}"
MANIFEST = '{"icons": [{"src": "/assets/icon-192.png"}]}'


def fake_build(root: Path) -> Path:
    files = {
        "index.html": INDEX,
        "app.bundle.0123456789abcdef.js": MAIN_BUNDLE,
        "worker.0123456789abcdef.js": WORKER_BUNDLE,
        "app.0123456789abcdef.css": STYLE,
        "manifest.json": MANIFEST,
        **{name: "removed" for name in REMOVED_FILES},
    }
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_every_rewrite_is_applied(tmp_path: Path) -> None:
    root = fake_build(tmp_path)
    counts = rewrite_bundle(root)
    assert set(counts) == {rewrite.description for rewrite in REWRITES}
    assert all(counts[rewrite.description] >= max(rewrite.minimum, 1) for rewrite in REWRITES), counts

    index = (root / "index.html").read_text()
    assert 'window.PUBLIC_URL = "/"' not in index
    assert "window.PUBLIC_URL = window.PUBLIC_URL" in index
    assert "init-service-worker" not in index
    assert not re.search(r"""\b(src|href|content)="/(?!/)""", index), index
    assert 'href="manifest.json"' in index and 'src="app.bundle.0123456789abcdef.js"' in index
    assert 'href="//cdn.example.org/keep"' in index  # a protocol-relative URL is not a path of ours
    head = index.index("<head>") + len("<head>")
    assert index[head:].startswith("<script>")  # the public path is worked out before anything loads
    assert all(f'"{route}"' in index for route in MODE_ROUTES)

    for name in ("app.bundle.0123456789abcdef.js", "worker.0123456789abcdef.js"):
        text = (root / name).read_text()
        assert "__webpack_require__.p = " + BROWSER_PUBLIC_PATH in text, name
    assert "browserImportFunction(window.PUBLIC_URL + 'dicom-microscopy-viewer/" in (
        root / "app.bundle.0123456789abcdef.js"
    ).read_text()
    assert (root / "app.0123456789abcdef.css").read_text() == (
        "@font-face{src:url(assets/font.woff2)}body{background:url(//cdn.example.org/a.png)}"
    )
    assert (root / "manifest.json").read_text() == '{"icons": [{"src": "assets/icon-192.png"}]}'
    assert not any((root / name).exists() for name in REMOVED_FILES)


def test_a_build_rewritten_twice_fails_rather_than_being_rewritten_again(tmp_path: Path) -> None:
    """The fixed public paths are gone after the first time: a second rewrite finds none."""
    root = fake_build(tmp_path)
    rewrite_bundle(root)
    with pytest.raises(BundleError, match="match"):
        rewrite_bundle(root)


def test_a_folder_without_index_html_is_not_an_ohif_build(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"no index\.html"):
        rewrite_bundle(tmp_path)


@pytest.mark.parametrize(
    ("name", "old", "new", "description"),
    [
        ("worker.0123456789abcdef.js", "__webpack_require__.p='/'", "__webpack_require__.p=somewhere",
         "webpack public path of the main and worker bundles"),
        ("app.0123456789abcdef.css", "url(/assets", "url(https://cdn.example.org/assets",
         "font URLs in the style sheets"),
        ("index.html", 'window.PUBLIC_URL = "/"', "window.PUBLIC_PATH = '/'", "fixed public path in index.html"),
        ("app.bundle.0123456789abcdef.js", "browserImportFunction('/dicom", "import('/dicom",
         "microscopy viewer import"),
    ],
)
def test_an_unknown_layout_fails_naming_the_rewrite(
    tmp_path: Path, name: str, old: str, new: str, description: str
) -> None:
    root = fake_build(tmp_path)
    path = root / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    with pytest.raises(BundleError) as caught:
        rewrite_bundle(root)
    assert str(caught.value).startswith(description + ":")


def test_the_command_reports_the_matches_or_the_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build = tmp_path / "build"
    build.mkdir()
    assert main([str(fake_build(build))]) == 0
    assert "bundle: font URLs in the style sheets: 1" in capsys.readouterr().out
    assert main([str(build)]) == 1  # already rewritten
    assert "bundle: error:" in capsys.readouterr().err
    assert main([]) == 2
