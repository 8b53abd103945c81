"""The study answer's validator and 304s (ohif_plugin.study_json.endpoint)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ohif_plugin.study_json.counters import Counters
from ohif_plugin.codings import GZIP, ZSTD, decompress
from ohif_plugin.study_json.listing import SeriesListing, StudyListing, etag_of
from ohif_plugin.study_json.endpoint import StudyAnswers

CHROMIUM = "gzip, deflate, br, zstd"


class FakeDatabase:
    """Listings as the database gives them, changed by the test as another server would."""

    def __init__(self) -> None:
        self.series = {"series-1": ("20261122T000000", ["i1", "i2"]), "series-2": ("20261122T000001", ["i3"])}
        self.study_update = "20261122T000001"
        self.assembled: list[tuple[list[str], str]] = []

    def listing(self, study_id: str) -> StudyListing | None:
        if study_id != "study":
            return None
        series = tuple(SeriesListing(key, update, tuple(ids)) for key, (update, ids) in self.series.items())
        return StudyListing(study_id, self.study_update, series)

    def assemble(self, instance_ids: list[str], query: str, study_id: str) -> dict[str, Any]:
        self.assembled.append((instance_ids, query))
        return {"studies": [{"instances": instance_ids, "query": query, "padding": "x" * 4000}]}

    def assemble_with_a_failure(self, counters: Counters) -> Callable[[list[str], str, str], dict[str, Any]]:
        """An assemble that counts an instance failed each time, as when a summary cannot be read."""

        def assemble(instance_ids: list[str], query: str, study_id: str) -> dict[str, Any]:
            counters.failed += 1
            return self.assemble(instance_ids, query, study_id)

        return assemble


def answers(database: FakeDatabase, compression: bool = False) -> StudyAnswers:
    return StudyAnswers(database.listing, database.assemble, compression)


def test_unknown_study_is_404() -> None:
    assert answers(FakeDatabase()).answer("other").status == 404


def test_several_studies_share_one_answer_and_one_unknown_makes_it_404() -> None:
    database = FakeDatabase()
    study = answers(database)
    single = orjson.loads(study.answer("study").body)
    assert orjson.loads(study.answer("study,study").body) == single  # duplicates count once
    for study_ids in ("study,other", "other,study", "study,", ""):
        assert study.answer(study_ids).status == 404, study_ids


def test_answer_then_304_with_its_etag() -> None:
    database = FakeDatabase()
    study = answers(database)
    first = study.answer("study")
    assert first.status == 200
    assert orjson.loads(first.body)["studies"][0]["instances"] == ["i1", "i2", "i3"]
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    assert first.headers["Vary"] == "Accept-Encoding"
    again = study.answer("study", if_none_match=etag)
    assert again.status == 304
    assert again.headers["ETag"] == etag
    assert study.answer("study", if_none_match='"something-else"').status == 200
    assert len(database.assembled) == 2  # the 304 built nothing


def test_the_etag_changes_with_every_change_in_the_database() -> None:
    database = FakeDatabase()
    study = answers(database)
    etags = {study.answer("study").headers["ETag"]}
    database.series["series-2"] = ("20261122T000001", ["i3", "i4"])  # an instance added
    etags.add(study.answer("study").headers["ETag"])
    database.series["series-1"] = ("20261122T000000", ["i1"])  # an instance deleted
    etags.add(study.answer("study").headers["ETag"])
    database.series["series-1"] = ("20261122T000009", ["i1"])  # an instance overwritten
    etags.add(study.answer("study").headers["ETag"])
    del database.series["series-2"]  # a series deleted
    etags.add(study.answer("study").headers["ETag"])
    assert len(etags) == 5
    assert [ids for ids, _ in database.assembled] == [["i1", "i2", "i3"], ["i1", "i2", "i3", "i4"], ["i1", "i3", "i4"],
                                                      ["i1", "i3", "i4"], ["i1"]]
    stale = study.answer("study", if_none_match=next(iter(etags - {study.answer("study").headers["ETag"]})))
    assert stale.status == 200


def test_the_query_is_part_of_the_answer_and_of_its_etag() -> None:
    database = FakeDatabase()
    study = answers(database)
    plain = study.answer("study")
    with_token = study.answer("study", query="token=abc")
    assert plain.headers["ETag"] != with_token.headers["ETag"]
    assert orjson.loads(with_token.body)["studies"][0]["query"] == "token=abc"


def test_the_etag_includes_the_plugin_and_summary_versions(monkeypatch: Any) -> None:
    listing = FakeDatabase().listing("study")
    assert listing is not None
    before = etag_of([listing], "")
    monkeypatch.setattr("ohif_plugin.study_json.endpoint.__version__", "99.0")
    assert etag_of([listing], "") != before


def test_compressed_answers_follow_accept_encoding() -> None:
    database = FakeDatabase()
    study = answers(database)
    identity = study.answer("study").body
    zstd = study.answer("study", accept_encoding=CHROMIUM)
    assert zstd.headers["Content-Encoding"] == ZSTD
    assert decompress(zstd.body, ZSTD) == identity
    gzip = study.answer("study", accept_encoding="gzip, deflate")
    assert gzip.headers["Content-Encoding"] == GZIP
    assert decompress(gzip.body, GZIP) == identity


def test_no_gzip_of_ours_when_orthanc_gzips_anyway() -> None:
    study = answers(FakeDatabase(), compression=True)
    assert "Content-Encoding" not in study.answer("study", accept_encoding="gzip, deflate").headers
    assert study.answer("study", accept_encoding=CHROMIUM).headers["Content-Encoding"] == ZSTD


def test_an_answer_that_left_instances_out_is_not_validated() -> None:
    database = FakeDatabase()
    counters = Counters()

    assemble_with_a_failure = database.assemble_with_a_failure(counters)

    study = StudyAnswers(database.listing, assemble_with_a_failure, False, counters=counters)
    first = study.answer("study")
    assert first.status == 200 and "ETag" not in first.headers  # so no 304 can keep it in a browser


def test_304s_count_as_cache_hits() -> None:
    counters = Counters()
    study = StudyAnswers(FakeDatabase().listing, FakeDatabase().assemble, False, counters=counters)
    etag = study.answer("study").headers["ETag"]
    study.answer("study", if_none_match=etag)
    study.answer("study,study", if_none_match=etag)
    assert (counters.studies, counters.study_hits) == (2, 2)  # 200s are counted by the summary cache
