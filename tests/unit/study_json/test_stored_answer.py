"""The format of a stored study answer (ohif_plugin.study_json.stored_answer)."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from ohif_plugin.codings import GZIP, ZSTD, decompress
from ohif_plugin.study_json.stored_answer import FORMAT, decode, digest_of, encode, stored_answer

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
