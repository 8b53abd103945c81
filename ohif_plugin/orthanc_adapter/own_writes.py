"""Telling the plugin's own writes of metadata 4202 from changes made behind its back.

Orthanc reports every write of an instance's metadata as an UPDATED_METADATA
change, the plugin's own included. Those echoes must not be taken for a
summary deleted or overwritten by someone else: repairing each would read
every summary the plugin just wrote, and keep the preload queue from ever
falling quiet during an upload.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

CAPACITY = 50_000
"""Writes remembered at most; the oldest are forgotten first (their echo came long ago, or never will)."""


class OwnWrites:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, int] = OrderedDict()
        """Instance -> writes whose change event has not come back yet."""

    def wrote(self, instance_id: str) -> None:
        """Called before the write, so that its echo can never come first."""
        with self._lock:
            self._pending[instance_id] = self._pending.get(instance_id, 0) + 1
            if len(self._pending) > self._capacity:
                self._pending.popitem(last=False)

    def failed(self, instance_id: str) -> None:
        """The write did not happen: no echo will come."""
        with self._lock:
            self._take(instance_id)

    def is_echo(self, instance_id: str) -> bool:
        """Whether this change of the instance's metadata is the echo of one of our writes."""
        with self._lock:
            return self._take(instance_id)

    def _take(self, instance_id: str) -> bool:
        count = self._pending.get(instance_id, 0)
        if count == 0:
            return False
        if count == 1:
            del self._pending[instance_id]
        else:
            self._pending[instance_id] = count - 1
        return True
