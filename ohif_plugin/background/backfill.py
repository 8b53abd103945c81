"""Filling in missing summaries of stored studies, in the background, at a bounded pace.

Started after Orthanc starts (``"OHIF": {"BackfillOnStartup": true}``), it walks
every study once, checks each instance's stored summary and computes the
missing or stale ones through the :class:`~ohif_plugin.study_json.summary_cache.SummaryCache`.
It must not slow viewers or ingestion: it runs on one low-priority thread and
sleeps between instances so that it is busy at most a fraction of the time
(the embedded interpreter has one GIL, shared with every REST callback).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ohif_plugin.background.thread import BackgroundThread
from ohif_plugin.study_json.summary_cache import InstanceGone, InstanceStore, SummaryCache
from ohif_plugin.summaries.codec import decode_summary

logger = logging.getLogger(__name__)

LOG_EVERY = 100
"""Studies between two progress lines in Orthanc's log."""
NICENESS = 10
"""Added to the thread's scheduling niceness (Linux: threads have their own)."""


@dataclass(frozen=True)
class Pace:
    """Work in short bursts, then sleep.

    Sleeping in chunks rather than between instances matters: every summary
    written is a change event, and Orthanc's shutdown waits until its Lua
    event queue has been empty for 100 ms, so a steady trickle of writes would
    hold Orthanc's shutdown until the backfill ends.
    """

    busy_fraction: float = 0.2
    """At most this share of the time is spent working; the rest is sleep."""
    burst_seconds: float = 0.05
    """Work done between two sleeps."""
    max_instances_per_second: float = 500.0
    """An upper bound even when each check is quick."""
    min_pause_seconds: float = 0.15
    """Longer than Orthanc's 100 ms of quiet (see above)."""

    def pause_after_burst(self, work_seconds: float, instances: int) -> float:
        """Seconds to sleep after a burst of ``instances`` that took ``work_seconds``."""
        duty = work_seconds * (1.0 / self.busy_fraction - 1.0)
        rate = instances / self.max_instances_per_second - work_seconds
        return max(duty, rate, self.min_pause_seconds)


@dataclass
class BackfillProgress:
    state: str = "waiting"
    """waiting, running, finished, stopped or failed."""
    studies_total: int = 0
    studies_done: int = 0
    instances_checked: int = 0
    summaries_computed: int = 0
    failed: int = 0
    started: float | None = None
    ended: float | None = None

    def seconds(self, now: float) -> float:
        if self.started is None:
            return 0.0
        return (self.ended if self.ended is not None else now) - self.started

    def as_json(self, now: float) -> dict[str, Any]:
        return {
            "State": self.state,
            "StudiesTotal": self.studies_total,
            "StudiesDone": self.studies_done,
            "InstancesChecked": self.instances_checked,
            "SummariesComputed": self.summaries_computed,
            "Failed": self.failed,
            "Seconds": round(self.seconds(now), 3),
        }

    def describe(self, now: float) -> str:
        seconds = self.seconds(now)
        rate = self.instances_checked / seconds if seconds > 0 else 0.0
        return (
            f"{self.studies_done}/{self.studies_total} studies, {self.instances_checked} instances checked "
            f"({rate:.0f}/s), {self.summaries_computed} summaries computed, {self.failed} failed, "
            f"{seconds:.0f} s"
        )


class Backfill(BackgroundThread):
    """One pass over every study, on its own thread; :meth:`stop` ends it between two instances."""

    def __init__(
        self,
        cache: SummaryCache,
        store: InstanceStore,
        list_studies: Callable[[], list[str]],
        pace: Pace | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__("ohif-backfill", NICENESS)
        self._cache = cache
        self._store = store
        self._list_studies = list_studies
        self._pace = pace or Pace()
        self._clock = clock
        self.progress = BackfillProgress()
        self._burst_work = 0.0
        self._burst_instances = 0

    def status(self) -> dict[str, Any]:
        return self.progress.as_json(self._clock())

    def run(self) -> None:
        """The whole pass, on the calling thread; an error ends it as "failed"."""
        try:
            self._pass()
        except Exception:
            self.progress.state = "failed"
            self.progress.ended = self._clock()
            logger.exception("Backfill failed after %s", self.progress.describe(self._clock()))

    def _pass(self) -> None:
        progress = self.progress
        progress.state, progress.started = "running", self._clock()
        study_ids = self._list_studies()
        progress.studies_total = len(study_ids)
        logger.warning("Backfill: filling in missing summaries of %d studies in the background", len(study_ids))
        for study_id in study_ids:
            if self.stopping.is_set():
                break
            self._backfill_study(study_id)
            progress.studies_done += 1
            if progress.studies_done % LOG_EVERY == 0:
                logger.warning("Backfill: %s", progress.describe(self._clock()))
        progress.ended = self._clock()
        progress.state = "stopped" if self.stopping.is_set() else "finished"
        logger.warning("Backfill %s: %s", progress.state, progress.describe(progress.ended))

    def _backfill_study(self, study_id: str) -> None:
        instance_ids = self._store.study_instances(study_id) or []  # None: deleted meanwhile
        for instance_id in instance_ids:
            if self.stopping.is_set():
                return
            began = self._clock()
            self._backfill_instance(study_id, instance_id)
            self.progress.instances_checked += 1
            self._burst_work += self._clock() - began
            self._burst_instances += 1
            if self._burst_work >= self._pace.burst_seconds:
                self.stopping.wait(self._pace.pause_after_burst(self._burst_work, self._burst_instances))
                self._burst_work, self._burst_instances = 0.0, 0

    def _backfill_instance(self, study_id: str, instance_id: str) -> None:
        try:
            stored = self._store.stored_summary(instance_id)
            if stored is not None and decode_summary(stored) is not None:
                return
            self._cache.summary_of(instance_id)
            self.progress.summaries_computed += 1
        except InstanceGone:
            pass
        except Exception as error:
            self.progress.failed += 1
            self._cache.counters.failed += 1
            logger.warning("Backfill: instance %s of study %s: %s: %s", instance_id, study_id,
                           type(error).__name__, error)
