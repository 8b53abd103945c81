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
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydicom.dataset import Dataset

from ohif_plugin.derived import DERIVED_OBJECTS, derived_fields

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
}
"""SOP classes whose instances always need extensions, even with one frame."""

ExtensionProvider = Callable[[Dataset], dict[str, Any]]
"""Naturalized instance fields computed from the full header of an instance."""

EXTENSION_PROVIDERS: tuple[ExtensionProvider, ...] = (
    derived_fields,
)


def needs_extensions(summary: dict[str, Any]) -> bool:
    """Whether the reference's fields alone cannot show this instance."""
    frames = summary.get(NUMBER_OF_FRAMES_KEY)
    if isinstance(frames, int) and not isinstance(frames, bool) and frames > 1:
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
            name, kind = provider.__name__, type(error).__name__
            logger.warning("%s failed (%s: %s); its fields are left out", name, kind, error)
    return {"Version": EXTENSIONS_VERSION, INSTANCE_KEY: instance}


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
    )


def instance_fields(summary: dict[str, Any]) -> dict[str, Any]:
    """The naturalized fields to merge into the instance's OHIF metadata."""
    extensions = summary.get(EXTENSIONS_KEY)
    if not isinstance(extensions, dict):
        return {}
    fields = extensions.get(INSTANCE_KEY)
    return fields if isinstance(fields, dict) else {}
