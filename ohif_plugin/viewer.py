"""Serving the viewer under /ohif/: mode routes, app-config.js and bundle files.

Also builds the Orthanc Explorer extension. All answers are plain
:class:`Response` values; :mod:`ohif_plugin.orthanc_glue` sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import orjson

from ohif_plugin.assets import Asset, AssetFolder, etag_of
from ohif_plugin.bundle import MODE_ROUTES
from ohif_plugin.compression import IDENTITY, choose_coding
from ohif_plugin.configuration import DataSource, Settings

SECURITY_HEADERS: dict[str, str] = {
    # OHIF needs SharedArrayBuffer, which needs a cross-origin isolated page.
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

DICOM_JSON_SOURCE: dict[str, Any] = {
    "friendlyName": "Orthanc DICOM JSON",
    "namespace": "@ohif/extension-default.dataSourcesModule.dicomjson",
    "sourceName": "dicomjson",
    "configuration": {"name": "json"},
}


def dicom_web_source(dicomweb_root: str) -> dict[str, Any]:
    """The DICOMweb data source; its roots are relative to the viewer page (/ohif/viewer)."""
    relative_root = ".." + dicomweb_root.rstrip("/")
    return {
        "friendlyName": "Orthanc DICOMweb",
        "namespace": "@ohif/extension-default.dataSourcesModule.dicomweb",
        "sourceName": "dicomweb",
        "configuration": {
            "name": "orthanc",
            "wadoUriRoot": relative_root,
            "qidoRoot": relative_root,
            "wadoRoot": relative_root,
            "qidoSupportsIncludeField": False,
            "supportsReject": False,
            "imageRendering": "wadors",
            "thumbnailRendering": "wadors",
            "enableStudyLazyLoad": True,
            "supportsFuzzyMatching": False,
            "supportsWildcard": True,
            "staticWado": True,
            "singlepart": "bulkdata,video",
            "acceptHeader": ["multipart/related; type=application/octet-stream; transfer-syntax=*"],
        },
    }


@dataclass(frozen=True)
class ViewerMode:
    label: str
    route: str
    parameters: dict[str, str] = field(default_factory=dict)


VIEWER_MODES: tuple[ViewerMode, ...] = (
    ViewerMode("Basic viewer", "viewer"),
    ViewerMode("Volume rendering", "viewer", {"hangingprotocolId": "mprAnd3DVolumeViewport"}),
    ViewerMode("Total metabolic tumor volume", "tmtv"),
    ViewerMode("Segmentation", "segmentation"),
    ViewerMode("Microscopy", "microscopy"),
)


def _resource(name: str) -> str:
    return resources.files("ohif_plugin").joinpath("resources", name).read_text(encoding="utf-8")


def _javascript_value(value: Any) -> str:
    """JSON is a JavaScript expression; escaping "<" keeps it inert even inside HTML."""
    return orjson.dumps(value).decode().replace("<", "\\u003c")


def app_config(settings: Settings) -> str:
    """The user configuration (or the default one), then the plugin's overrides."""
    user = settings.user_configuration or _resource("app-config-default.js")
    if settings.data_source is DataSource.DICOM_WEB:
        sources, default_source = [dicom_web_source(settings.dicomweb_root)], "dicomweb"
    else:
        sources, default_source = [DICOM_JSON_SOURCE], "dicomjson"
    overrides = [
        "window.config = window.config || {};",
        f"window.config.routerBasename = {_javascript_value(settings.router_basename)};",
        f"window.config.dataSources = {_javascript_value(sources)};",
        f"window.config.defaultDataSourceName = {_javascript_value(default_source)};",
    ]
    if settings.data_source is DataSource.DICOM_JSON:
        overrides.append("window.config.showStudyList = false;")
    return user + "\n;\n/* Set by the OHIF plugin for Orthanc. */\n" + "\n".join(overrides) + "\n"


def explorer_extension(settings: Settings) -> str:
    """The JavaScript that adds the OHIF buttons to Orthanc Explorer."""
    values = {
        "dataSource": settings.data_source.value,
        "modes": [
            {"label": mode.label, "route": mode.route, "parameters": mode.parameters}
            for mode in VIEWER_MODES
        ],
    }
    return _resource("orthanc-explorer.js").replace("/*OHIF_SETTINGS*/null", _javascript_value(values))


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    mime_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class Viewer:
    """Answers GET /ohif and /ohif/{path} (the Orthanc-side path is always /ohif/)."""

    def __init__(self, settings: Settings, bundle: AssetFolder) -> None:
        self._bundle = bundle
        config = app_config(settings).encode()
        self._app_config = Asset(config, "text/javascript; charset=utf-8", etag_of(config), immutable=False)

    def answer(self, path: str, if_none_match: str | None = None, accept_encoding: str | None = None) -> Response:
        """``path`` is what follows /ohif/, already URL-decoded by Orthanc.

        Compressed bodies come from :attr:`Asset.variants`, chosen from ``Accept-Encoding``.
        """
        if path == "" or path in MODE_ROUTES:
            asset = self._bundle.get("index.html")
        elif path == "app-config.js":
            asset = self._app_config
        else:
            asset = self._bundle.get(path)
        if asset is None:
            return Response(404, b"Not found", headers=dict(SECURITY_HEADERS))
        headers = {
            **SECURITY_HEADERS,
            "ETag": asset.etag,
            "Cache-Control": IMMUTABLE if asset.immutable else REVALIDATE,
        }
        if asset.variants:
            headers["Vary"] = "Accept-Encoding"
        if if_none_match is not None and matches(if_none_match, asset.etag):
            return Response(304, headers=headers)
        coding = choose_coding(accept_encoding, asset.variants)
        if coding == IDENTITY:
            return Response(200, asset.body, asset.mime_type, headers)
        headers["Content-Encoding"] = coding
        return Response(200, asset.variants[coding], asset.mime_type, headers)


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison: ``*``, or one of the listed tags equals ours (W/ ignored)."""
    wanted = _opaque(etag)
    return any(tag.strip() == "*" or _opaque(tag) == wanted for tag in if_none_match.split(","))
