"""A study's ohif-dicom-json answer, stored compressed with the study (its attachment 4202).

Assembling a study's answer reads every instance's summary; a stored answer
is one read. It holds while its ETag, made from the database's instance lists
(see :func:`ohif_plugin.study_json.listing.etag_of`), is the ETag of the study
now: an instance added or deleted, by any Orthanc sharing the database, changes it.

The format is one header line, then the JSON gzipped, then zstd-compressed::

    ohif-study-answer 2 <ETag> <digest of the JSON> <length of the gzip> <digest of the rest>\\n<gzip><zstd>

Each is sent as is: zstd, the smaller, to the browsers that offer it
(Chromium on HTTPS and localhost), gzip to any other (all accept it). The
digest tells a damaged attachment, which is then assembled and stored
again, as is one of another format.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ohif_plugin.codings import GZIP, STORED_ANSWER_LEVELS, ZSTD, compress

ATTACHMENT = "4202"
"""The study's attachment (a user-defined content type, 1024 to 65535): the number of the instances' summaries."""

FORMAT = "ohif-study-answer 2"


@dataclass(frozen=True)
class StoredAnswer:
    etag: str
    """The study's ETag when the answer was assembled."""
    body_digest: str
    """Of the JSON: tells whether an answer assembled again differs, without decompressing."""
    gzipped: bytes
    zstd: bytes

    def encoded(self, coding: str) -> bytes:
        return self.gzipped if coding == GZIP else self.zstd


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


STORED_CODINGS = (ZSTD, GZIP)
"""What a stored answer holds, each sent as is."""


def stored_answer(etag: str, body: bytes) -> StoredAnswer:
    return StoredAnswer(
        etag,
        digest_of(body),
        compress(body, GZIP, STORED_ANSWER_LEVELS[GZIP]),
        compress(body, ZSTD, STORED_ANSWER_LEVELS[ZSTD]),
    )


def encode(answer: StoredAnswer) -> bytes:
    rest = answer.gzipped + answer.zstd
    header = f"{FORMAT} {answer.etag} {answer.body_digest} {len(answer.gzipped)} {digest_of(rest)}\n"
    return header.encode() + rest


def decode(data: bytes) -> StoredAnswer | None:
    """None for anything but an intact answer of this format: it is then assembled again."""
    header, newline, rest = data.partition(b"\n")
    if not newline:
        return None
    try:
        name, version, etag, body_digest, gzip_length, rest_digest = header.decode("ascii").split(" ")
        split = int(gzip_length)
    except (UnicodeDecodeError, ValueError):
        return None
    if f"{name} {version}" != FORMAT or digest_of(rest) != rest_digest or not 0 < split < len(rest):
        return None
    return StoredAnswer(etag, body_digest, rest[:split], rest[split:])
