"""The Orthanc Explorer extension: the "Open OHIF viewer" button on a study's page."""

from __future__ import annotations

from ohif_plugin.configuration import Settings
from ohif_plugin.web.assets import javascript_value, resource_text
from ohif_plugin.web.modes import VIEWER_MODES


def explorer_extension(settings: Settings) -> str:
    """The JavaScript that adds the OHIF buttons to Orthanc Explorer."""
    values = {
        "dataSource": settings.data_source.value,
        "modes": [
            {"label": mode.label, "route": mode.route, "parameters": mode.parameters}
            for mode in VIEWER_MODES
        ],
    }
    return resource_text("orthanc-explorer.js").replace("/*OHIF_SETTINGS*/null", javascript_value(values))
