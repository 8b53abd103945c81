"""Orthanc's change events as a table, and the background threads' lifecycle
(ohif_plugin.orthanc_adapter.changes), with a stand-in for the ``orthanc`` module."""

from __future__ import annotations

import threading

import pytest

from ohif_plugin.background.thread import BackgroundThread
from ohif_plugin.orthanc_adapter import changes
from ohif_plugin.orthanc_adapter.changes import (
    ChangeEvents,
    Lifecycle,
    lifecycle_table,
    preload_table,
    repair_table,
    unless_echo,
)
from ohif_plugin.orthanc_adapter.own_writes import OwnWrites
from tests.support.fakes import WAIT, ChangeType, ResourceType, stand_in_orthanc


class Recorded(BackgroundThread):
    """A thread that records its start and stop; ``stubborn`` ignores being asked to stop."""

    def __init__(self, name: str, log: list[str], stubborn: bool = False) -> None:
        super().__init__(name, None)
        self.log = log
        self.stubborn = stubborn
        self.release = threading.Event()

    def start(self) -> None:
        self.log.append(f"start {self.name}")
        super().start()

    def run(self) -> None:
        if self.stubborn:
            self.release.wait(WAIT)
        else:
            self.stopping.wait()


def test_each_change_goes_to_the_handler_of_its_type_and_others_are_ignored() -> None:
    seen: list[tuple[str, str]] = []
    events = ChangeEvents({1: lambda resource: seen.append(("one", resource)),
                           2: lambda resource: seen.append(("two", resource))})
    events(2, 0, "b")
    events(1, 0, "a")
    events(3, 0, "c")
    assert seen == [("two", "b"), ("one", "a")]


def test_the_table_follows_the_change_types_by_name() -> None:
    new: list[str] = []
    stable: list[str] = []
    metadata: list[str] = []
    lifecycle = Lifecycle([])
    orthanc = stand_in_orthanc()
    table = (
        lifecycle_table(orthanc, lifecycle)
        | preload_table(orthanc, new.append, stable.append)
        | repair_table(orthanc, metadata.append)
    )
    assert table == {
        ChangeType.ORTHANC_STARTED: lifecycle.started,
        ChangeType.ORTHANC_STOPPED: lifecycle.stopped,
        ChangeType.NEW_INSTANCE: new.append,
        ChangeType.STABLE_STUDY: stable.append,
        (ChangeType.UPDATED_METADATA, ResourceType.INSTANCE): metadata.append,
    }
    assert ChangeType.DELETED not in table


def test_without_preload_only_the_lifecycle_is_followed() -> None:
    table = lifecycle_table(stand_in_orthanc(), Lifecycle([]))
    assert set(table) == {ChangeType.ORTHANC_STARTED, ChangeType.ORTHANC_STOPPED}


def test_a_new_instance_dispatched_through_the_table_reaches_its_handler() -> None:
    offered: list[str] = []
    stable: list[str] = []
    events = ChangeEvents(preload_table(stand_in_orthanc(), offered.append, stable.append))
    events(ChangeType.NEW_INSTANCE, ResourceType.INSTANCE, "instance-1")
    events(ChangeType.STABLE_STUDY, ResourceType.STUDY, "study-1")
    assert offered == ["instance-1"]
    assert stable == ["study-1"]


def test_metadata_changes_are_followed_at_the_instance_level_only() -> None:
    changed: list[str] = []
    events = ChangeEvents(repair_table(stand_in_orthanc(), changed.append))
    events(ChangeType.UPDATED_METADATA, ResourceType.STUDY, "study-1")
    events(ChangeType.UPDATED_METADATA, ResourceType.SERIES, "series-1")
    events(ChangeType.UPDATED_METADATA, ResourceType.INSTANCE, "instance-1")
    assert changed == ["instance-1"]


def test_the_echo_of_the_plugins_own_write_is_not_taken_for_a_change() -> None:
    own_writes = OwnWrites()
    repaired: list[str] = []
    handler = unless_echo(own_writes, repaired.append)
    own_writes.wrote("written")
    handler("written")  # the echo of our write
    handler("written")  # a second change: someone else's
    handler("other")
    assert repaired == ["written", "other"]


def test_started_runs_the_start_up_actions_then_starts_every_thread() -> None:
    log: list[str] = []
    threads = [Recorded("first", log), Recorded("second", log)]
    lifecycle = Lifecycle(threads, [lambda: log.append("check")])
    events = ChangeEvents(lifecycle_table(stand_in_orthanc(), lifecycle))
    events(ChangeType.ORTHANC_STARTED, 0, "")
    try:
        assert log == ["check", "start first", "start second"]
        alive = {thread.name for thread in threading.enumerate()}
        assert {"first", "second"} <= alive
    finally:
        events(ChangeType.ORTHANC_STOPPED, 0, "")
    assert all(thread.stopping.is_set() for thread in threads)
    assert not {"first", "second"} & {thread.name for thread in threading.enumerate()}


def test_a_thread_that_does_not_stop_is_warned_about_and_the_others_still_stop(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(changes, "STOP_TIMEOUT", 0.2)
    log: list[str] = []
    stubborn = Recorded("stubborn", log, stubborn=True)
    polite = Recorded("polite", log)
    lifecycle = Lifecycle([stubborn, polite])
    lifecycle.started()
    try:
        lifecycle.stopped()
        warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
        assert len(warnings) == 1
        assert warnings[0].startswith("The stubborn thread did not stop within")
        assert polite.stopping.is_set()
        assert "polite" not in {thread.name for thread in threading.enumerate()}
    finally:
        stubborn.release.set()
        assert stubborn.stop(WAIT)


def test_stopping_before_starting_warns_about_nothing(caplog: pytest.LogCaptureFixture) -> None:
    Lifecycle([Recorded("never-started", [])]).stopped()
    assert [record for record in caplog.records if record.levelname == "WARNING"] == []
