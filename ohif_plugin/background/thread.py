"""The one shape of every background thread: a daemon at a lower priority that stops when asked.

Background work must yield the processor to Orthanc's own (ingestion,
requests): on Linux a thread has its own nice value, set through its thread
id. Every thread is started when Orthanc has started and stopped, with a
bounded wait, when it stops.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading

logger = logging.getLogger(__name__)


def lower_this_thread(niceness: int) -> None:
    """Add ``niceness`` to the calling thread's nice value, best effort."""
    with contextlib.suppress(OSError, AttributeError):
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + niceness)


class BackgroundThread:
    """Subclasses write :meth:`run`, which returns once :attr:`stopping` is set.

    A subclass that waits on something other than :attr:`stopping` (a queue,
    a condition) wakes that wait in :meth:`wake`.
    """

    def __init__(self, name: str, niceness: int | None) -> None:
        self.name = name
        self.stopping = threading.Event()
        self._niceness = niceness
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> bool:
        """Ask the thread to stop; False if it is still working after ``timeout`` seconds."""
        self.stopping.set()
        self.wake()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def wake(self) -> None:
        """Interrupt the thread's wait, after :attr:`stopping` was set."""

    def run(self) -> None:
        raise NotImplementedError

    def _main(self) -> None:
        if self._niceness is not None:
            lower_this_thread(self._niceness)
        try:
            self.run()
        except Exception:  # the plugin goes on without this thread; the log says why
            logger.exception("Background thread %s ended on an error", self.name)
