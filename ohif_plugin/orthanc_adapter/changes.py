"""Orthanc's change events as a table, and the background threads started and stopped together.

The ``orthanc`` module is passed in, not imported, so that the table can be
built and dispatched in unit tests with a stand-in for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ohif_plugin.background.thread import BackgroundThread
from ohif_plugin.orthanc_adapter.own_writes import OwnWrites

logger = logging.getLogger(__name__)

ChangeHandler = Callable[[str], object]
"""Called with the changed resource's Orthanc identifier."""

STOP_TIMEOUT = 10.0
"""Seconds Orthanc's shutdown waits for the background threads, all together."""


ChangeKey = int | tuple[int, int]
"""A change type, or (change type, resource level) for a handler of one level only."""


class ChangeEvents:
    """Orthanc's on-change callback: each change goes to the handler of its type (and level), others are
    ignored."""

    def __init__(self, handlers: Mapping[ChangeKey, ChangeHandler]) -> None:
        self.handlers = dict(handlers)

    def __call__(self, change_type: int, level: int, resource_id: str) -> None:
        handler = self.handlers.get((change_type, level)) or self.handlers.get(change_type)
        if handler is not None:
            handler(resource_id)


class Lifecycle:
    """Start-up checks and the background threads: run when Orthanc has started, stopped when it stops."""

    def __init__(self, threads: Sequence[BackgroundThread], on_started: Sequence[Callable[[], None]] = ()) -> None:
        self.threads = tuple(threads)
        self._on_started = tuple(on_started)

    def started(self, resource_id: str = "") -> None:
        for action in self._on_started:
            action()
        for thread in self.threads:
            thread.start()

    def stopped(self, resource_id: str = "") -> None:
        deadline = time.monotonic() + STOP_TIMEOUT
        for thread in self.threads:
            thread.stop(timeout=0)  # all asked at once, then waited for
        for thread in self.threads:
            if not thread.stop(timeout=max(0.0, deadline - time.monotonic())):
                logger.warning("The %s thread did not stop within %.0f s", thread.name, STOP_TIMEOUT)


def unless_echo(own_writes: OwnWrites, handler: ChangeHandler) -> ChangeHandler:
    """``handler``, for the changes that are not the echo of the plugin's own writes."""

    def handle(resource_id: str) -> object:
        return None if own_writes.is_echo(resource_id) else handler(resource_id)

    return handle


def lifecycle_table(orthanc: Any, lifecycle: Lifecycle) -> dict[ChangeKey, ChangeHandler]:
    """Orthanc's start and stop: the plugin's threads with it."""
    return {
        orthanc.ChangeType.ORTHANC_STARTED: lifecycle.started,
        orthanc.ChangeType.ORTHANC_STOPPED: lifecycle.stopped,
    }


def preload_table(
    orthanc: Any, new_instance: ChangeHandler, stable_study: ChangeHandler
) -> dict[ChangeKey, ChangeHandler]:
    """With Preload on: new instances' summaries, and a stable study's answer, ahead of any display."""
    return {
        orthanc.ChangeType.NEW_INSTANCE: new_instance,
        orthanc.ChangeType.STABLE_STUDY: stable_study,
    }


def repair_table(orthanc: Any, instance_metadata: ChangeHandler) -> dict[ChangeKey, ChangeHandler]:
    """Wherever summaries are used: an instance's metadata changed behind the plugin's back."""
    return {(orthanc.ChangeType.UPDATED_METADATA, orthanc.ResourceType.INSTANCE): instance_metadata}
