"""Stored study answers (:mod:`ohif_plugin.stored_answer`) written and checked off the request path.

One low-priority thread does two kinds of work, one entry per study:

- *keep*: an answer was just assembled for a request; compress and store it;
- *check*: an answer was sent from storage, or the study became stable
  (with Preload on); assemble the study again, which rebuilds any summary
  deleted or damaged since, and store the answer if it is new or differs.
  This is the assembly a display did before answers were stored, done
  after the answer, or ahead of the first one, instead of before it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from ohif_plugin.background import lower_this_thread
from ohif_plugin.cache import Counters
from ohif_plugin.stored_answer import StoredAnswer, decode, digest_of, encode, stored_answer
from ohif_plugin.study_answer import StudyListing, answer_body, etag_of

logger = logging.getLogger(__name__)

MAX_PENDING = 100
"""Studies waiting; more are left for a later request (a kept answer holds its JSON in memory)."""
NICENESS = 10


class AnswerStore(Protocol):
    def stored_answer(self, study_id: str) -> bytes | None: ...

    def store_answer(self, study_id: str, data: bytes) -> None: ...


Assemble = Callable[[list[str], str, str], dict[str, Any]]


class StudyRefresher:
    def __init__(
        self,
        listing: Callable[[str], StudyListing | None],
        assemble: Assemble,
        store: AnswerStore,
        counters: Counters,
    ) -> None:
        self._listing = listing
        self._assemble = assemble
        self._store = store
        self._counters = counters
        self._pending: dict[str, tuple[str, bytes] | None] = {}
        """Study -> (ETag, JSON) to keep, or None to check; in the order they came."""
        self._working = 0
        """1 while an entry is being done: counted as pending, so that "nothing pending" means done."""
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="ohif-study-refresh", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        with self._condition:
            self._stopping = True
            self._condition.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def stored(self, study_id: str) -> StoredAnswer | None:
        """The study's stored answer if intact, whatever its ETag."""
        data = self._store.stored_answer(study_id)
        return decode(data) if data is not None else None

    def keep(self, study_id: str, etag: str, body: bytes) -> None:
        self._offer(study_id, (etag, body))

    def check(self, study_id: str) -> None:
        self._offer(study_id, None)

    def pending(self) -> int:
        with self._condition:
            return len(self._pending) + self._working

    def run_pending(self) -> None:
        """Do every pending entry on the calling thread (the worker's loop, and tests)."""
        while (entry := self._next(wait=False)) is not None:
            self._do(*entry)

    def _offer(self, study_id: str, work: tuple[str, bytes] | None) -> None:
        with self._condition:
            if study_id not in self._pending and len(self._pending) >= MAX_PENDING:
                return  # the next request of this study offers it again
            if work is not None or study_id not in self._pending:
                self._pending[study_id] = work  # an answer to keep makes a check needless
            self._condition.notify()

    def _next(self, wait: bool) -> tuple[str, tuple[str, bytes] | None] | None:
        with self._condition:
            while wait and not self._pending and not self._stopping:
                self._condition.wait()
            if self._stopping or not self._pending:
                return None
            study_id = next(iter(self._pending))
            self._working = 1
            return study_id, self._pending.pop(study_id)

    def _run(self) -> None:
        lower_this_thread(NICENESS)
        while (entry := self._next(wait=True)) is not None:
            self._do(*entry)

    def _do(self, study_id: str, work: tuple[str, bytes] | None) -> None:
        try:
            if work is None:
                self._check(study_id)
            else:
                self._keep(study_id, *work)
        except Exception:  # never let the thread die; the study is assembled on request meanwhile
            logger.exception("Storing the answer of study %s failed", study_id)
        finally:
            with self._condition:
                self._working = 0

    def _keep(self, study_id: str, etag: str, body: bytes) -> None:
        self._store.store_answer(study_id, encode(stored_answer(etag, body)))

    def _check(self, study_id: str) -> None:
        listing = self._listing(study_id)
        if listing is None:
            return  # deleted, and its attachment with it
        etag = etag_of([listing], "")
        failed_before = self._counters.failed
        body = answer_body([self._assemble(listing.instance_ids, "", study_id)])
        if self._counters.failed != failed_before:
            return  # instances left out: the stored answer is not replaced by a worse one
        current = self.stored(study_id)
        if current is None or current.etag != etag or current.body_digest != digest_of(body):
            self._keep(study_id, etag, body)
