"""A bounded queue and one worker thread that write summaries off the ingestion path.

Ingestion should not wait for a summary to be computed, nor compete with it
while an upload goes on. The on-change callback (NEW_INSTANCE) therefore only
offers the instance ID here; a full queue drops it, and that instance's summary
is computed on first display (or by the backfill). Summaries changed behind the
plugin's back (deleted or overwritten through the REST API) are repaired from
the same queue.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import time
from collections.abc import Callable

from ohif_plugin.background.thread import BackgroundThread

logger = logging.getLogger(__name__)

DEFAULT_CAPACITY = 20_000
"""Instance IDs waiting for their summary: a few megabytes when full."""
BACKGROUND_NICENESS = 19
"""The worker's thread runs at the lowest CPU priority: ingestion and viewers come first."""
QUIET_PERIOD = 0.05
"""Seconds without a new offer before the worker starts: it stays out of the way of an upload,
whose instances arrive milliseconds apart, for as long as it lasts..."""
MAX_DEFERRAL = 60.0
"""...unless an item has waited this long, so that continuous ingestion is preloaded too..."""
START_WHEN_FILLED = 0.5
"""...or the queue is this full: better to slow a long upload a little than to drop its preloads."""

DROPS_LOGGED = frozenset(10**power for power in range(10))
"""Dropped offers logged: the 1st, 10th, 100th...: a long burst says so without filling the log."""

_STOP = object()


class PreloadWorker(BackgroundThread):
    """Runs ``handle`` on each offered instance ID (``repair`` on each one offered for repair), in order,
    on a single thread."""

    def __init__(
        self,
        handle: Callable[[str], None],
        on_error: Callable[[str, BaseException], None],
        repair: Callable[[str], None] | None = None,
        capacity: int = DEFAULT_CAPACITY,
        niceness: int | None = BACKGROUND_NICENESS,
        quiet_period: float = QUIET_PERIOD,
        max_deferral: float = MAX_DEFERRAL,
        start_when_filled: float = START_WHEN_FILLED,
    ) -> None:
        super().__init__("ohif-preload", niceness)
        self._handle = handle
        self._repair = repair or handle
        self._on_error = on_error
        self._queue: queue.Queue[object] = queue.Queue(maxsize=capacity)
        self.dropped = 0
        self._quiet_period = quiet_period
        self._max_deferral = max_deferral
        self._start_at = max(1, int(capacity * start_when_filled))
        """Queued items at which the worker stops waiting for the upload to pause."""
        self._last_offer = 0.0

    def offer(self, instance_id: str) -> bool:
        """Queue a new instance without ever blocking; False if it was dropped."""
        return self._put(instance_id, self._handle)

    def offer_repair(self, instance_id: str) -> bool:
        """Queue an instance whose summary may have been changed, without ever blocking."""
        return self._put(instance_id, self._repair)

    def _put(self, instance_id: str, handle: Callable[[str], None]) -> bool:
        if self.stopping.is_set():
            return False
        self._last_offer = time.monotonic()
        try:
            self._queue.put_nowait((instance_id, self._last_offer, handle))
            return True
        except queue.Full:
            self.dropped += 1
            if self.dropped in DROPS_LOGGED:
                logger.warning(
                    "Preload queue full: %d instance(s) will get their summary on first display", self.dropped
                )
            return False

    def pending(self) -> int:
        return self._queue.qsize()

    def wake(self) -> None:
        """Stop after the item in hand: what is still queued is left for first display."""
        try:
            while True:
                self._queue.get_nowait()
                self._queue.task_done()
        except queue.Empty:
            pass
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_STOP)

    def run(self) -> None:
        while True:
            entry = self._queue.get()
            try:
                if entry is _STOP:
                    return
                assert isinstance(entry, tuple)
                instance_id, offered, handle = entry
                self._wait_for_quiet(offered)
                if self.stopping.is_set():
                    continue
                try:
                    handle(instance_id)
                except Exception as error:  # never let the worker die
                    self._on_error(instance_id, error)
            finally:
                self._queue.task_done()

    def _wait_for_quiet(self, offered: float) -> None:
        """Wait while instances keep arriving (see :data:`QUIET_PERIOD` and what follows it)."""
        while not self.stopping.is_set():
            now = time.monotonic()
            quiet_for = now - self._last_offer
            if (
                quiet_for >= self._quiet_period
                or now - offered >= self._max_deferral
                or self._queue.qsize() >= self._start_at
            ):
                return
            self.stopping.wait(self._quiet_period - quiet_for)
