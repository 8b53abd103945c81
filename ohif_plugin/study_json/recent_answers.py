"""Answers assembled lately, shared: one assembly per change of a study, however many viewers ask at once.

An answer is assembled where no stored answer holds: a study's first display
before it is stable, a study just changed, an answer with a query (a link
token) or for several studies. Viewers that ask for the same answer while it
is being assembled (colleagues opening the same new study, a page reloaded)
wait for that assembly instead of starting their own; those that ask later
get it from memory while its ETag holds. Memory is bounded: the least
recently used answers are dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_BUDGET = 32 * 1024 * 1024
"""Bytes of answers kept in memory at most."""
WAIT_SECONDS = 60.0
"""How long a request waits for another's assembly before it assembles on its own."""

Key = tuple[str, str]
"""(study identifiers, query): what the answer is of."""


@dataclass(frozen=True)
class RecentAnswer:
    etag: str
    body: bytes
    complete: bool
    """No instance was left out: only such an answer is kept and shared."""


class RecentAnswers:
    def __init__(self, budget: int = DEFAULT_BUDGET, wait_seconds: float = WAIT_SECONDS) -> None:
        self._budget = budget
        self._wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._answers: OrderedDict[Key, RecentAnswer] = OrderedDict()
        self._bytes = 0
        self._in_flight: dict[tuple[Key, str], threading.Event] = {}

    def get(self, key: Key, etag: str, assemble: Callable[[], RecentAnswer]) -> tuple[RecentAnswer, bool]:
        """The answer of ``key`` at ``etag``, and whether this call assembled it.

        From memory, or from another request's assembly under way, or assembled
        here by calling ``assemble``.
        """
        while True:
            with self._lock:
                found = self._answers.get(key)
                if found is not None and found.etag == etag:
                    self._answers.move_to_end(key)
                    return found, False
                under_way = self._in_flight.get((key, etag))
                if under_way is None:
                    done = self._in_flight[(key, etag)] = threading.Event()
            if under_way is None:
                return self._assemble(key, etag, assemble, done), True
            if not under_way.wait(self._wait_seconds):
                return assemble(), True
            # Kept in memory now, unless instances were left out: then this request tries again.

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)

    def _assemble(
        self, key: Key, etag: str, assemble: Callable[[], RecentAnswer], done: threading.Event
    ) -> RecentAnswer:
        try:
            answer = assemble()
            if answer.complete:
                self._keep(key, answer)
            return answer
        finally:
            with self._lock:
                del self._in_flight[(key, etag)]
            done.set()

    def _keep(self, key: Key, answer: RecentAnswer) -> None:
        if len(answer.body) > self._budget:
            return
        with self._lock:
            replaced = self._answers.pop(key, None)
            if replaced is not None:
                self._bytes -= len(replaced.body)
            self._answers[key] = answer
            self._bytes += len(answer.body)
            while self._bytes > self._budget:
                _, dropped = self._answers.popitem(last=False)
                self._bytes -= len(dropped.body)
