"""The files the viewer serves: the OHIF bundle (indexed once, read lazily, kept in memory),
and the plugin's own scripts.

Requests are answered only from the index built at start-up, so no request
path ever reaches the file system: ``..``, encoded dots, absolute paths or
NUL bytes simply are not keys of the index.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from ohif_plugin.codings import (
    CODINGS,
    RUNTIME_LEVELS,
    compressed_variants,
    is_compressible,
    is_variant_file,
    sibling,
)

MIME_TYPES: dict[str, str] = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".jsonc": "application/json",
    ".map": "application/json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".webapp": "application/x-web-app-manifest+json",
}
DEFAULT_MIME_TYPE = "application/octet-stream"

CONTENT_HASH = re.compile(r"(^|[.-])[0-9a-f]{16,}[.-]")
"""Bundle files named after their content (``app.bundle.0f6159c501addfe9.js``)."""

DEFAULT_CACHE_BUDGET = 256 * 1024 * 1024


def resource_text(name: str) -> str:
    """A script the plugin ships in ``ohif_plugin/resources``."""
    return resources.files("ohif_plugin").joinpath("resources", name).read_text(encoding="utf-8")


def javascript_value(value: Any) -> str:
    """JSON is a JavaScript expression; escaping "<" keeps it inert even inside HTML."""
    return orjson.dumps(value).decode().replace("<", "\\u003c")


def mime_type_of(path: str) -> str:
    return MIME_TYPES.get(PurePosixPath(path).suffix.lower(), DEFAULT_MIME_TYPE)


def etag_of(body: bytes) -> str:
    """Weak: the same validator for every content coding of the same bytes."""
    return 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


@dataclass(frozen=True)
class Asset:
    body: bytes
    mime_type: str
    etag: str
    immutable: bool
    """Named after its content: browsers may keep it forever."""
    variants: Mapping[str, bytes] = field(default_factory=dict)
    """The body compressed, by content coding (see :mod:`ohif_plugin.codings`)."""


class AssetFolder:
    """A folder's regular files, by their relative POSIX path."""

    def __init__(self, root: Path, cache_budget: int = DEFAULT_CACHE_BUDGET) -> None:
        self.root = root.resolve()
        self._files = {
            path.relative_to(self.root).as_posix(): path
            for path in sorted(self.root.rglob("*"))
            if path.is_file() and not path.is_symlink() and not path.name.startswith(".") and not is_variant_file(path)
        }
        self._cache: dict[str, Asset] = {}
        self._cache_budget = cache_budget
        self._cached_bytes = 0
        self._lock = threading.Lock()

    def get(self, relative_path: str) -> Asset | None:
        """The file, or None if the bundle has no such file."""
        cached = self._cache.get(relative_path)
        if cached is not None:
            return cached
        path = self._files.get(relative_path)
        if path is None:
            return None
        body = path.read_bytes()
        asset = Asset(
            body=body,
            mime_type=mime_type_of(relative_path),
            etag=etag_of(body),
            immutable=bool(CONTENT_HASH.search(PurePosixPath(relative_path).name)),
            variants=_variants_of(path, body) if is_compressible(relative_path, len(body)) else {},
        )
        size = len(body) + sum(len(variant) for variant in asset.variants.values())
        with self._lock:
            if relative_path not in self._cache and self._cached_bytes + size <= self._cache_budget:
                self._cache[relative_path] = asset
                self._cached_bytes += size
        return asset


def _variants_of(path: Path, body: bytes) -> dict[str, bytes]:
    """The build's compressed siblings if they are up to date, else compressed now (once, cached)."""
    variants: dict[str, bytes] = {}
    modified = path.stat().st_mtime
    for coding in CODINGS:
        compressed = sibling(path, coding)
        try:
            if compressed.stat().st_mtime >= modified:
                variants[coding] = compressed.read_bytes()
        except OSError:
            pass
    if variants:
        return variants
    return compressed_variants(body, RUNTIME_LEVELS)
