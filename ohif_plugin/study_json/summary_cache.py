"""The summary cache: read each instance's metadata 4202, or compute and store it, and assemble studies.

The Orthanc side is behind the :class:`InstanceStore` protocol, so that this
logic stays plain Python; the Orthanc adapter implements it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from ohif_plugin.study_json.assembly import InstanceSummary, assemble_study
from ohif_plugin.study_json.counters import Counters
from ohif_plugin.summaries import Summary, SummaryError, decode_summary, encode_summary, summarize

logger = logging.getLogger(__name__)
NOTHING_READ: Mapping[str, bytes | None] = MappingProxyType({})


class InstanceGone(Exception):
    """The instance was deleted (or never existed)."""


class InstanceStore(Protocol):
    def study_instances(self, study_id: str) -> list[str] | None:
        """Orthanc identifiers of the study's instances, in Orthanc's order; None if unknown."""

    def stored_summary(self, instance_id: str) -> bytes | None:
        """The metadata 4202 value, None if absent (or if the instance is gone); may raise InstanceGone."""

    def stored_summaries(self, study_id: str) -> dict[str, bytes | None] | None:
        """Every instance's metadata 4202 value of a study, read at once; None where that is not offered."""

    def read_dicom(self, instance_id: str) -> bytes:
        """The DICOM file; raises InstanceGone."""

    def store_summary(self, instance_id: str, value: bytes, replacing: bool) -> None:
        """Write metadata 4202 (``replacing`` one the instance has); raises InstanceGone."""


@dataclass(frozen=True)
class Assembly:
    """One study's ohif-dicom-json answer, and how many of its instances it had to leave out."""

    answer: dict[str, Any]
    left_out: int
    """Instances that could not be summarized: an answer with any is not stored nor validated by an ETag."""


class SummaryCache:
    def __init__(self, store: InstanceStore, counters: Counters | None = None) -> None:
        self._store = store
        self.counters = counters if counters is not None else Counters()

    def summary_of(
        self, instance_id: str, read: Mapping[str, bytes | None] = NOTHING_READ, counted: bool = True
    ) -> Summary:
        """The valid stored summary, or a freshly computed one that replaces a stale one.

        ``read`` holds the stored values already read with the rest of the study; an
        instance not in it (added since) is read alone. ``counted``: a reuse counts
        (not when a study's answer is prepared in the background, which serves nobody yet).
        """
        stored = read[instance_id] if instance_id in read else self._store.stored_summary(instance_id)
        if stored is not None:
            summary = decode_summary(stored)
            if summary is not None:
                self.counters.reused += counted
                return summary
            logger.info("Instance %s: stale or corrupt summary, recomputing", instance_id)
        summary = summarize(self._store.read_dicom(instance_id))
        try:
            self._store.store_summary(instance_id, encode_summary(summary), replacing=stored is not None)
        except InstanceGone:
            raise
        except Exception as error:  # the instance is still shown; its summary is stored another time
            logger.warning("Instance %s: summary computed but not stored (%s)", instance_id, error)
        self.counters.computed += 1
        return summary

    def assemble(self, instance_ids: list[str], query: str = "", study_id: str = "") -> Assembly:
        """The ohif-dicom-json answer of these instances, counted as a study served.

        ``query`` goes to every URL of the answer (see :func:`assemble_study`). An
        instance that cannot be summarized is logged and left out: one odd file
        must not hide the rest of the study.
        """
        computed_before = self.counters.computed
        assembly = self._assembled(instance_ids, query, study_id, counted=True)
        self.counters.studies += 1
        if self.counters.computed == computed_before and not assembly.left_out:
            self.counters.study_hits += 1
        return assembly

    def prepare(self, instance_ids: list[str], query: str = "", study_id: str = "") -> Assembly:
        """:meth:`assemble` ahead of any request (a study that became stable): summaries computed
        and failures count, nothing counts as served or reused."""
        return self._assembled(instance_ids, query, study_id, counted=False)

    def _assembled(self, instance_ids: list[str], query: str, study_id: str, counted: bool) -> Assembly:
        read = (self._store.stored_summaries(study_id) if study_id else None) or NOTHING_READ
        instances = []
        left_out = 0
        for instance_id in instance_ids:
            try:
                instances.append(InstanceSummary(instance_id, self.summary_of(instance_id, read, counted)))
            except InstanceGone:
                logger.info("Instance %s was deleted while its study was assembled", instance_id)
            except SummaryError as error:
                left_out += 1
                logger.warning("Instance %s left out of study %s: %s", instance_id, study_id, error)
            except Exception:
                left_out += 1
                logger.exception("Instance %s left out of study %s", instance_id, study_id)
        self.counters.failed += left_out
        self.counters.assemblies += 1
        return Assembly(assemble_study(instances, query), left_out)

    def repair(self, instance_id: str) -> None:
        """Compute and store the summary again if the stored one is missing or stale: its metadata
        was changed behind the plugin's back (deleted, overwritten)."""
        stored = self._store.stored_summary(instance_id)
        self.summary_of(instance_id, {instance_id: stored}, counted=False)

    def preload(self, instance_id: str) -> None:
        """Compute and store the summary of a newly received instance, unless it has a valid one: a display
        came first, or its summary was written with it (by another server, or the C++ plugin)."""
        stored = self._store.stored_summary(instance_id)
        if stored is not None and decode_summary(stored) is not None:
            return
        summary = summarize(self._store.read_dicom(instance_id))
        self._store.store_summary(instance_id, encode_summary(summary), replacing=stored is not None)
        self.counters.computed += 1
