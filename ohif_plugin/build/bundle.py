"""Prepare an official OHIF build to be served under any path prefix.

OHIF's published build assumes it is served at ``/``: absolute URLs in
index.html, ``__webpack_require__.p = "/"`` in the main bundle and in the
worker bundles, ``url(/…)`` in the CSS, the microscopy viewer imported from
``/dicom-microscopy-viewer/``. Orthanc 1.10 strips trailing slashes before a
plugin sees a URL, and reverse proxies add prefixes the server cannot know,
so the public path is worked out in the browser: ``location.pathname`` minus
the mode route. This module rewrites the build once, at build time
(``scripts/build_ohif_dist.sh`` runs ``python -m ohif_plugin.build.bundle DIST``);
each rewrite checks that it matched, so a new OHIF layout fails the build
loudly instead of serving a broken viewer.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ohif_plugin.web.modes import MODE_ROUTES

PUBLIC_PATH_SCRIPT = """<script>
/* Added by the OHIF plugin for Orthanc: the viewer's public path is the page's
   path minus the mode route, so the same build works under any prefix. */
(function () {
  var modes = MODES;
  var segments = location.pathname.split("/");
  while (segments.length > 1 && segments[segments.length - 1] === "") segments.pop();
  var last = segments[segments.length - 1];
  if (modes.indexOf(last) >= 0 || last === "index.html") segments.pop();
  var publicPath = segments.join("/") + "/";
  window.PUBLIC_URL = publicPath;
  var base = document.createElement("base");
  base.href = publicPath;
  document.head.appendChild(base);
})();
</script>""".replace("MODES", json.dumps(list(MODE_ROUTES)))

BROWSER_PUBLIC_PATH = (
    '(typeof window === "object" && window.PUBLIC_URL) || new URL(".", self.location.href).href'
)
"""The page's computed public path; in a worker, the folder of the worker's script."""


class BundleError(Exception):
    """The build does not have the layout this rewriting knows."""


@dataclass(frozen=True)
class Rewrite:
    description: str
    files: str
    """A glob, relative to the bundle root."""
    pattern: re.Pattern[str]
    replacement: str | Callable[[re.Match[str]], str]
    minimum: int
    """Matches expected over all files: fewer means OHIF changed its layout."""


REWRITES: tuple[Rewrite, ...] = (
    Rewrite(
        "fixed public path in index.html",
        "index.html",
        re.compile(r"""window\.PUBLIC_URL\s*=\s*(["'])/\1"""),
        "window.PUBLIC_URL = window.PUBLIC_URL",  # an expression still, inside "a(),b=…" sequences
        1,
    ),
    Rewrite(
        "service worker set-up (it throws on plain HTTP and pulls workbox from a CDN)",
        "index.html",
        re.compile(r"""<script[^>]*\bsrc=(["'])/init-service-worker\.js\1[^>]*>\s*</script>\s*"""),
        "",
        0,
    ),
    Rewrite(
        "absolute URLs in index.html",
        "index.html",
        re.compile(r"""\b(src|href|content)=(["'])/(?!/)"""),
        r"\1=\2",
        3,
    ),
    Rewrite(
        "public path script at the top of <head>",
        "index.html",
        re.compile(r"<head>"),
        lambda match: match.group(0) + PUBLIC_PATH_SCRIPT,
        1,
    ),
    Rewrite(
        "webpack public path of the main and worker bundles",
        "*.js",
        re.compile(r"""__webpack_require__\.p\s*=\s*(["'])/\1"""),
        "__webpack_require__.p = " + BROWSER_PUBLIC_PATH,
        2,
    ),
    Rewrite(
        "font URLs in the style sheets",
        "*.css",
        re.compile(r"url\(/(?!/)"),
        "url(",
        1,
    ),
    Rewrite(
        "microscopy viewer import",
        "*.js",
        re.compile(r"""browserImportFunction\((["'])/dicom-microscopy-viewer/"""),
        r"browserImportFunction(window.PUBLIC_URL + \1dicom-microscopy-viewer/",
        1,
    ),
    Rewrite(
        "icon URLs in manifest.json",
        "manifest.json",
        re.compile(r'"/assets/'),
        '"assets/',
        0,
    ),
)

REMOVED_FILES = ("sw.js", "init-service-worker.js", "app-config.js", "_headers", "_redirects", "serve.json")
"""A service worker from a CDN, the demo configuration, and static-host files."""


def rewrite_bundle(root: Path) -> dict[str, int]:
    """Rewrite the build in place; returns the number of matches of each rewrite."""
    if not (root / "index.html").is_file():
        raise BundleError(f"{root} has no index.html: not an OHIF build")
    counts: dict[str, int] = {}
    for rewrite in REWRITES:
        total = 0
        for path in sorted(root.glob(rewrite.files)):
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            new_text, count = rewrite.pattern.subn(rewrite.replacement, text)
            if count:
                path.write_text(new_text, encoding="utf-8", errors="surrogateescape")
                total += count
        if total < rewrite.minimum:
            raise BundleError(
                f"{rewrite.description}: {total} match(es), expected at least {rewrite.minimum}; "
                "this OHIF release has a layout the plugin does not know"
            )
        counts[rewrite.description] = total
    for name in REMOVED_FILES:
        (root / name).unlink(missing_ok=True)
    return counts


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print("usage: python -m ohif_plugin.build.bundle OHIF_DIST_FOLDER", file=sys.stderr)
        return 2
    try:
        counts = rewrite_bundle(Path(arguments[0]))
    except BundleError as error:
        print(f"bundle: error: {error}", file=sys.stderr)
        return 1
    for description, count in counts.items():
        print(f"bundle: {description}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
