"""What this plugin stores beyond the reference's summary, for objects it cannot show.

The C++ plugin's summary is enough for a single-frame image. Multi-frame
images, documents, videos and derived objects (SR, SEG, RTSTRUCT) need more:
those fields live under one extra summary key, ``"Extensions"``, which the C++
plugin ignores, so a summary stays readable by both plugins:

    {"Version": 2, "0008,0016": "...", ..., "Extensions": {"Version": 1, "Instance": {...}}}

``Extensions.Version`` says which fields were computed. A summary that needs
extensions (see :func:`needs_extensions`) but lacks them, or has an older
version, is stale and gets recomputed; any other summary, such as a C++-written
summary of a plain image, is used as it is.

``Extensions.Instance`` holds naturalized DICOM attributes (keyword keys, as
OHIF's ``naturalizeDataset`` makes them) merged into the instance's metadata
in the ohif-dicom-json answer.

Data that is not instance-level fields has keys of its own beside
``Instance`` (see :data:`EXTENSION_SECTIONS`), e.g. ``Frames``: the compact
per-frame functional groups of an enhanced multi-frame image.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

from ohif_plugin.summaries import frames, media
from ohif_plugin.summaries.derived import DERIVED_OBJECTS, derived_fields

logger = logging.getLogger(__name__)

EXTENSIONS_KEY = "Extensions"
EXTENSIONS_VERSION = 1
"""Bump when the extension fields change: only extended summaries get recomputed."""

INSTANCE_KEY = "Instance"

SOP_CLASS_KEY = "0008,0016"
NUMBER_OF_FRAMES_KEY = "0028,0008"

EXTENDED_SOP_CLASSES: dict[str, str] = {
    # Filled in by the features that need them (documents, video, SR, SEG, RTSTRUCT,
    # enhanced multi-frame images): SOP Class UID -> name.
    **{sop_class: derived.name for sop_class, derived in DERIVED_OBJECTS.items()},
    media.ENCAPSULATED_PDF: "Encapsulated PDF Storage",
    **media.VIDEO_SOP_CLASSES,
}
"""SOP classes whose instances always need extensions, even with one frame."""

ExtensionProvider = Callable[[Dataset], dict[str, Any]]
"""Naturalized instance fields computed from the full header of an instance."""

EXTENSION_PROVIDERS: tuple[ExtensionProvider, ...] = (
    derived_fields,
    frames.multi_frame_fields,
    media.document_fields,
    media.video_fields,
)


@dataclass(frozen=True)
class Section:
    """A key of ``Extensions`` beside ``Instance``, for data that is not fields of every entry."""

    compute: Callable[[Dataset], Any | None]
    """The value from the full header; None when the instance has nothing for this key."""
    is_valid: Callable[[Any], bool]
    """Whether a stored value has the shape ``compute`` writes (else the summary is stale)."""


EXTENSION_SECTIONS: dict[str, Section] = {
    frames.FRAMES_KEY: Section(frames.frame_groups_of, frames.is_valid_frame_groups),
}


def needs_extensions(summary: dict[str, Any]) -> bool:
    """Whether the reference's fields alone cannot show this instance."""
    frame_count = summary.get(NUMBER_OF_FRAMES_KEY)
    if isinstance(frame_count, int) and not isinstance(frame_count, bool) and frame_count > 1:
        return True
    return summary.get(SOP_CLASS_KEY) in EXTENDED_SOP_CLASSES


def extensions_of(dataset: Dataset) -> dict[str, Any]:
    """The ``"Extensions"`` value for an instance, from its full header.

    A provider that fails costs its own fields only, and is logged.
    """
    instance: dict[str, Any] = {}
    for provider in EXTENSION_PROVIDERS:
        try:
            instance.update(provider(dataset))
        except Exception as error:
            _log_failure(provider.__name__, error)
    extensions: dict[str, Any] = {"Version": EXTENSIONS_VERSION, INSTANCE_KEY: instance}
    for key, section in EXTENSION_SECTIONS.items():
        try:
            value = section.compute(dataset)
        except Exception as error:
            _log_failure(section.compute.__name__, error)
            continue
        if value is not None:
            extensions[key] = value
    return extensions


def _log_failure(name: str, error: Exception) -> None:
    logger.warning("%s failed (%s: %s); its fields are left out", name, type(error).__name__, error)


def no_extensions() -> dict[str, Any]:
    """Current, empty extensions: stored when the header cannot be read in full.

    Storing them, rather than nothing, keeps the summary from being recomputed
    (and failing again) on every display.
    """
    return {"Version": EXTENSIONS_VERSION, INSTANCE_KEY: {}}


def has_current_extensions(summary: dict[str, Any]) -> bool:
    """Whether the summary holds well-formed extensions of the current version."""
    extensions = summary.get(EXTENSIONS_KEY)
    if not isinstance(extensions, dict):
        return False
    version = extensions.get("Version")
    return (
        isinstance(version, int)
        and not isinstance(version, bool)
        and version == EXTENSIONS_VERSION
        and isinstance(extensions.get(INSTANCE_KEY), dict)
        and all(section.is_valid(extensions[key]) for key, section in EXTENSION_SECTIONS.items() if key in extensions)
    )


def instance_fields(summary: dict[str, Any]) -> dict[str, Any]:
    """The naturalized fields to merge into the instance's OHIF metadata."""
    extensions = summary.get(EXTENSIONS_KEY)
    if not isinstance(extensions, dict):
        return {}
    fields = extensions.get(INSTANCE_KEY)
    return fields if isinstance(fields, dict) else {}


def section_value(summary: dict[str, Any], key: str) -> Any | None:
    """The value stored under ``key`` of the extensions (see :data:`EXTENSION_SECTIONS`), or None."""
    extensions = summary.get(EXTENSIONS_KEY)
    return extensions.get(key) if isinstance(extensions, dict) else None
