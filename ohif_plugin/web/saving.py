"""Where the viewer stores what a user creates (SR, SEG, RTSTRUCT), or why it cannot.

OHIF saves through its active data source. The plugin's OHIF extension
(``resources/ohif-plugin-extension.js``) gives both data sources one store:
STOW-RS to :attr:`SaveTarget.stow_root`, or, when saving is unavailable, an
error that OHIF shows instead of its "saved successfully". OHIF's own
dicom-json store only logs a warning, so without the extension a user is told
that their work is saved when nothing was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from ohif_plugin.configuration import Settings

DOWNLOAD_HINT = "Download still keeps a copy on this computer."


@dataclass(frozen=True)
class SaveTarget:
    """Either a STOW-RS root the viewer can use, or the sentence the user reads instead."""

    stow_root: str = ""
    """A DICOMweb root as the viewer page sees it: relative to /ohif/viewer, or a full URL."""
    unavailable: str = ""
    """Why saving is not available, for the user; empty when ``stow_root`` is set."""
    reason: str = ""
    """The same, for the administrator reading Orthanc's log."""


def save_target(settings: Settings, dicomweb_plugin_loaded: bool) -> SaveTarget:
    """The target that ``settings`` and the DICOMweb plugin's presence give."""
    if not settings.saving:
        return SaveTarget(
            unavailable=f"Saving is turned off on this server. {DOWNLOAD_HINT}",
            reason='"OHIF"."Saving" is false',
        )
    if settings.stow_root:
        return SaveTarget(stow_root=page_relative(settings.stow_root))
    if not dicomweb_plugin_loaded:
        return SaveTarget(
            unavailable=f"Saving is not available: this Orthanc has no DICOMweb service. {DOWNLOAD_HINT}",
            reason=(
                'the DICOMweb plugin is not loaded (install orthanc-dicomweb and add it to "Plugins", '
                'set "OHIF"."StowRoot", or set "OHIF"."Saving" to false)'
            ),
        )
    if not settings.dicomweb_enabled:
        return SaveTarget(
            unavailable=f"Saving is not available: this Orthanc's DICOMweb service is turned off. {DOWNLOAD_HINT}",
            reason='"DicomWeb"."Enable" is false (set "OHIF"."StowRoot", or "OHIF"."Saving" to false)',
        )
    if not settings.dicomweb_root:
        return SaveTarget(
            unavailable=f"Saving is not available: this server's DICOMweb address is misconfigured. {DOWNLOAD_HINT}",
            reason='"DicomWeb"."Root" is not a URL path starting with "/"',
        )
    return SaveTarget(stow_root=page_relative(settings.dicomweb_root))


def page_relative(root: str) -> str:
    """A path of this server as the viewer page (/ohif/<mode>) reaches it, under any proxy prefix."""
    if root.startswith("/"):
        return ".." + root.rstrip("/")
    return root.rstrip("/")
