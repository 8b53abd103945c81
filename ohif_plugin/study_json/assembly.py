"""Assembling the OHIF "DICOM JSON" answer of one study from instance summaries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ohif_plugin.summaries import frames, media
from ohif_plugin.summaries.codec import Summary
from ohif_plugin.summaries.derived import DERIVED_OBJECTS
from ohif_plugin.summaries.extensions import instance_fields, section_value
from ohif_plugin.summaries.naturalize import bulk_data_url
from ohif_plugin.summaries.tags import Level, tags_at

Fields = tuple[tuple[str, str], ...]
"""(summary key, OHIF name) pairs of one level, worked out once."""


def _fields(level: Level) -> Fields:
    return tuple((info.key, info.name) for info in tags_at(level))


STUDY_FIELDS = _fields(Level.STUDY)
SERIES_FIELDS = _fields(Level.SERIES)
INSTANCE_FIELDS = _fields(Level.INSTANCE)

STUDY_UID_KEY = "0020,000d"
SERIES_UID_KEY = "0020,000e"
MODALITY_KEY = "0008,0060"
INSTANCE_NUMBER_KEY = "0020,0013"


@dataclass(frozen=True)
class InstanceSummary:
    """An Orthanc instance identifier with the summary of that instance."""

    instance_id: str
    summary: Summary


def _named(summary: Summary, fields: Fields) -> dict[str, Any]:
    return {name: summary[key] for key, name in fields if key in summary}


def with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def instance_url(instance_id: str, query: str = "") -> str:
    """Relative to the viewer page (<RouterBasename>viewer), so it works behind any prefix."""
    return with_query(f"dicomweb:../instances/{instance_id}/file", query)


def _extension_fields(member: InstanceSummary, query: str) -> dict[str, Any]:
    """The instance's extension fields, bulk data paths made URLs (relative like :func:`instance_url`)."""
    fields = instance_fields(member.summary)
    if not fields:
        return fields
    resolved: dict[str, Any] = bulk_data_url(fields, f"../instances/{member.instance_id}", query)
    return resolved


def frame_url(instance_id: str, frame: int, query: str = "") -> str:
    """Frame ``frame`` (from 1) of the instance; the parameter comes last, as cornerstone cuts the URL there."""
    url = instance_url(instance_id, query)
    return f"{url}{'&' if query else '?'}frame={frame}"


def video_url(instance_id: str, query: str = "") -> str:
    """The encapsulated video stream (an MP4 file, say), for the viewer's ``<video src>``."""
    return with_query(f"../instances/{instance_id}/frames/0/raw", query)


def document_url(instance_id: str, query: str = "") -> str:
    """The encapsulated PDF, served with the headers that let the isolated viewer page embed it."""
    return with_query(f"../instances/{instance_id}/ohif-pdf", query)


def assemble_study(instances: Iterable[InstanceSummary], query: str = "") -> dict[str, Any]:
    """The ohif-dicom-json answer: studies by StudyInstanceUID, series sorted by UID.

    Instances are sorted by InstanceNumber (see :func:`_instance_order`). An instance without a
    StudyInstanceUID or SeriesInstanceUID cannot be placed, so it is left out.
    ``query`` (URL-encoded, e.g. ``token=...``) is added to every URL of the
    answer, so that the viewer fetches instances with the rights it was given.
    """
    studies: dict[str, dict[str, list[InstanceSummary]]] = {}
    for instance in instances:
        study_uid = instance.summary.get(STUDY_UID_KEY)
        series_uid = instance.summary.get(SERIES_UID_KEY)
        if not isinstance(study_uid, str) or not isinstance(series_uid, str):
            continue
        studies.setdefault(study_uid, {}).setdefault(series_uid, []).append(instance)

    answer = []
    for study_uid in sorted(studies):
        series_by_uid = studies[study_uid]
        first_of_study = next(iter(series_by_uid.values()))[0]
        study = _named(first_of_study.summary, STUDY_FIELDS)
        study["series"] = [
            _series(series_by_uid[series_uid], query) for series_uid in sorted(series_by_uid)
        ]
        study["NumInstances"] = sum(len(members) for members in series_by_uid.values())
        modalities = {
            series[0].summary[MODALITY_KEY]
            for series in series_by_uid.values()
            if isinstance(series[0].summary.get(MODALITY_KEY), str)
        }
        study["Modalities"] = ",".join(sorted(modalities))
        answer.append(study)
    return {"studies": answer}


def _series(members: list[InstanceSummary], query: str) -> dict[str, Any]:
    series = _named(members[0].summary, SERIES_FIELDS)
    ordered = sorted(members, key=_instance_order)
    series["instances"] = [entry for member in ordered for entry in instance_entries(member, query)]
    return series


def _instance_order(member: InstanceSummary) -> tuple[int, int]:
    """By InstanceNumber, those without one last; ties keep the order given (the sort is stable).

    Orthanc lists a series' instances in upload order up to 1.11 and by identifier
    (at random, for a stack) from 1.12 on: this makes the answer the same on every release.
    """
    number = member.summary.get(INSTANCE_NUMBER_KEY)
    return (0, number) if isinstance(number, int) else (1, 0)


def instance_entries(member: InstanceSummary, query: str = "") -> list[dict[str, Any]]:
    """The entries of one instance: one per frame of a multi-frame image, else one.

    A video gets a URL the browser plays; a PDF, the URL of its document
    (see :mod:`ohif_plugin.summaries.media`); a multi-frame image, one URL per frame
    (see :mod:`ohif_plugin.summaries.frames`).
    """
    instance_id = member.instance_id
    metadata = _named(member.summary, INSTANCE_FIELDS) | _extension_fields(member, query)
    if media.is_video(metadata):
        return [{"metadata": metadata, "url": video_url(instance_id, query)}]
    if media.is_pdf(metadata):
        metadata = media.document_metadata(metadata, document_url(instance_id, query))
    count = frames.number_of_frames(metadata)
    # A segmentation's frames are not images to scroll: OHIF reads them from the one entry.
    if count == 1 or metadata.get("SOPClassUID") in DERIVED_OBJECTS:
        return [{"metadata": metadata, "url": instance_url(instance_id, query)}]
    # OHIF keeps the first entry of an instance only: the functional groups go there, once.
    first = metadata | frames.functional_groups(section_value(member.summary, frames.FRAMES_KEY))
    return [
        {"metadata": first if frame == 1 else metadata, "url": frame_url(instance_id, frame, query)}
        for frame in range(1, count + 1)
    ]
