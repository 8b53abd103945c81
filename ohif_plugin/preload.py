"""A bounded queue and one worker thread that write summaries off the ingestion path.

Ingestion should not wait for a summary to be computed, nor compete with it
while an upload goes on. The on-change callback (NEW_INSTANCE) therefore only
offers the instance ID here; a full queue drops it, and that instance's summary
is computed on first display (or by the backfill).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping

from ohif_plugin.background import lower_this_thread

DEFAULT_CAPACITY = 20_000
"""Instance IDs waiting for their summary; about 200 bytes each, so 4 MB when full."""
BACKGROUND_NICENESS = 19
"""The worker's thread runs at the lowest CPU priority: ingestion and viewers come first."""
QUIET_PERIOD = 0.05
"""Seconds without a new offer before the worker starts: it stays out of the way of an upload,
whose instances arrive milliseconds apart, for as long as it lasts..."""
MAX_DEFERRAL = 60.0
"""...unless an item has waited this long, so that continuous ingestion is preloaded too..."""
START_WHEN_FILLED = 0.5
"""...or the queue is this full: better to slow a long upload a little than to drop its preloads."""

DELAY_VARIABLE = "OHIF_PLUGIN_TEST_PRELOAD_DELAY"
"""Undocumented, for the fault tests only: seconds the worker waits before each item.

The worker outpaces ingestion, so without it no test can kill Orthanc while
the queue is full. Unset (the default), the worker never waits.
"""


def delay_from_environment(environment: Mapping[str, str]) -> float:
    """The test delay, 0 when unset or not a non-negative number."""
    try:
        delay = float(environment.get(DELAY_VARIABLE, "0"))
    except ValueError:
        return 0.0
    return delay if 0 < delay <= 60 else 0.0


CAPACITY_VARIABLE = "OHIF_PLUGIN_TEST_PRELOAD_CAPACITY"
"""Undocumented, for the fault tests only: a smaller queue, so that filling it takes
thousands of uploads rather than twenty thousand (minutes on every release tested)."""


def capacity_from_environment(environment: Mapping[str, str]) -> int:
    """The test capacity, :data:`DEFAULT_CAPACITY` when unset or not a number from 100 to the default."""
    try:
        capacity = int(environment.get(CAPACITY_VARIABLE, str(DEFAULT_CAPACITY)))
    except ValueError:
        return DEFAULT_CAPACITY
    return capacity if 100 <= capacity <= DEFAULT_CAPACITY else DEFAULT_CAPACITY


_STOP = object()


class PreloadWorker:
    """Runs ``handle`` on each offered instance ID, in order, on a single thread."""

    def __init__(
        self,
        handle: Callable[[str], None],
        on_error: Callable[[str, BaseException], None],
        capacity: int = DEFAULT_CAPACITY,
        delay: float = 0.0,
        niceness: int | None = BACKGROUND_NICENESS,
        quiet_period: float = QUIET_PERIOD,
        max_deferral: float = MAX_DEFERRAL,
        start_when_filled: float = START_WHEN_FILLED,
    ) -> None:
        self._handle = handle
        self._delay = delay
        self._on_error = on_error
        self._queue: queue.Queue[object] = queue.Queue(maxsize=capacity)
        self._thread = threading.Thread(target=self._run, name="ohif-preload", daemon=True)
        self._stopping = threading.Event()
        self.dropped = 0
        self._niceness = niceness
        self._quiet_period = quiet_period
        self._max_deferral = max_deferral
        self._start_at = max(1, int(capacity * start_when_filled))
        """Queued items at which the worker stops waiting for the upload to pause."""
        self._last_offer = 0.0

    def start(self) -> None:
        self._thread.start()

    def offer(self, instance_id: str) -> bool:
        """Queue an instance without ever blocking; False if it was dropped."""
        if self._stopping.is_set():
            return False
        self._last_offer = time.monotonic()
        try:
            self._queue.put_nowait((instance_id, self._last_offer))
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def pending(self) -> int:
        return self._queue.qsize()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop after the item in hand; what is still queued is left for first display.

        Returns False if the worker did not stop within ``timeout`` seconds.
        """
        self._stopping.set()
        try:
            while True:
                self._queue.get_nowait()
                self._queue.task_done()
        except queue.Empty:
            pass
        if not self._thread.is_alive():
            return True
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return False
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        if self._niceness is not None:
            lower_this_thread(self._niceness)
        while True:
            entry = self._queue.get()
            try:
                if entry is _STOP:
                    return
                assert isinstance(entry, tuple)
                instance_id, offered = entry
                self._wait_for_quiet(offered)
                if self._stopping.is_set():
                    continue
                if self._delay:
                    time.sleep(self._delay)
                try:
                    self._handle(instance_id)
                except Exception as error:  # never let the worker die
                    self._on_error(instance_id, error)
            finally:
                self._queue.task_done()

    def _wait_for_quiet(self, offered: float) -> None:
        """Wait while instances keep arriving (see :data:`QUIET_PERIOD` and what follows it)."""
        while not self._stopping.is_set():
            now = time.monotonic()
            quiet_for = now - self._last_offer
            if (
                quiet_for >= self._quiet_period
                or now - offered >= self._max_deferral
                or self._queue.qsize() >= self._start_at
            ):
                return
            self._stopping.wait(self._quiet_period - quiet_for)
