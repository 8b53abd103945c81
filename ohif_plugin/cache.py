"""The summary cache: read metadata 4202, or compute and store it, and serve studies.

The Orthanc side is behind the :class:`InstanceStore` protocol so that this
logic stays plain Python; :mod:`ohif_plugin.orthanc_glue` implements it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from ohif_plugin.fast_header import summarize
from ohif_plugin.study import InstanceSummary, assemble_study
from ohif_plugin.summary import (
    Summary,
    SummaryError,
    decode_summary,
    encode_summary,
)

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

    def store_summary(self, instance_id: str, value: bytes) -> None:
        """Write metadata 4202; raises InstanceGone."""


@dataclass
class Counters:
    """Since start-up. Updated under the GIL, so plain integers are enough."""

    computed: int = 0
    reused: int = 0
    failed: int = 0
    studies: int = 0
    """Studies answered (unknown studies excluded)."""
    study_hits: int = 0
    """Studies answered entirely from stored summaries: nothing computed, nothing failed."""
    stored_answers: int = 0
    """Studies answered with their stored answer (:mod:`ohif_plugin.stored_answer`): no summary read."""


class SummaryCache:
    def __init__(self, store: InstanceStore) -> None:
        self._store = store
        self.counters = Counters()

    def summary_of(
        self, instance_id: str, read: Mapping[str, bytes | None] = NOTHING_READ, counted: bool = True
    ) -> Summary:
        """The valid stored summary, or a freshly computed one that replaces a stale one.

        ``read`` holds the stored values already read with the rest of the study; an
        instance not in it (added since) is read alone. ``counted``: a reuse counts
        (not in the background check of a stored answer, which serves nobody).
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
            self._store.store_summary(instance_id, encode_summary(summary))
        except InstanceGone:
            raise
        except Exception as error:  # the instance is still shown; its summary is stored another time
            logger.warning("Instance %s: summary computed but not stored (%s)", instance_id, error)
        self.counters.computed += 1
        return summary

    def study(self, study_id: str, query: str = "") -> dict[str, Any] | None:
        """The ohif-dicom-json answer, or None for an unknown study.

        ``query`` goes to every URL of the answer (see :func:`assemble_study`).

        An instance that cannot be summarized is logged and left out: one odd
        file must not hide the rest of the study.
        """
        instance_ids = self._store.study_instances(study_id)
        if instance_ids is None:
            return None
        return self.assemble(instance_ids, query, study_id)

    def assemble(self, instance_ids: list[str], query: str = "", study_id: str = "") -> dict[str, Any]:
        """The ohif-dicom-json answer of these instances (see :meth:`study`), counted as a study served."""
        before = (self.counters.computed, self.counters.failed)
        answer = self._assembled(instance_ids, query, study_id, counted=True)
        self.counters.studies += 1
        if (self.counters.computed, self.counters.failed) == before:
            self.counters.study_hits += 1
        return answer

    def check(self, instance_ids: list[str], query: str = "", study_id: str = "") -> dict[str, Any]:
        """:meth:`assemble` for the background check of a stored answer: summaries computed and
        failures count, nothing counts as served or reused."""
        return self._assembled(instance_ids, query, study_id, counted=False)

    def _assembled(self, instance_ids: list[str], query: str, study_id: str, counted: bool) -> dict[str, Any]:
        read = (self._store.stored_summaries(study_id) if study_id else None) or NOTHING_READ
        instances = []
        for instance_id in instance_ids:
            try:
                instances.append(InstanceSummary(instance_id, self.summary_of(instance_id, read, counted)))
            except InstanceGone:
                logger.info("Instance %s was deleted while its study was assembled", instance_id)
            except SummaryError as error:
                self.counters.failed += 1
                logger.warning("Instance %s left out of study %s: %s", instance_id, study_id, error)
            except Exception:
                self.counters.failed += 1
                logger.exception("Instance %s left out of study %s", instance_id, study_id)
        return assemble_study(instances, query)

    def preload(self, instance_id: str) -> None:
        """Compute and store the summary of a newly received instance."""
        summary = summarize(self._store.read_dicom(instance_id))
        self._store.store_summary(instance_id, encode_summary(summary))
        self.counters.computed += 1
