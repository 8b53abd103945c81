"""The background thread that stores and prepares study answers (ohif_plugin.background.answer_keeper).

Each test starts the thread and waits, a bounded time, until nothing is pending.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ohif_plugin.background.answer_keeper import MAX_PENDING, AnswerKeeper
from ohif_plugin.study_json.endpoint import answer_body
from ohif_plugin.study_json.listing import etag_of
from ohif_plugin.study_json.stored_answer import decode, digest_of
from tests.support.fakes import WAIT, FakeAnswerStore, FakeDatabase, wait_until


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def store() -> FakeAnswerStore:
    return FakeAnswerStore()


@pytest.fixture
def keeper(database: FakeDatabase, store: FakeAnswerStore) -> Iterator[AnswerKeeper]:
    """Not started: a test starts it once it has queued what it wants queued together."""
    made = AnswerKeeper(database.listing, database.assemble, store)
    yield made
    assert made.stop(timeout=WAIT)


def done(keeper: AnswerKeeper) -> None:
    assert wait_until(lambda: keeper.pending() == 0), "the keeper did not finish its work"


def expected_body(database: FakeDatabase) -> bytes:
    listing = database.listing("study")
    assert listing is not None
    return answer_body([database.assemble(listing.instance_ids, "", "study")])


def test_preparing_stores_the_answer_of_a_study_without_one(
    database: FakeDatabase, store: FakeAnswerStore, keeper: AnswerKeeper
) -> None:
    keeper.prepare("study")
    keeper.start()
    done(keeper)
    stored = decode(store.values["study"])
    listing = database.listing("study")
    assert stored is not None and listing is not None
    assert stored.etag == etag_of([listing], "")
    assert stored.body_digest == digest_of(expected_body(database))
    assert keeper.stored("study") == stored


def test_a_study_is_prepared_once_however_often_it_is_asked_meanwhile(
    database: FakeDatabase, keeper: AnswerKeeper
) -> None:
    for _ in range(3):
        keeper.prepare("study")
    assert keeper.pending() == 1
    keeper.start()
    done(keeper)
    assert len(database.assembled) == 1


def test_a_study_whose_answer_is_stored_with_its_etag_is_not_assembled_again(
    database: FakeDatabase, store: FakeAnswerStore, keeper: AnswerKeeper
) -> None:
    keeper.start()
    keeper.prepare("study")
    done(keeper)
    writes: list[bytes] = []

    def recorded(study_id: str, data: bytes, replacing: bool) -> None:
        writes.append(data)

    store.store_answer = recorded  # type: ignore[method-assign]
    keeper.prepare("study")
    done(keeper)
    assert len(database.assembled) == 1 and writes == []
    database.series["series-2"] = ("20261122T000002", ["i3", "i4"])
    keeper.prepare("study")
    done(keeper)
    assert len(database.assembled) == 2 and len(writes) == 1


def test_an_answer_to_keep_replaces_a_pending_preparation_and_the_latest_wins(
    database: FakeDatabase, store: FakeAnswerStore, keeper: AnswerKeeper
) -> None:
    keeper.prepare("study")
    keeper.keep("study", 'W/"one"', b'{"studies":[1]}')
    keeper.keep("study", 'W/"two"', b'{"studies":[2]}')
    keeper.prepare("study")
    assert keeper.pending() == 1
    keeper.start()
    done(keeper)
    stored = decode(store.values["study"])
    assert stored is not None and stored.etag == 'W/"two"'
    assert database.assembled == []  # keeping an answer assembles nothing


def test_the_queue_is_bounded(keeper: AnswerKeeper) -> None:
    for index in range(MAX_PENDING + 10):
        keeper.keep(f"study-{index}", "etag", b"{}")
    assert keeper.pending() == MAX_PENDING
    keeper.keep("study-0", "etag", b"{}")  # a study already queued is still taken
    assert keeper.pending() == MAX_PENDING


def test_a_failing_store_is_logged_and_the_worker_goes_on(
    store: FakeAnswerStore, keeper: AnswerKeeper, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(study_id: str, data: bytes, replacing: bool) -> None:
        raise RuntimeError("disk full")

    writes: list[str] = []
    store.store_answer = broken  # type: ignore[method-assign]
    keeper.keep("study", "etag", b"{}")
    keeper.start()
    done(keeper)
    assert "Storing the answer of study study failed" in caplog.text
    store.store_answer = lambda study_id, data, replacing: writes.append(study_id)  # type: ignore[method-assign]
    keeper.keep("other", "etag", b"{}")
    done(keeper)
    assert writes == ["other"]


def test_a_deleted_study_is_not_stored(store: FakeAnswerStore, keeper: AnswerKeeper) -> None:
    keeper.start()
    keeper.prepare("other")
    done(keeper)
    assert store.values == {}


def test_a_preparation_that_left_instances_out_keeps_the_stored_answer(database: FakeDatabase) -> None:
    store = FakeAnswerStore()
    store.values["study"] = b"earlier"
    keeper = AnswerKeeper(database.listing, database.assemble_leaving_one_out, store)
    keeper.start()
    try:
        keeper.prepare("study")
        done(keeper)
    finally:
        assert keeper.stop(timeout=WAIT)
    assert database.assembled, "the study was assembled"
    assert store.values["study"] == b"earlier"


def test_the_thread_stops_and_is_gone(keeper: AnswerKeeper) -> None:
    keeper.start()
    assert any(thread.name == "ohif-study-answers" and thread.is_alive() for thread in threading.enumerate())
    assert keeper.stop(timeout=WAIT)
    assert not any(thread.name == "ohif-study-answers" and thread.is_alive() for thread in threading.enumerate())
    keeper.prepare("study")  # after stopping: queued, never done
