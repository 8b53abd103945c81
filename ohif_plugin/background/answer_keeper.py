"""Stored study answers (:mod:`ohif_plugin.study_json.stored_answer`) written and checked off the request path.

One low-priority thread does two kinds of work, one entry per study:

- *keep*: an answer was just assembled for a request; compress and store it;
- *prepare*: the study became stable (with Preload on); unless an answer with
  its current ETag is stored already, assemble it and store it, so that the
  first display is one read too.

Sending a stored answer starts no work here: an open of an unchanged study
costs nothing in the background.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from ohif_plugin.background.thread import BackgroundThread
from ohif_plugin.study_json.endpoint import answer_body
from ohif_plugin.study_json.listing import StudyListing, etag_of
from ohif_plugin.study_json.stored_answer import StoredAnswer, decode, encode, stored_answer
from ohif_plugin.study_json.summary_cache import Assembly

logger = logging.getLogger(__name__)

MAX_PENDING = 100
"""Studies waiting; more are left for a later request (a kept answer holds its JSON in memory)."""
NICENESS = 10


class AnswerStore(Protocol):
    def stored_answer(self, study_id: str) -> bytes | None: ...

    def store_answer(self, study_id: str, data: bytes, replacing: bool) -> None: ...


Assemble = Callable[[list[str], str, str], Assembly]


class AnswerKeeper(BackgroundThread):
    def __init__(self, listing: Callable[[str], StudyListing | None], assemble: Assemble, store: AnswerStore) -> None:
        super().__init__("ohif-study-answers", NICENESS)
        self._listing = listing
        self._assemble = assemble
        self._store = store
        self._pending: dict[str, tuple[str, bytes] | None] = {}
        """Study -> (ETag, JSON) to keep, or None to prepare; in the order they came."""
        self._working = 0
        """1 while an entry is being done: counted as pending, so that "nothing pending" means done."""
        self._condition = threading.Condition()

    def stored(self, study_id: str) -> StoredAnswer | None:
        """The study's stored answer if intact, whatever its ETag."""
        data = self._store.stored_answer(study_id)
        return decode(data) if data is not None else None

    def keep(self, study_id: str, etag: str, body: bytes) -> None:
        self._offer(study_id, (etag, body))

    def prepare(self, study_id: str) -> None:
        self._offer(study_id, None)

    def pending(self) -> int:
        with self._condition:
            return len(self._pending) + self._working

    def wake(self) -> None:
        with self._condition:
            self._condition.notify()

    def run(self) -> None:
        while (entry := self._next()) is not None:
            self._do(*entry)

    def _offer(self, study_id: str, work: tuple[str, bytes] | None) -> None:
        with self._condition:
            if study_id not in self._pending and len(self._pending) >= MAX_PENDING:
                return  # the next request of this study offers it again
            if work is not None or study_id not in self._pending:
                self._pending[study_id] = work  # an answer to keep makes a check needless
            self._condition.notify()

    def _next(self) -> tuple[str, tuple[str, bytes] | None] | None:
        with self._condition:
            while not self._pending and not self.stopping.is_set():
                self._condition.wait()
            if self.stopping.is_set():
                return None
            study_id = next(iter(self._pending))
            self._working = 1
            return study_id, self._pending.pop(study_id)

    def _do(self, study_id: str, work: tuple[str, bytes] | None) -> None:
        try:
            if work is None:
                self._prepare(study_id)
            else:
                self._keep(study_id, *work)
        except Exception:  # never let the thread die; the study is assembled on request meanwhile
            logger.exception("Storing the answer of study %s failed", study_id)
        finally:
            with self._condition:
                self._working = 0

    def _keep(self, study_id: str, etag: str, body: bytes) -> None:
        data = self._store.stored_answer(study_id)
        current = decode(data) if data is not None else None
        if current is not None and current.etag == etag:
            return  # stored meanwhile (several requests asked before it was): no second write
        self._store.store_answer(study_id, encode(stored_answer(etag, body)), replacing=data is not None)

    def _prepare(self, study_id: str) -> None:
        listing = self._listing(study_id)
        if listing is None:
            return  # deleted, and its attachment with it
        etag = etag_of([listing], "")
        current = self.stored(study_id)
        if current is not None and current.etag == etag:
            return  # stored at its first display, and unchanged since
        assembly = self._assemble(listing.instance_ids, "", study_id)
        if assembly.left_out:
            return  # the stored answer is not replaced by a worse one
        self._keep(study_id, etag, answer_body([assembly]))
