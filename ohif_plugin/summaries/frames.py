"""Multi-frame images in the dicom-json answer: one entry per frame, and the per-frame geometry.

How OHIF 3.13.2 reads them (extensions/default/src/DicomJSONDataSource):

- ``getImageIdsForDisplaySet`` takes frame ``i`` (from 0) of an instance from
  the ``i``-th JSON entry that has its SOPInstanceUID, and uses that entry's
  ``url`` as it is. So a multi-frame instance needs one entry per frame, whose
  ``url`` ends in ``frame=N`` (N from 1): cornerstone's wadouri loader cuts
  the URL at ``frame=`` (the character before it too) and decodes frame N-1
  of the file, which it fetches once.
- The metadata store keeps only the *first* entry of a SOPInstanceUID; the
  metadata of frame N is that entry combined with item N of its
  ``PerFrameFunctionalGroupsSequence`` and the ``SharedFunctionalGroupsSequence``
  (``combineFrameInstance``). So the functional groups go on the first entry
  only: repeating them on every entry makes the answer grow as frames²
  (OHIF issue #4259).

The summary keeps only the numbers of the functional groups that OHIF uses
(geometry for MPR, rescale, window), in a compact form, under the
``"Frames"`` key of the extensions::

    {"Shared": {"PixelMeasuresSequence": {"PixelSpacing": [1.0, 1.0], "SliceThickness": 3.0}, ...},
     "PerFrame": {"PlanePositionSequence": {"ImagePositionPatient": [[x, y, z], ...one per frame]}}}
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import Tag

FRAMES_KEY = "Frames"
SHARED_KEY = "Shared"
PER_FRAME_KEY = "PerFrame"

FUNCTIONAL_GROUPS: dict[str, tuple[str, ...]] = {
    "PlanePositionSequence": ("ImagePositionPatient",),
    "PlaneOrientationSequence": ("ImageOrientationPatient",),
    "PixelMeasuresSequence": ("PixelSpacing", "SliceThickness", "SpacingBetweenSlices"),
    "PixelValueTransformationSequence": ("RescaleIntercept", "RescaleSlope"),
    "FrameVOILUTSequence": ("WindowCenter", "WindowWidth"),
}
"""Functional group -> the numeric attributes of it that OHIF reads for a frame."""

MULTI_FRAME_FIELDS: tuple[str, ...] = ("FrameTime", "RecommendedDisplayFrameRate", "CineRate")
"""Instance-level numbers of a multi-frame image: OHIF's cine module plays at FrameTime."""

Number = float | list[float]
"""A naturalized DICOM number: one value, or a list when the value multiplicity is above one."""


def number_of_frames(fields: dict[str, Any]) -> int:
    """NumberOfFrames of naturalized metadata; 1 if absent or not a positive integer."""
    frames = fields.get("NumberOfFrames")
    if isinstance(frames, int) and not isinstance(frames, bool) and frames > 1:
        return frames
    return 1


# --- From DICOM --------------------------------------------------------------


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _element(dataset: Dataset, keyword: str) -> DataElement | None:
    """The element itself: ``Dataset.get`` answers the element for a tag, but the value for a keyword."""
    element = dataset.get(Tag(keyword))
    return element if isinstance(element, DataElement) else None


def number_of(dataset: Dataset, keyword: str) -> Number | None:
    """A numeric (DS, FD, IS...) attribute, naturalized; None if absent, empty or not numeric."""
    element = _element(dataset, keyword)
    if element is None or element.value is None or element.value == "":
        return None
    value = element.value
    if isinstance(value, MultiValue | list | tuple):
        numbers = [_finite(item) for item in value]
        if not numbers or any(number is None for number in numbers):
            return None
        return [number for number in numbers if number is not None]
    return _finite(value)


def multi_frame_fields(dataset: Dataset) -> dict[str, Any]:
    """FrameTime and frame rates of a multi-frame instance, for cine playback."""
    if _frame_count(dataset) <= 1:
        return {}
    found = {keyword: number_of(dataset, keyword) for keyword in MULTI_FRAME_FIELDS}
    return {keyword: value for keyword, value in found.items() if value is not None}


def _frame_count(dataset: Dataset) -> int:
    frames = number_of(dataset, "NumberOfFrames")
    return int(frames) if isinstance(frames, float) and frames >= 1 else 1


def _group_numbers(item: Dataset, sequence: str) -> dict[str, Number]:
    """The numbers of one functional group (first item of ``sequence``) of a functional groups item."""
    element = _element(item, sequence)
    if element is None or element.VR != "SQ" or not element.value:
        return {}
    group = element.value[0]
    found = {keyword: number_of(group, keyword) for keyword in FUNCTIONAL_GROUPS[sequence]}
    return {keyword: value for keyword, value in found.items() if value is not None}


def frame_groups_of(dataset: Dataset) -> dict[str, Any] | None:
    """The compact functional groups of an enhanced multi-frame instance; None if it has none."""
    frames = _frame_count(dataset)
    shared: dict[str, dict[str, Number]] = {}
    shared_sequence = _element(dataset, "SharedFunctionalGroupsSequence")
    if shared_sequence is not None and shared_sequence.VR == "SQ" and shared_sequence.value:
        for sequence in FUNCTIONAL_GROUPS:
            numbers = _group_numbers(shared_sequence.value[0], sequence)
            if numbers:
                shared[sequence] = numbers
    per_frame: dict[str, dict[str, list[Number | None]]] = {}
    per_frame_sequence = _element(dataset, "PerFrameFunctionalGroupsSequence")
    if per_frame_sequence is not None and per_frame_sequence.VR == "SQ" and len(per_frame_sequence.value) == frames:
        items = per_frame_sequence.value
        for sequence in FUNCTIONAL_GROUPS:
            found = [_group_numbers(item, sequence) for item in items]
            for keyword in FUNCTIONAL_GROUPS[sequence]:
                values = [numbers.get(keyword) for numbers in found]
                if any(value is not None for value in values):
                    per_frame.setdefault(sequence, {})[keyword] = values
    if not shared and not per_frame:
        return None
    groups: dict[str, Any] = {}
    if shared:
        groups[SHARED_KEY] = shared
    if per_frame:
        groups[PER_FRAME_KEY] = per_frame
    return groups


# --- Validation of a stored value --------------------------------------------


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, int | float) and not isinstance(item, bool) for item in value
    )


def _is_group_table(value: Any, keyword_check: Callable[[Any], bool]) -> bool:
    return isinstance(value, dict) and all(
        sequence in FUNCTIONAL_GROUPS
        and isinstance(numbers, dict)
        and bool(numbers)
        and all(keyword in FUNCTIONAL_GROUPS[sequence] and keyword_check(item) for keyword, item in numbers.items())
        for sequence, numbers in value.items()
    )


def is_valid_frame_groups(value: Any) -> bool:
    """Whether a stored ``"Frames"`` value has the shape :func:`frame_groups_of` writes."""
    if not isinstance(value, dict) or not value or set(value) - {SHARED_KEY, PER_FRAME_KEY}:
        return False
    lengths: set[int] = set()

    def per_frame_values(values: Any) -> bool:
        if not isinstance(values, list) or not values:
            return False
        lengths.add(len(values))
        return all(item is None or _is_number(item) for item in values)

    shared_ok = _is_group_table(value.get(SHARED_KEY, {}), _is_number)
    per_frame_ok = _is_group_table(value.get(PER_FRAME_KEY, {}), per_frame_values)
    return shared_ok and per_frame_ok and len(lengths) <= 1


# --- Into the dicom-json answer ----------------------------------------------


def functional_groups(groups: Any) -> dict[str, Any]:
    """The naturalized Shared- and PerFrameFunctionalGroupsSequence of the compact ``"Frames"`` value."""
    if not isinstance(groups, dict):
        return {}
    naturalized: dict[str, Any] = {}
    shared = groups.get(SHARED_KEY)
    if shared:
        naturalized["SharedFunctionalGroupsSequence"] = [
            {sequence: [dict(numbers)] for sequence, numbers in shared.items()}
        ]
    per_frame = groups.get(PER_FRAME_KEY)
    if per_frame:
        count = max(len(values) for numbers in per_frame.values() for values in numbers.values())
        items = []
        for index in range(count):
            item = {}
            for sequence, numbers in per_frame.items():
                fields = {keyword: values[index] for keyword, values in numbers.items() if values[index] is not None}
                if fields:
                    item[sequence] = [fields]
            items.append(item)
        naturalized["PerFrameFunctionalGroupsSequence"] = items
    return naturalized
