"""The study answer's validator and 304s (ohif_plugin.study_json.endpoint)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import orjson
import pytest

from ohif_plugin.background.answer_keeper import AnswerKeeper
from ohif_plugin.codings import GZIP, ZSTD, decompress
from ohif_plugin.responses import SECURITY_HEADERS
from ohif_plugin.study_json.counters import Counters
from ohif_plugin.study_json.endpoint import StudyAnswers, answer_body
from ohif_plugin.study_json.stored_answer import decode
from ohif_plugin.study_json.summary_cache import Assembly
from tests.support.fakes import CHROMIUM, WAIT, FakeAnswerStore, FakeDatabase, wait_until


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
    assert len(database.assembled) == 1  # the 304 built nothing, the next 200 is the same answer from memory


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
    study = StudyAnswers(database.listing, database.assemble_leaving_one_out, False)
    first = study.answer("study")
    assert first.status == 200 and "ETag" not in first.headers  # so no 304 can keep it in a browser
    assert orjson.loads(first.body)["studies"][0]["instances"] == ["i1", "i2", "i3"]


def test_304s_count_as_cache_hits() -> None:
    counters = Counters()
    study = StudyAnswers(FakeDatabase().listing, FakeDatabase().assemble, False, counters=counters)
    etag = study.answer("study").headers["ETag"]
    study.answer("study", if_none_match=etag)
    study.answer("study,study", if_none_match=etag)
    assert (counters.studies, counters.study_hits) == (2, 2)  # 200s are counted by the summary cache


# --- with stored answers ------------------------------------------------------------------------


@pytest.fixture
def keepers() -> Iterator[list[AnswerKeeper]]:
    """Answer keepers made by a test, stopped at its end."""
    made: list[AnswerKeeper] = []
    yield made
    for keeper in made:
        assert keeper.stop(timeout=WAIT)


def stored_answers(
    database: FakeDatabase, keepers: list[AnswerKeeper], counters: Counters | None = None
) -> tuple[StudyAnswers, AnswerKeeper, FakeAnswerStore]:
    """A study answer with a keeper whose thread is not started: the test starts it when the work queued
    has been looked at."""
    counters = counters if counters is not None else Counters()
    store = FakeAnswerStore()
    keeper = AnswerKeeper(database.listing, database.assemble, store)
    keepers.append(keeper)
    return StudyAnswers(database.listing, database.assemble, False, counters, keeper), keeper, store


def done(keeper: AnswerKeeper) -> None:
    assert wait_until(lambda: keeper.pending() == 0), "the keeper did not finish its work"


def test_the_second_answer_is_the_stored_one_and_reads_no_summary(keepers: list[AnswerKeeper]) -> None:
    database = FakeDatabase()
    counters = Counters()
    study, keeper, store = stored_answers(database, keepers, counters)
    first = study.answer("study", accept_encoding=CHROMIUM)
    assert keeper.pending() == 1
    keeper.start()
    done(keeper)
    assert "study" in store.values
    second = study.answer("study", accept_encoding=CHROMIUM)
    assert len(database.assembled) == 1  # the second one assembled nothing
    assert second.headers["Content-Encoding"] == ZSTD
    assert second.headers["ETag"] == first.headers["ETag"]
    first_body = decompress(first.body, first.headers["Content-Encoding"])
    assert orjson.loads(decompress(second.body, ZSTD)) == orjson.loads(first_body)
    gzipped = study.answer("study", accept_encoding="gzip, deflate, br")  # Chromium on plain HTTP
    assert gzipped.headers["Content-Encoding"] == GZIP
    assert decompress(gzipped.body, GZIP) == decompress(second.body, ZSTD)
    assert "Content-Encoding" not in study.answer("study", accept_encoding="identity").headers
    assert orjson.loads(study.answer("study").body)["studies"][0]["instances"] == ["i1", "i2", "i3"]
    assert counters.stored_answers == 4
    assert study.answer("study", if_none_match=first.headers["ETag"]).status == 304


def test_a_stored_answer_of_another_etag_is_not_sent(keepers: list[AnswerKeeper]) -> None:
    database = FakeDatabase()
    counters = Counters()
    study, keeper, store = stored_answers(database, keepers, counters)
    keeper.start()
    study.answer("study")
    done(keeper)
    database.series["series-2"] = ("20261122T000002", ["i3", "i4"])  # an instance added, maybe by another server
    answer = study.answer("study")
    assert orjson.loads(answer.body)["studies"][0]["instances"] == ["i1", "i2", "i3", "i4"]
    assert counters.stored_answers == 0
    done(keeper)
    assert len(database.assembled) == 2
    again = study.answer("study")  # now the stored answer of the new ETag
    assert counters.stored_answers == 1
    assert decode(store.values["study"]) is not None
    assert orjson.loads(again.body)["studies"][0]["instances"] == ["i1", "i2", "i3", "i4"]


def test_a_damaged_stored_answer_is_assembled_and_stored_again(keepers: list[AnswerKeeper]) -> None:
    database = FakeDatabase()
    study, keeper, store = stored_answers(database, keepers)
    keeper.start()
    study.answer("study")
    done(keeper)
    store.values["study"] = store.values["study"][:-10]
    assert study.answer("study").status == 200
    assert len(database.assembled) == 1  # the answer assembled first, still in memory: not the damaged one
    done(keeper)
    assert decode(store.values["study"]) is not None


def test_an_answer_with_a_query_is_not_stored(keepers: list[AnswerKeeper]) -> None:
    """The query goes into every URL of the answer (a token, say): not the answer of everyone."""
    database = FakeDatabase()
    study, keeper, store = stored_answers(database, keepers)
    study.answer("study", query="token=abc")
    assert keeper.pending() == 0 and store.reads == 0
    study.answer("study")
    assert keeper.pending() == 1 and store.reads == 1


def test_an_answer_that_left_instances_out_is_not_stored(keepers: list[AnswerKeeper]) -> None:
    database = FakeDatabase()
    keeper = AnswerKeeper(database.listing, database.assemble_leaving_one_out, FakeAnswerStore())
    keepers.append(keeper)
    study = StudyAnswers(database.listing, database.assemble_leaving_one_out, False, Counters(), keeper)
    study.answer("study")
    assert keeper.pending() == 0


def test_the_answer_body_joins_the_studies_of_several_assemblies() -> None:
    first = Assembly({"studies": [{"StudyInstanceUID": "1"}]}, left_out=0)
    second = Assembly({"studies": [{"StudyInstanceUID": "2"}, {"StudyInstanceUID": "3"}]}, left_out=1)
    assert orjson.loads(answer_body([first, second])) == {
        "studies": [{"StudyInstanceUID": "1"}, {"StudyInstanceUID": "2"}, {"StudyInstanceUID": "3"}]
    }
    assert orjson.loads(answer_body([])) == {"studies": []}


def test_the_answer_carries_the_security_headers() -> None:
    study = answers(FakeDatabase())
    for response in (study.answer("study"), study.answer("other")):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value


def test_an_open_of_an_unchanged_study_assembles_nothing_and_queues_no_work(keepers: list[AnswerKeeper]) -> None:
    database = FakeDatabase()
    counters = Counters()
    study, keeper, store = stored_answers(database, keepers, counters)
    keeper.start()
    study.answer("study")
    done(keeper)
    reads_before = store.reads
    for _ in range(5):
        assert study.answer("study").status == 200
        assert keeper.pending() == 0  # nothing for the background either
    assert len(database.assembled) == 1
    assert counters.stored_answers == 5
    assert store.reads == reads_before + 5  # one read per open


def test_viewers_asking_at_once_for_a_new_answer_share_one_assembly() -> None:
    database = FakeDatabase()
    gate = threading.Event()

    def slow_assemble(instance_ids: list[str], query: str, study_id: str) -> Assembly:
        gate.wait(WAIT)
        return database.assemble(instance_ids, query, study_id)

    study = StudyAnswers(database.listing, slow_assemble, False)
    bodies: list[bytes] = []
    threads = [threading.Thread(target=lambda: bodies.append(study.answer("study").body)) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: len(database.assembled) == 0 and sum(t.is_alive() for t in threads) == 8)
    gate.set()
    for thread in threads:
        thread.join(WAIT)
    assert len(bodies) == 8 and len(set(bodies)) == 1
    assert len(database.assembled) == 1
    assert study.answer("study").body == bodies[0]  # later: from memory
    assert len(database.assembled) == 1


def test_a_changed_study_is_assembled_once_for_its_new_etag() -> None:
    database = FakeDatabase()
    study = answers(database)
    study.answer("study")
    study.answer("study")
    database.series["series-2"] = ("20261122T000002", ["i3", "i4"])
    changed = study.answer("study")
    assert study.answer("study").body == changed.body
    assert [ids for ids, _ in database.assembled] == [["i1", "i2", "i3"], ["i1", "i2", "i3", "i4"]]


def test_a_token_answer_is_assembled_once_per_token() -> None:
    database = FakeDatabase()
    study = answers(database)
    for _ in range(3):
        study.answer("study", query="token=abc")
        study.answer("study", query="token=xyz")
    assert sorted(query for _, query in database.assembled) == ["token=abc", "token=xyz"]
