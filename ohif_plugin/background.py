"""Background threads yield the processor to Orthanc's own work (ingestion, requests)."""

from __future__ import annotations

import contextlib
import os
import threading


def lower_this_thread(niceness: int) -> None:
    """Add ``niceness`` to the calling thread's nice value, best effort.

    On Linux a thread has its own nice value, set through its thread id.
    """
    with contextlib.suppress(OSError, AttributeError):
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + niceness)
