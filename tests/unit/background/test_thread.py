"""The base of every background thread (ohif_plugin.background.thread)."""

from __future__ import annotations

import os
import threading

import pytest

from ohif_plugin.background.thread import BackgroundThread, lower_this_thread
from tests.support.fakes import WAIT


class Waiting(BackgroundThread):
    """Records its nice value, then waits until it is asked to stop."""

    def __init__(self, niceness: int | None = None) -> None:
        super().__init__("test-waiting", niceness)
        self.running = threading.Event()
        self.niceness_seen: int | None = None
        self.thread_name: str | None = None

    def run(self) -> None:
        self.niceness_seen = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        self.thread_name = threading.current_thread().name
        self.running.set()
        self.stopping.wait()


class Stubborn(BackgroundThread):
    """Ignores :attr:`stopping` until released."""

    def __init__(self) -> None:
        super().__init__("test-stubborn", None)
        self.release = threading.Event()

    def run(self) -> None:
        self.release.wait(WAIT)


class Failing(BackgroundThread):
    def __init__(self) -> None:
        super().__init__("test-failing", None)

    def run(self) -> None:
        raise RuntimeError("broken on purpose")


def test_stop_before_start_is_immediate_and_true() -> None:
    thread = Waiting()
    assert thread.stop(timeout=0) is True
    assert thread.stopping.is_set()


def test_the_thread_runs_under_its_name_and_stops_when_asked() -> None:
    thread = Waiting()
    thread.start()
    assert thread.running.wait(WAIT)
    assert thread.thread_name == "test-waiting"
    assert thread.stop(timeout=WAIT) is True
    assert thread.stop(timeout=WAIT) is True  # twice is harmless


def test_the_niceness_is_added_to_the_threads_own_nice_value_only() -> None:
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = Waiting(niceness=5)
    thread.start()
    try:
        assert thread.running.wait(WAIT)
    finally:
        assert thread.stop(WAIT)
    assert thread.niceness_seen == min(own + 5, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own


def test_without_niceness_the_thread_keeps_the_process_nice_value() -> None:
    thread = Waiting(niceness=None)
    thread.start()
    try:
        assert thread.running.wait(WAIT)
    finally:
        assert thread.stop(WAIT)
    assert thread.niceness_seen == os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_thread_still_working_after_the_timeout_is_reported() -> None:
    thread = Stubborn()
    thread.start()
    assert thread.stop(timeout=0.05) is False
    thread.release.set()
    assert thread.stop(timeout=WAIT) is True


def test_an_error_in_run_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    errors: list[threading.ExceptHookArgs] = []
    previous, threading.excepthook = threading.excepthook, errors.append
    try:
        thread = Failing()
        thread.start()
        assert thread.stop(timeout=WAIT) is True
    finally:
        threading.excepthook = previous
    assert errors == []  # nothing escaped the thread
    [record] = [record for record in caplog.records if "test-failing" in record.getMessage()]
    assert record.levelname == "ERROR"
    assert "Background thread test-failing ended on an error" in record.getMessage()
    assert record.exc_info is not None and "broken on purpose" in str(record.exc_info[1])


def test_run_must_be_written_by_the_subclass(caplog: pytest.LogCaptureFixture) -> None:
    thread = BackgroundThread("test-base", None)
    thread.start()
    assert thread.stop(timeout=WAIT)
    assert any(record.exc_info and record.exc_info[0] is NotImplementedError for record in caplog.records)


def test_lowering_the_calling_thread_is_best_effort(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*arguments: object) -> None:
        raise PermissionError("not allowed")

    monkeypatch.setattr(os, "setpriority", refused)
    lower_this_thread(5)  # no error
