"""The "OHIF" section of the Orthanc configuration, as one typed settings object."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SECTION = "OHIF"
DEFAULT_BUNDLE_FOLDER = Path(__file__).resolve().parent.parent / "static" / "ohif-dist"
"""Where scripts/build_ohif_dist.sh puts the OHIF bundle."""


class DataSource(enum.Enum):
    DICOM_JSON = "dicom-json"
    DICOM_WEB = "dicom-web"


class ConfigurationError(Exception):
    """A configuration value the plugin cannot work with; the message names the key."""


@dataclass(frozen=True)
class Settings:
    data_source: DataSource = DataSource.DICOM_JSON
    router_basename: str = "/ohif/"
    user_configuration: str = ""
    """The text of the UserConfiguration file (read once, at start-up)."""
    preload: bool = True
    dicomweb_root: str = "/dicom-web/"
    """``"DicomWeb"."Root"``: where the DICOMweb plugin answers, on the Orthanc side; empty if unusable."""
    bundle_folder: Path = DEFAULT_BUNDLE_FOLDER
    backfill_on_startup: bool = False
    """Fill in missing summaries of stored studies in the background after start-up."""
    dicomweb_enabled: bool = True
    """``"DicomWeb"."Enable"``: false turns the DICOMweb plugin's routes off, STOW-RS included."""
    saving: bool = True
    """Whether the viewer may store what it creates (SR, SEG, RTSTRUCT) through STOW-RS."""
    stow_root: str = ""
    """Where the viewer stores: a DICOMweb root (a path of this server or a URL); empty for ``dicomweb_root``."""

    @property
    def uses_summaries(self) -> bool:
        """Only the dicom-json source reads the summaries: only then are they kept valid."""
        return self.data_source is DataSource.DICOM_JSON

    @property
    def preloads(self) -> bool:
        """Summaries are computed at ingestion only where the dicom-json source uses them."""
        return self.preload and self.uses_summaries

    @property
    def backfills(self) -> bool:
        """Like preloads: only the dicom-json source uses summaries."""
        return self.backfill_on_startup and self.uses_summaries


KNOWN_KEYS = (
    "DataSource",
    "RouterBasename",
    "UserConfiguration",
    "Preload",
    "BundleFolder",
    "BackfillOnStartup",
    "Saving",
    "StowRoot",
)


def default_section() -> dict[str, Any]:
    """The "OHIF" section with every key at its default, as ``ohif-plugin config`` prints it."""
    defaults = Settings()
    return {
        "DataSource": defaults.data_source.value,
        "RouterBasename": defaults.router_basename,
        "UserConfiguration": "",
        "Preload": defaults.preload,
        "BundleFolder": "",
        "BackfillOnStartup": defaults.backfill_on_startup,
        "Saving": defaults.saving,
        "StowRoot": defaults.stow_root,
    }


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})" if not isinstance(value, str) else repr(value)


def _string(section: Mapping[str, Any], key: str, default: str, allowed: str) -> str:
    value = section.get(key, default)
    if not isinstance(value, str):
        raise ConfigurationError(
            f'"{SECTION}"."{key}" must be {allowed}, found {_describe(value)}'
        )
    return value


def _boolean(section: Mapping[str, Any], key: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigurationError(f'"{SECTION}"."{key}" must be true or false, found {_describe(value)}')
    return value


def _with_slashes(path: str) -> str:
    return path if path.endswith("/") else path + "/"


def parse_settings(configuration: Mapping[str, Any]) -> Settings:
    """Settings from the whole Orthanc configuration; raises ConfigurationError."""
    section = configuration.get(SECTION, {})
    if not isinstance(section, Mapping):
        raise ConfigurationError(f'"{SECTION}" must be a JSON object, found {_describe(section)}')

    allowed_sources = " or ".join(f'"{source.value}"' for source in DataSource)
    source_name = _string(section, "DataSource", DataSource.DICOM_JSON.value, allowed_sources)
    try:
        data_source = DataSource(source_name)
    except ValueError:
        raise ConfigurationError(
            f'"{SECTION}"."DataSource" must be {allowed_sources}, found {_describe(source_name)}'
        ) from None

    router_basename = _string(
        section, "RouterBasename", "/ohif/", 'a URL path starting with "/" (e.g. "/ohif/")'
    )
    if not router_basename.startswith("/"):
        raise ConfigurationError(
            f'"{SECTION}"."RouterBasename" must be a URL path starting with "/" '
            f'(e.g. "/ohif/"), found {_describe(router_basename)}'
        )

    user_path = _string(
        section, "UserConfiguration", "", "the path of a JavaScript file, or empty"
    )
    user_text = ""
    if user_path:
        try:
            user_text = Path(user_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigurationError(
                f'"{SECTION}"."UserConfiguration" must be a readable UTF-8 JavaScript file, '
                f"found {user_path!r}: {error}"
            ) from None

    preload = _boolean(section, "Preload", True)
    backfill_on_startup = _boolean(section, "BackfillOnStartup", False)

    bundle_folder = _string(section, "BundleFolder", "", "the path of a built OHIF bundle, or empty")

    saving = _boolean(section, "Saving", True)
    stow_root = _string(section, "StowRoot", "", 'a URL path starting with "/", an http(s) URL, or empty')
    if stow_root and not stow_root.startswith(("/", "http://", "https://")):
        raise ConfigurationError(
            f'"{SECTION}"."StowRoot" must be a URL path starting with "/", an http(s) URL, or empty, '
            f"found {_describe(stow_root)}"
        )

    dicomweb = configuration.get("DicomWeb", {})
    dicomweb_root = dicomweb.get("Root", "/dicom-web/") if isinstance(dicomweb, Mapping) else dicomweb
    if not isinstance(dicomweb_root, str) or not dicomweb_root.startswith("/"):
        if data_source is DataSource.DICOM_WEB:
            raise ConfigurationError(
                f'"DicomWeb"."Root" must be a URL path starting with "/", found {_describe(dicomweb_root)}'
            )
        dicomweb_root = ""  # the dicom-json source only stores there: saving says it is unavailable
    dicomweb_enabled = not isinstance(dicomweb, Mapping) or dicomweb.get("Enable", True) is not False

    return Settings(
        data_source=data_source,
        router_basename=_with_slashes(router_basename),
        user_configuration=user_text,
        preload=preload,
        dicomweb_root=_with_slashes(dicomweb_root) if dicomweb_root else "",
        bundle_folder=Path(bundle_folder) if bundle_folder else DEFAULT_BUNDLE_FOLDER,
        backfill_on_startup=backfill_on_startup,
        dicomweb_enabled=dicomweb_enabled,
        saving=saving,
        stow_root=stow_root.rstrip("/"),
    )


def unknown_keys(configuration: Mapping[str, Any]) -> list[str]:
    """Keys of the section that this plugin does not know: most likely typos."""
    section = configuration.get(SECTION, {})
    if not isinstance(section, Mapping):
        return []
    return sorted(key for key in section if key not in KNOWN_KEYS)
