"""Serving the viewer under /ohif/: mode routes, app-config.js, the plugin's OHIF extension and bundle files.

All answers are plain :class:`~ohif_plugin.responses.Response` values; the
Orthanc adapter sends them.
"""

from __future__ import annotations

from typing import Any

from ohif_plugin.codings import IDENTITY, choose_coding
from ohif_plugin.configuration import DataSource, Settings
from ohif_plugin.responses import SECURITY_HEADERS, Response, matches
from ohif_plugin.web.assets import Asset, AssetFolder, etag_of, javascript_value, resource_text
from ohif_plugin.web.modes import MODE_ROUTES
from ohif_plugin.web.saving import SaveTarget, page_relative

JAVASCRIPT = "text/javascript; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

EXTENSION_PATH = "ohif-plugin-extension.js"
"""Where the viewer fetches the plugin's OHIF extension, beside app-config.js."""
EXTENSION_ID = "ohif-plugin-for-orthanc"
"""The ``id`` the extension exports: data source namespaces start with it."""


def dicom_json_source(saving: SaveTarget) -> dict[str, Any]:
    """OHIF's dicom-json data source, with the plugin's store (see :mod:`ohif_plugin.web.saving`)."""
    return {
        "friendlyName": "Orthanc DICOM JSON",
        "namespace": f"{EXTENSION_ID}.dataSourcesModule.dicomjson",
        "sourceName": "dicomjson",
        "configuration": {"name": "json", "orthancSaving": _saving_configuration(saving)},
    }


def dicom_web_source(dicomweb_root: str, saving: SaveTarget) -> dict[str, Any]:
    """OHIF's DICOMweb data source, with the plugin's store; its roots are relative to the viewer page."""
    relative_root = page_relative(dicomweb_root)
    return {
        "friendlyName": "Orthanc DICOMweb",
        "namespace": f"{EXTENSION_ID}.dataSourcesModule.dicomweb",
        "sourceName": "dicomweb",
        "configuration": {
            "name": "orthanc",
            "orthancSaving": _saving_configuration(saving),
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


def _saving_configuration(saving: SaveTarget) -> dict[str, str]:
    if saving.stow_root:
        return {"stowRoot": saving.stow_root}
    return {"unavailable": saving.unavailable}


def app_config(settings: Settings, saving: SaveTarget) -> str:
    """The user configuration (or the default one), then the plugin's overrides."""
    user = settings.user_configuration or resource_text("app-config-default.js")
    if settings.data_source is DataSource.DICOM_WEB:
        sources, default_source = [dicom_web_source(settings.dicomweb_root, saving)], "dicomweb"
    else:
        sources, default_source = [dicom_json_source(saving)], "dicomjson"
    overrides = [
        "window.config = window.config || {};",
        f"window.config.routerBasename = {javascript_value(settings.router_basename)};",
        # Relative to the page's <base>, which the bundle rewrite sets to the viewer's folder.
        "window.config.extensions = (window.config.extensions || []).concat("
        f"[{javascript_value('./' + EXTENSION_PATH)}]);",
        f"window.config.dataSources = {javascript_value(sources)};",
        f"window.config.defaultDataSourceName = {javascript_value(default_source)};",
    ]
    if settings.data_source is DataSource.DICOM_JSON:
        overrides.append("window.config.showStudyList = false;")
    return user + "\n;\n/* Set by the OHIF plugin for Orthanc. */\n" + "\n".join(overrides) + "\n"


class Viewer:
    """Answers GET /ohif and /ohif/{path} (the Orthanc-side path is always /ohif/)."""

    def __init__(self, settings: Settings, bundle: AssetFolder, saving: SaveTarget) -> None:
        self._settings = settings
        self._bundle = bundle
        extension = resource_text(EXTENSION_PATH).encode()
        self._extension = Asset(extension, JAVASCRIPT, etag_of(extension), immutable=False)
        self._app_config = self._configuration(saving)

    def save_to(self, saving: SaveTarget) -> None:
        """Where saving goes, once Orthanc has started and the DICOMweb plugin's presence is known."""
        self._app_config = self._configuration(saving)

    def _configuration(self, saving: SaveTarget) -> Asset:
        config = app_config(self._settings, saving).encode()
        return Asset(config, JAVASCRIPT, etag_of(config), immutable=False)

    def answer(self, path: str, if_none_match: str | None = None, accept_encoding: str | None = None) -> Response:
        """``path`` is what follows /ohif/, already URL-decoded by Orthanc.

        Compressed bodies come from :attr:`Asset.variants`, chosen from ``Accept-Encoding``.
        """
        if path == "" or path in MODE_ROUTES:
            asset = self._bundle.get("index.html")
        elif path == "app-config.js":
            asset = self._app_config
        elif path == EXTENSION_PATH:
            asset = self._extension
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

