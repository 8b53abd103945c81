"""Stored study answers: their format (ohif_plugin.study_json.stored_answer) and how the study answer uses them."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from ohif_plugin.study_json.counters import Counters
from ohif_plugin.codings import GZIP, ZSTD, decompress
from ohif_plugin.study_json.stored_answer import FORMAT, decode, digest_of, encode, stored_answer
from ohif_plugin.study_json.endpoint import StudyAnswers
from ohif_plugin.background.answer_keeper import AnswerKeeper
from tests.unit.test_study_answer import CHROMIUM, FakeDatabase

BODY = orjson.dumps({"studies": [{"StudyInstanceUID": "1.2.3", "padding": "x" * 5000}]})


def test_a_stored_answer_reads_back_as_it_was_written() -> None:
    answer = stored_answer('W/"abc"', BODY)
    assert decode(encode(answer)) == answer
    assert decompress(answer.gzipped, GZIP) == BODY
    assert decompress(answer.zstd, ZSTD) == BODY
    assert answer.body_digest == digest_of(BODY)
    assert len(answer.zstd) < len(answer.gzipped) < len(BODY) / 10


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],  # truncated zstd
        lambda data: data[:-5] + b"xxxxx",  # changed bytes
        lambda data: data.replace(FORMAT.encode(), b"ohif-study-answer 1"),  # another format
        lambda data: re.sub(rb"^((?:\S+ ){4})\d+", rb"\g<1>99999999", data),  # the gzip's length past the end
        lambda data: re.sub(rb"^((?:\S+ ){4})\d+", rb"\g<1>0", data),  # no gzip
        lambda data: data.split(b"\n", 1)[1],  # no header
        lambda data: b"",
        lambda data: b"\xff\xfe\n" + data,
        lambda data: data.replace(b" ", b"", 1),  # a field less
    ],
)
def test_a_damaged_stored_answer_reads_as_none(damage: Any) -> None:
    assert decode(damage(encode(stored_answer('W/"abc"', BODY)))) is None


class FakeAnswerStore:
    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.reads = 0

    def stored_answer(self, study_id: str) -> bytes | None:
        self.reads += 1
        return self.values.get(study_id)

    def store_answer(self, study_id: str, data: bytes) -> None:
        self.values[study_id] = data


def stored_answers(database: FakeDatabase, counters: Counters | None = None) -> tuple[StudyAnswers, AnswerKeeper,
                                                                                      FakeAnswerStore]:
    counters = counters if counters is not None else Counters()
    store = FakeAnswerStore()
    refresher = AnswerKeeper(database.listing, database.assemble, store, counters)
    return StudyAnswers(database.listing, database.assemble, False, counters, refresher), refresher, store


def test_the_second_answer_is_the_stored_one_and_reads_no_summary() -> None:
    database = FakeDatabase()
    counters = Counters()
    study, refresher, store = stored_answers(database, counters)
    first = study.answer("study", accept_encoding=CHROMIUM)
    assert refresher.pending() == 1
    refresher.run_pending()
    assert "study" in store.values
    second = study.answer("study", accept_encoding=CHROMIUM)
    assert len(database.assembled) == 1  # the second one assembled nothing
    assert second.headers["Content-Encoding"] == ZSTD
    assert second.headers["ETag"] == first.headers["ETag"]
    assert orjson.loads(decompress(second.body, ZSTD)) == orjson.loads(decompress(first.body, first.headers[
        "Content-Encoding"]))
    gzipped = study.answer("study", accept_encoding="gzip, deflate, br")  # Chromium on plain HTTP
    assert gzipped.headers["Content-Encoding"] == GZIP
    assert decompress(gzipped.body, GZIP) == decompress(second.body, ZSTD)
    assert "Content-Encoding" not in study.answer("study", accept_encoding="identity").headers
    assert orjson.loads(study.answer("study").body)["studies"][0]["instances"] == ["i1", "i2", "i3"]
    assert counters.stored_answers == 4
    assert study.answer("study", if_none_match=first.headers["ETag"]).status == 304


def test_a_stored_answer_of_another_etag_is_not_sent() -> None:
    database = FakeDatabase()
    study, refresher, store = stored_answers(database)
    study.answer("study")
    refresher.run_pending()
    database.series["series-2"] = ("20261122T000002", ["i3", "i4"])  # an instance added, maybe by another server
    answer = study.answer("study")
    assert orjson.loads(answer.body)["studies"][0]["instances"] == ["i1", "i2", "i3", "i4"]
    refresher.run_pending()
    again = study.answer("study")
    assert decode(store.values["study"]) is not None
    assert orjson.loads(decompress(again.body, GZIP) if "Content-Encoding" in again.headers else again.body)[
        "studies"][0]["instances"] == ["i1", "i2", "i3", "i4"]
    assert len(database.assembled) == 2


def test_a_damaged_stored_answer_is_assembled_and_stored_again() -> None:
    database = FakeDatabase()
    study, refresher, store = stored_answers(database)
    study.answer("study")
    refresher.run_pending()
    store.values["study"] = store.values["study"][:-10]
    assert study.answer("study").status == 200
    assert len(database.assembled) == 2
    refresher.run_pending()
    assert decode(store.values["study"]) is not None


def test_an_answer_with_a_query_is_not_stored() -> None:
    """The query goes into every URL of the answer (a token, say): not the answer of everyone."""
    database = FakeDatabase()
    study, refresher, store = stored_answers(database)
    study.answer("study", query="token=abc")
    assert refresher.pending() == 0 and store.reads == 0
    study.answer("study")
    assert refresher.pending() == 1 and store.reads == 1


def test_an_answer_that_left_instances_out_is_not_stored() -> None:
    database = FakeDatabase()
    counters = Counters()

    assemble_with_a_failure = database.assemble_with_a_failure(counters)

    refresher = AnswerKeeper(database.listing, assemble_with_a_failure, FakeAnswerStore(), counters)
    study = StudyAnswers(database.listing, assemble_with_a_failure, False, counters, refresher)
    study.answer("study")
    assert refresher.pending() == 0

