"""Assembling the OHIF "DICOM JSON" answer of one study from instance summaries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ohif_plugin.summary import Summary
from ohif_plugin.tags import Level, TagInfo, tags_at

STUDY_TAGS = tags_at(Level.STUDY)
SERIES_TAGS = tags_at(Level.SERIES)
INSTANCE_TAGS = tags_at(Level.INSTANCE)

STUDY_UID_KEY = "0020,000d"
SERIES_UID_KEY = "0020,000e"
MODALITY_KEY = "0008,0060"


@dataclass(frozen=True)
class InstanceSummary:
    """An Orthanc instance identifier with the summary of that instance."""

    instance_id: str
    summary: Summary


def _named(summary: Summary, tags: tuple[TagInfo, ...]) -> dict[str, Any]:
    return {info.name: summary[info.key] for info in tags if info.key in summary}


def instance_url(instance_id: str) -> str:
    """Relative to the viewer page (<RouterBasename>viewer), so it works behind any prefix."""
    return f"dicomweb:../instances/{instance_id}/file"


def assemble_study(instances: Iterable[InstanceSummary]) -> dict[str, Any]:
    """The ohif-dicom-json answer: studies by StudyInstanceUID, series sorted by UID.

    Instances keep the order given (Orthanc's). An instance without a
    StudyInstanceUID or SeriesInstanceUID cannot be placed, so it is left out.
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
        study = _named(first_of_study.summary, STUDY_TAGS)
        study["series"] = [
            _series(series_by_uid[series_uid]) for series_uid in sorted(series_by_uid)
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


def _series(members: list[InstanceSummary]) -> dict[str, Any]:
    series = _named(members[0].summary, SERIES_TAGS)
    series["instances"] = [
        {"metadata": _named(member.summary, INSTANCE_TAGS), "url": instance_url(member.instance_id)}
        for member in members
    ]
    return series
