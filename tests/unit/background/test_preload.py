"""The bounded preload queue and its worker thread (ohif_plugin.background.preload)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from ohif_plugin.background.preload import BACKGROUND_NICENESS, PreloadWorker
from tests.support.fakes import wait_until

WAIT = 5.0  # seconds; only reached when something is wrong


def _item(number: int) -> str:
    return f"instance-{number}"


class Recorder:
    def __init__(self, expected: int = 0) -> None:
        self.handled: list[str] = []
        self.threads: set[int] = set()
        self.errors: list[tuple[str, BaseException]] = []
        self.expected = expected
        self.done = threading.Event()
        self.release = threading.Event()
        self.started = threading.Event()
        self.block = False

    def handle(self, instance_id: str) -> None:
        self.started.set()
        if self.block:
            assert self.release.wait(WAIT)
        self.threads.add(threading.get_ident())
        self.handled.append(instance_id)
        if instance_id.endswith("-boom"):
            raise RuntimeError("boom")
        self._check_done()

    def on_error(self, instance_id: str, error: BaseException) -> None:
        self.errors.append((instance_id, error))
        self._check_done()

    def _check_done(self) -> None:
        if len(self.handled) >= self.expected:
            self.done.set()


@pytest.fixture
def workers() -> Iterator[list[PreloadWorker]]:
    started: list[PreloadWorker] = []
    yield started
    for worker in started:
        worker.stop(timeout=1.0)


def _start(workers: list[PreloadWorker], recorder: Recorder, capacity: int = 100) -> PreloadWorker:
    worker = PreloadWorker(recorder.handle, recorder.on_error, capacity=capacity)
    workers.append(worker)
    worker.start()
    return worker


def test_items_handled_in_order_on_another_thread(workers: list[PreloadWorker]) -> None:
    recorder = Recorder(expected=20)
    worker = _start(workers, recorder)
    for number in range(20):
        assert worker.offer(_item(number))
    assert recorder.done.wait(WAIT)
    assert recorder.handled == [f"instance-{number}" for number in range(20)]
    assert recorder.threads and threading.get_ident() not in recorder.threads
    assert len(recorder.threads) == 1
    assert worker.dropped == 0
    assert recorder.errors == []


def test_offer_never_blocks_and_drops_when_full(
    workers: list[PreloadWorker], caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    recorder.block = True
    worker = _start(workers, recorder, capacity=3)
    assert worker.offer(_item(0))
    assert recorder.started.wait(WAIT)  # item 0 is in hand, the queue is empty again
    assert all(worker.offer(_item(number)) for number in (1, 2, 3))
    assert worker.pending() == 3
    began = time.monotonic()
    assert worker.offer(_item(4)) is False
    assert worker.offer(_item(5)) is False
    assert time.monotonic() - began < 0.5
    assert worker.dropped == 2
    full = [record for record in caplog.records if "Preload queue full" in record.getMessage()]
    assert len(full) == 1 and full[0].levelname == "WARNING"  # said once, not once per instance dropped
    recorder.expected = 4
    recorder.release.set()
    assert recorder.done.wait(WAIT)
    assert recorder.handled == ["instance-0", "instance-1", "instance-2", "instance-3"]


def test_handler_error_goes_to_on_error_and_worker_continues(workers: list[PreloadWorker]) -> None:
    recorder = Recorder(expected=3)
    worker = _start(workers, recorder)
    boom = "instance-boom"
    for item in (_item(0), boom, _item(2)):
        assert worker.offer(item)
    assert recorder.done.wait(WAIT)
    assert recorder.handled == ["instance-0", "instance-boom", "instance-2"]
    assert len(recorder.errors) == 1
    instance_id, error = recorder.errors[0]
    assert instance_id == "instance-boom"
    assert isinstance(error, RuntimeError) and str(error) == "boom"


def test_stop_discards_queued_items(workers: list[PreloadWorker]) -> None:
    recorder = Recorder()
    recorder.block = True
    worker = _start(workers, recorder, capacity=3)
    assert worker.offer(_item(0))
    assert recorder.started.wait(WAIT)
    assert all(worker.offer(_item(number)) for number in (1, 2, 3))
    # The item in hand is blocked: stop cannot finish, but it empties the queue at once.
    assert worker.stop(timeout=0.2) is False
    assert worker.offer(_item(9)) is False
    recorder.release.set()
    began = time.monotonic()
    assert worker.stop(timeout=WAIT) is True
    assert time.monotonic() - began < 1.0
    assert recorder.handled == ["instance-0"]
    assert worker.dropped == 0  # refused after stop is not "dropped because full"


def test_stop_is_prompt_with_many_items_queued(workers: list[PreloadWorker]) -> None:
    handled: list[str] = []

    def slow(instance_id: str) -> None:
        time.sleep(0.05)
        handled.append(instance_id)

    worker = PreloadWorker(slow, lambda instance_id, error: None, capacity=1000)
    workers.append(worker)
    worker.start()
    for number in range(200):
        assert worker.offer(_item(number))
    began = time.monotonic()
    assert worker.stop(timeout=WAIT) is True
    assert time.monotonic() - began < 1.0
    assert len(handled) < 20
    assert worker.pending() == 0
    assert worker.offer(_item(999)) is False


def test_stop_before_start_and_twice(workers: list[PreloadWorker]) -> None:
    recorder = Recorder()
    worker = PreloadWorker(recorder.handle, recorder.on_error, capacity=3)
    assert worker.offer(_item(0))
    assert worker.stop(timeout=1.0) is True
    assert worker.stop(timeout=1.0) is True
    assert worker.offer(_item(1)) is False
    assert recorder.handled == []


def test_the_worker_runs_at_the_lowest_cpu_priority() -> None:
    seen: list[int] = []
    done = threading.Event()

    def handle(instance_id: str) -> None:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        done.set()

    worker = PreloadWorker(handle, lambda instance_id, error: None)
    worker.start()
    try:
        assert worker.offer(_item(1))
        assert done.wait(WAIT)
    finally:
        assert worker.stop(WAIT)
    assert seen == [BACKGROUND_NICENESS]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) != BACKGROUND_NICENESS  # only that thread


def _stream(worker: PreloadWorker, seconds: float) -> float:
    """Offer an item every 10 ms for ``seconds``; returns when the last was offered."""
    started = time.monotonic()
    number = 0
    while time.monotonic() - started < seconds:
        assert worker.offer(_item(number))
        number += 1
        time.sleep(0.01)
    return time.monotonic()


def test_the_worker_waits_for_uploads_to_pause() -> None:
    handled: list[tuple[str, float]] = []
    worker = PreloadWorker(lambda instance_id: handled.append((instance_id, time.monotonic())),
                           lambda instance_id, error: None, quiet_period=0.1, max_deferral=30.0)
    worker.start()
    try:
        last_offer = _stream(worker, 0.4)
        deadline = time.monotonic() + WAIT
        while worker.pending() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        assert worker.stop(WAIT)
    assert handled, "nothing was handled after the pause"
    assert min(moment for _, moment in handled) >= last_offer  # nothing while instances kept arriving
    assert [name for name, _ in handled] == [f"instance-{n}" for n in range(len(handled))]


def test_the_worker_does_not_wait_longer_than_the_maximum_deferral() -> None:
    handled: list[tuple[str, float]] = []
    worker = PreloadWorker(lambda instance_id: handled.append((instance_id, time.monotonic())),
                           lambda instance_id, error: None, quiet_period=0.1, max_deferral=0.1)
    worker.start()
    try:
        last_offer = _stream(worker, 0.6)
    finally:
        assert worker.stop(WAIT)
    assert any(moment < last_offer for _, moment in handled)  # work went on during the stream


def test_the_worker_starts_before_the_pause_when_the_queue_fills() -> None:
    handled: list[tuple[str, float]] = []
    worker = PreloadWorker(lambda instance_id: handled.append((instance_id, time.monotonic())),
                           lambda instance_id, error: None, capacity=20, quiet_period=0.1, max_deferral=30.0)
    worker.start()
    try:
        last_offer = _stream(worker, 0.6)  # about 50 offers into a queue of 20, half full after 10
    finally:
        assert worker.stop(WAIT)
    assert any(moment < last_offer for _, moment in handled)  # work went on during the stream
    assert worker.dropped == 0, "the worker kept room in the queue"


def test_repairs_go_through_the_same_queue_to_their_own_handler(workers: list[PreloadWorker]) -> None:
    new = Recorder()
    repaired: list[str] = []
    worker = PreloadWorker(new.handle, new.on_error, repair=repaired.append, quiet_period=0.0)
    workers.append(worker)
    worker.start()
    assert worker.offer("new-1")
    assert worker.offer_repair("changed-1")
    assert worker.offer("new-2")
    assert wait_until(lambda: len(new.handled) + len(repaired) == 3)
    assert new.handled == ["new-1", "new-2"]
    assert repaired == ["changed-1"]
