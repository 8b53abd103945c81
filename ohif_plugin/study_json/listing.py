"""What the database says about a study's instances right now, and the ETag made from it.

A study's answer only changes when its instances do, and Orthanc's database
says cheaply whether they did: the study's series list their instances, each
with its LastUpdate. Their digest, with the plugin and summary versions and
the query that goes into every URL, is the answer's ETag. An instance added
or deleted, by this Orthanc or another one sharing the database, changes it.

The study's own LastUpdate is left out: storing the answer with the study
does not change it, but nothing in the answer depends on it either.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ohif_plugin import __version__
from ohif_plugin.summaries import SUMMARY_VERSION
from ohif_plugin.summaries.extensions import EXTENSIONS_VERSION

ORTHANC_ID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{8}){4}")
"""An Orthanc resource identifier (the SHA-1 of its DICOM UIDs, in five groups)."""


@dataclass(frozen=True)
class SeriesListing:
    series_id: str
    last_update: str
    instance_ids: tuple[str, ...]
    """In Orthanc's order, which the answer keeps."""


@dataclass(frozen=True)
class StudyListing:
    """What the database says about a study's instances right now."""

    study_id: str
    last_update: str
    series: tuple[SeriesListing, ...]

    @property
    def instance_ids(self) -> list[str]:
        return [instance_id for series in self.series for instance_id in series.instance_ids]


def etag_of(listings: Sequence[StudyListing], query: str) -> str:
    """Changes with any instance added or removed, any LastUpdate, the query and the code's versions."""
    digest = hashlib.blake2b(digest_size=16)
    parts = [__version__, str(SUMMARY_VERSION), str(EXTENSIONS_VERSION), query]
    for listing in listings:
        parts.append(listing.study_id)
        for series in listing.series:
            parts += [series.series_id, series.last_update, *series.instance_ids]
    digest.update("\n".join(parts).encode())
    return f'W/"{digest.hexdigest()}"'
