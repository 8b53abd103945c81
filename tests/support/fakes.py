"""Stand-ins for what the plugin's logic is given: Orthanc's instances and database, the stored answers,
the ``orthanc`` module's change types; and a bounded wait for background threads."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum
from types import SimpleNamespace
from typing import Any

from ohif_plugin.study_json.listing import SeriesListing, StudyListing
from ohif_plugin.study_json.summary_cache import Assembly, InstanceGone

CHROMIUM = "gzip, deflate, br, zstd"
"""The Accept-Encoding of Chromium on localhost and HTTPS."""
WAIT = 10.0
"""Seconds a test waits for a background thread; only reached when something is wrong."""


def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds have passed; whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


class MemoryStore:
    """An InstanceStore: Orthanc reduced to dictionaries; a missing file means a deleted instance."""

    def __init__(self, reads_at_once: bool = False) -> None:
        self.files: dict[str, bytes] = {}
        self.metadata: dict[str, bytes] = {}
        self.studies: dict[str, list[str]] = {}
        self.reads: list[str] = []
        self.writes: list[str] = []
        self.reads_at_once = reads_at_once
        """Whether stored_summaries() is offered (Orthanc 1.12.5's /tools/find)."""
        self.single_summary_reads: list[str] = []

    def study_instances(self, study_id: str) -> list[str] | None:
        return self.studies.get(study_id)

    def stored_summary(self, instance_id: str) -> bytes | None:
        self.single_summary_reads.append(instance_id)
        return self.metadata.get(instance_id)

    def stored_summaries(self, study_id: str) -> dict[str, bytes | None] | None:
        if not self.reads_at_once:
            return None
        return {instance_id: self.metadata.get(instance_id) for instance_id in self.studies.get(study_id, [])}

    def read_dicom(self, instance_id: str) -> bytes:
        self.reads.append(instance_id)
        if instance_id not in self.files:
            raise InstanceGone(instance_id)
        return self.files[instance_id]

    def store_summary(self, instance_id: str, value: bytes, replacing: bool) -> None:
        if instance_id not in self.files:
            raise InstanceGone(instance_id)
        # Orthanc under "CheckRevisions" refuses to replace a value the writer did not say it replaces.
        assert replacing == (instance_id in self.metadata), f"{instance_id}: replacing={replacing}"
        self.writes.append(instance_id)
        self.metadata[instance_id] = value


class FakeDatabase:
    """Listings as the database gives them, changed by the test as another server would; and an
    ``assemble`` that records what it was asked."""

    def __init__(self) -> None:
        self.series = {"series-1": ("20261122T000000", ["i1", "i2"]), "series-2": ("20261122T000001", ["i3"])}
        self.study_update = "20261122T000001"
        self.assembled: list[tuple[list[str], str]] = []

    def listing(self, study_id: str) -> StudyListing | None:
        if study_id != "study":
            return None
        series = tuple(SeriesListing(key, update, tuple(ids)) for key, (update, ids) in self.series.items())
        return StudyListing(study_id, self.study_update, series)

    def assemble(self, instance_ids: list[str], query: str, study_id: str) -> Assembly:
        self.assembled.append((instance_ids, query))
        return Assembly({"studies": [{"instances": instance_ids, "query": query, "padding": "x" * 4000}]}, 0)

    def assemble_leaving_one_out(self, instance_ids: list[str], query: str, study_id: str) -> Assembly:
        """As when one instance's summary cannot be computed."""
        return Assembly(self.assemble(instance_ids, query, study_id).answer, left_out=1)


class FakeAnswerStore:
    """Stored study answers in a dictionary."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.reads = 0

    def stored_answer(self, study_id: str) -> bytes | None:
        self.reads += 1
        return self.values.get(study_id)

    def store_answer(self, study_id: str, data: bytes, replacing: bool) -> None:
        assert replacing == (study_id in self.values), f"{study_id}: replacing={replacing}"
        self.values[study_id] = data


class ChangeType(IntEnum):
    """The change types of orthanc-python, with values of their own: the plugin must use the names."""

    NEW_INSTANCE = 101
    STABLE_STUDY = 102
    ORTHANC_STARTED = 103
    ORTHANC_STOPPED = 104
    DELETED = 105
    UPDATED_METADATA = 106


class ResourceType(IntEnum):
    """orthanc-python's resource levels, with values of their own."""

    STUDY = 201
    SERIES = 202
    INSTANCE = 203


def stand_in_orthanc() -> Any:
    """What the change tables of :mod:`ohif_plugin.orthanc_adapter.changes` use of the ``orthanc`` module."""
    return SimpleNamespace(ChangeType=ChangeType, ResourceType=ResourceType)
