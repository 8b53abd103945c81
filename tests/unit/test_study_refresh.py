"""The background that stores and checks study answers (ohif_plugin.background.answer_keeper)."""

from __future__ import annotations

import threading
import time
from typing import Any

from ohif_plugin.study_json.counters import Counters
from ohif_plugin.study_json.stored_answer import decode, digest_of
from ohif_plugin.study_json.endpoint import answer_body
from ohif_plugin.study_json.listing import etag_of
from ohif_plugin.background.answer_keeper import AnswerKeeper, MAX_PENDING
from tests.unit.test_stored_answer import FakeAnswerStore
from tests.unit.test_study_answer import FakeDatabase


def refresher(database: FakeDatabase) -> tuple[AnswerKeeper, FakeAnswerStore]:
    store = FakeAnswerStore()
    return AnswerKeeper(database.listing, database.assemble, store, Counters()), store


def expected_body(database: FakeDatabase) -> bytes:
    listing = database.listing("study")
    assert listing is not None
    return answer_body([database.assemble(listing.instance_ids, "", "study")])


def test_a_check_stores_the_answer_of_a_study_without_one() -> None:
    database = FakeDatabase()
    worker, store = refresher(database)
    worker.check("study")
    worker.run_pending()
    stored = decode(store.values["study"])
    listing = database.listing("study")
    assert stored is not None and listing is not None
    assert stored.etag == etag_of([listing], "")
    assert stored.body_digest == digest_of(expected_body(database))


def test_a_study_is_checked_once_however_often_it_is_asked_meanwhile() -> None:
    database = FakeDatabase()
    worker, _ = refresher(database)
    for _ in range(3):
        worker.check("study")
    assert worker.pending() == 1
    worker.run_pending()
    assert len(database.assembled) == 1
    worker.check("study")
    assert worker.pending() == 1


def test_a_check_that_finds_the_same_answer_writes_nothing() -> None:
    database = FakeDatabase()
    worker, store = refresher(database)
    worker.check("study")
    worker.run_pending()
    writes: list[bytes] = []

    def recorded(study_id: str, data: bytes) -> None:
        writes.append(data)

    store.store_answer = recorded  # type: ignore[method-assign]
    worker.check("study")
    worker.run_pending()
    assert writes == []
    database.series["series-2"] = ("20261122T000002", ["i3", "i4"])
    worker.check("study")
    worker.run_pending()
    assert len(writes) == 1


def test_an_answer_to_keep_replaces_a_pending_check_and_the_latest_wins() -> None:
    database = FakeDatabase()
    worker, store = refresher(database)
    worker.check("study")
    worker.keep("study", 'W/"one"', b'{"studies":[1]}')
    worker.keep("study", 'W/"two"', b'{"studies":[2]}')
    worker.check("study")
    assert worker.pending() == 1
    worker.run_pending()
    stored = decode(store.values["study"])
    assert stored is not None and stored.etag == 'W/"two"'
    assert database.assembled == []  # keeping an answer assembles nothing


def test_the_queue_is_bounded() -> None:
    database = FakeDatabase()
    worker, _ = refresher(database)
    for index in range(MAX_PENDING + 10):
        worker.keep(f"study-{index}", "etag", b"{}")
    assert worker.pending() == MAX_PENDING


def test_a_failing_store_is_logged_and_the_worker_goes_on(caplog: Any) -> None:
    database = FakeDatabase()
    worker, store = refresher(database)

    def broken(study_id: str, data: bytes) -> None:
        raise RuntimeError("disk full")

    store.store_answer = broken  # type: ignore[method-assign]
    worker.keep("study", "etag", b"{}")
    worker.run_pending()
    assert "Storing the answer of study study failed" in caplog.text


def test_a_deleted_study_is_not_stored() -> None:
    database = FakeDatabase()
    worker, store = refresher(database)
    worker.check("other")
    worker.run_pending()
    assert store.values == {}


def test_a_check_that_left_instances_out_keeps_the_stored_answer() -> None:
    database = FakeDatabase()
    counters = Counters()

    assemble_with_a_failure = database.assemble_with_a_failure(counters)

    store = FakeAnswerStore()
    store.values["study"] = b"earlier"
    worker = AnswerKeeper(database.listing, assemble_with_a_failure, store, counters)
    worker.check("study")
    worker.run_pending()
    assert store.values["study"] == b"earlier"


def test_the_thread_does_the_work_and_stops() -> None:
    database = FakeDatabase()
    store = FakeAnswerStore()
    worker = AnswerKeeper(database.listing, database.assemble, store, Counters())
    worker.start()
    worker.check("study")
    deadline = time.monotonic() + 10
    while "study" not in store.values and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "study" in store.values
    assert worker.stop(timeout=5)
    assert not any(thread.name == "ohif-study-refresh" and thread.is_alive() for thread in threading.enumerate())
