"""Filling in missing summaries in the background, at a bounded pace (ohif_plugin.background.backfill)."""

from __future__ import annotations

import threading

import pytest

from ohif_plugin.background.backfill import Backfill, Pace
from ohif_plugin.study_json.summary_cache import SummaryCache
from ohif_plugin.summaries.codec import decode_summary
from tests.support.dicom_factory import StudySpec, ct_series, to_bytes
from tests.support.fakes import WAIT, MemoryStore

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _store_with_studies(sizes: list[int]) -> MemoryStore:
    store = MemoryStore()
    for number, size in enumerate(sizes):
        ids = []
        for index, dataset in enumerate(ct_series(StudySpec(), size)):
            instance_id = f"study{number}-instance{index}"
            store.files[instance_id] = to_bytes(dataset)
            ids.append(instance_id)
        store.studies[f"study{number}"] = ids
    return store


QUICK = Pace(busy_fraction=1.0, burst_seconds=0.0, max_instances_per_second=1e9, min_pause_seconds=0.0)


def test_the_pace_sleeps_in_chunks_long_enough_for_orthanc_to_stop() -> None:
    pace = Pace(busy_fraction=0.2, burst_seconds=0.05, max_instances_per_second=500, min_pause_seconds=0.15)
    assert pace.pause_after_burst(0.05, 10) == pytest.approx(0.2)  # 20 % busy
    assert pace.pause_after_burst(0.001, 400) == pytest.approx(0.799)  # at most 500 instances/s
    assert pace.pause_after_burst(0.0, 1) == pytest.approx(0.15)  # never shorter than the quiet Orthanc needs


def test_backfill_computes_missing_and_stale_summaries_and_keeps_valid_ones() -> None:
    store = _store_with_studies([3, 2])
    cache = SummaryCache(store)
    valid = cache.summary_of("study0-instance0")
    store.metadata["study0-instance1"] = b"stale"
    store.writes.clear()
    store.studies["deleted"] = ["gone"]  # an instance deleted meanwhile is not a failure
    backfill = Backfill(cache, store, lambda: ["study0", "study1", "deleted", "unknown"], QUICK)
    backfill.run()

    status = backfill.status()
    assert status["State"] == "finished"
    assert status["StudiesTotal"] == status["StudiesDone"] == 4
    assert status["InstancesChecked"] == 6
    assert status["SummariesComputed"] == 4
    assert status["Failed"] == 0
    assert sorted(store.writes) == ["study0-instance1", "study0-instance2", "study1-instance0", "study1-instance1"]
    assert decode_summary(store.metadata["study0-instance0"]) == valid
    assert all(decode_summary(store.metadata[instance]) is not None for instance in store.writes)


def test_backfill_counts_an_unreadable_instance_as_failed_and_goes_on() -> None:
    store = _store_with_studies([2])
    store.files["study0-instance0"] = b"not DICOM"
    cache = SummaryCache(store)
    backfill = Backfill(cache, store, lambda: ["study0"], QUICK)
    backfill.run()
    assert backfill.status()["Failed"] == 1
    assert backfill.status()["SummariesComputed"] == 1
    assert cache.counters.failed == 1


def test_backfill_stops_between_two_instances() -> None:
    store = _store_with_studies([5])
    started, release = threading.Event(), threading.Event()
    reads = store.read_dicom

    def slow_read(instance_id: str) -> bytes:
        started.set()
        assert release.wait(WAIT)
        return reads(instance_id)

    store.read_dicom = slow_read  # type: ignore[method-assign]
    backfill = Backfill(SummaryCache(store), store, lambda: ["study0"], QUICK)
    backfill.start()
    assert started.wait(WAIT)
    stopper = threading.Thread(target=backfill.stop, args=(WAIT,))
    stopper.start()
    release.set()
    stopper.join(WAIT)
    assert backfill.status()["State"] == "stopped"
    assert backfill.status()["InstancesChecked"] == 1


def test_a_failing_study_list_ends_the_backfill_as_failed() -> None:
    def broken() -> list[str]:
        raise RuntimeError("REST API down")

    store = MemoryStore()
    backfill = Backfill(SummaryCache(store), store, broken, QUICK)
    backfill.start()
    assert backfill.stop(WAIT)
    assert backfill.status()["State"] == "failed"
