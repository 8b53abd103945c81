"""GET /studies/{id}/ohif-dicom-json: the study's answer, validated against the database on every request.

Each request lists the study's instances (:mod:`ohif_plugin.study_json.listing`),
which gives the answer's ETag. So:

- a browser that has the answer asks again with ``If-None-Match`` and gets
  304 without any summary being read;
- an instance added or deleted, by this Orthanc or another one sharing the
  database, changes the ETag: nothing in this process has to be told;
- a study's answer stored with that ETag (:mod:`ohif_plugin.study_json.stored_answer`)
  is sent as it is, without reading any summary: an open of an unchanged study
  costs the listing and one read, and starts no work in the background;
- otherwise the answer is assembled once for all the requests that want it
  (:mod:`ohif_plugin.study_json.recent_answers`), and stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import orjson

from ohif_plugin.codings import (
    ANSWER_LEVELS,
    GZIP,
    IDENTITY,
    ZSTD,
    choose_coding,
    compress,
    decompress,
    orthanc_compresses,
)
from ohif_plugin.responses import SECURITY_HEADERS, Response, matches
from ohif_plugin.study_json.counters import Counters
from ohif_plugin.study_json.listing import StudyListing, etag_of
from ohif_plugin.study_json.recent_answers import RecentAnswer, RecentAnswers
from ohif_plugin.study_json.stored_answer import STORED_CODINGS, StoredAnswer
from ohif_plugin.study_json.summary_cache import Assembly

STUDY_SEPARATOR = ","
"""Between the study identifiers of one request: the viewer's links may ask for several studies at once."""

MIME_TYPE = "application/json"


def answer_body(assemblies: Sequence[Assembly]) -> bytes:
    """The JSON of one answer for the studies of ``assemblies``."""
    return orjson.dumps({"studies": [study for assembly in assemblies for study in assembly.answer["studies"]]})


class AnswerKeeper(Protocol):
    """Stored answers (see :class:`ohif_plugin.background.answer_keeper.AnswerKeeper`)."""

    def stored(self, study_id: str) -> StoredAnswer | None: ...

    def keep(self, study_id: str, etag: str, body: bytes) -> None: ...


class StudyAnswers:
    """Answers ``GET /studies/{id}/ohif-dicom-json``: 304, the stored answer, or one assembled.

    ``{id}`` may be several study identifiers separated by commas, as the
    links of :mod:`ohif_plugin.web.links` ask for several studies in one answer.
    With a ``keeper``, a study's answer without a query is stored, and sent
    from storage while its ETag holds.
    """

    def __init__(
        self,
        listing: Callable[[str], StudyListing | None],
        assemble: Callable[[list[str], str, str], Assembly],
        http_compression_enabled: bool,
        counters: Counters | None = None,
        keeper: AnswerKeeper | None = None,
        recent: RecentAnswers | None = None,
    ) -> None:
        self._listing = listing
        self._assemble = assemble
        self.http_compression_enabled = http_compression_enabled
        """Orthanc's "HttpCompressionEnabled": whether Orthanc gzips an answer left unencoded."""
        self._counters = counters if counters is not None else Counters()
        """Shared with the summary cache, which counts the answers it assembles."""
        self._keeper = keeper
        self._recent = recent if recent is not None else RecentAnswers()

    def answer(
        self, study_ids: str, query: str = "", if_none_match: str | None = None, accept_encoding: str | None = None
    ) -> Response:
        listings = [self._listing(study_id) for study_id in dict.fromkeys(study_ids.split(STUDY_SEPARATOR))]
        if not all(listings):
            return Response(404, b"Unknown study", headers=dict(SECURITY_HEADERS))
        known = [listing for listing in listings if listing is not None]
        etag = etag_of(known, query)
        headers = {**SECURITY_HEADERS, "ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if if_none_match is not None and matches(if_none_match, etag):
            # The browser's copy is right: a study's answer changes only with its instances.
            self._counters.studies += len(known)
            self._counters.study_hits += len(known)
            return Response(304, headers=headers)
        stores = self._keeper is not None and len(known) == 1 and not query
        if stores:
            stored = self._stored(known[0].study_id, etag)
            if stored is not None:
                return self._send_stored(stored, headers, accept_encoding)
        key = (STUDY_SEPARATOR.join(listing.study_id for listing in known), query)
        recent, assembled = self._recent.get(key, etag, lambda: self._assembled(known, query, etag))
        if not assembled:  # another request's assembly, shared
            self._counters.studies += len(known)
            self._counters.study_hits += len(known)
        if not recent.complete:
            del headers["ETag"]  # instances were left out: the next request must try them again
        elif stores and self._keeper is not None:  # none stored with this ETag, or damaged
            self._keeper.keep(known[0].study_id, etag, recent.body)
        coding = self._coding(accept_encoding)
        if coding == IDENTITY:
            return Response(200, recent.body, MIME_TYPE, headers)
        headers["Content-Encoding"] = coding
        return Response(200, compress(recent.body, coding, ANSWER_LEVELS[coding]), MIME_TYPE, headers)

    def _assembled(self, listings: Sequence[StudyListing], query: str, etag: str) -> RecentAnswer:
        assemblies = [self._assemble(listing.instance_ids, query, listing.study_id) for listing in listings]
        return RecentAnswer(etag, answer_body(assemblies), not any(assembly.left_out for assembly in assemblies))

    def _stored(self, study_id: str, etag: str) -> StoredAnswer | None:
        assert self._keeper is not None
        stored = self._keeper.stored(study_id)
        if stored is None or stored.etag != etag:
            return None
        self._counters.studies += 1
        self._counters.study_hits += 1
        self._counters.stored_answers += 1
        return stored

    @staticmethod
    def _send_stored(stored: StoredAnswer, headers: dict[str, str], accept_encoding: str | None) -> Response:
        """A stored coding as it is, even where Orthanc gzips it again (1.10 with compression on):
        its gzip over compressed bytes costs far less than gzipping the JSON."""
        coding = choose_coding(accept_encoding, STORED_CODINGS)
        if coding == IDENTITY:
            return Response(200, decompress(stored.gzipped, GZIP), MIME_TYPE, headers)
        return Response(200, stored.encoded(coding), MIME_TYPE, {**headers, "Content-Encoding": coding})

    def _coding(self, accept_encoding: str | None) -> str:
        coding = choose_coding(accept_encoding, (ZSTD, GZIP))
        if coding == GZIP and orthanc_compresses(accept_encoding, self.http_compression_enabled):
            return IDENTITY  # Orthanc gzips it anyway: a gzip of ours would only be gzipped again
        return coding
