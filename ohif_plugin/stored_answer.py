"""A study's ohif-dicom-json answer, stored gzipped with the study (its attachment 4202).

Assembling a study's answer reads every instance's summary: about 200 ms
for 2,000 instances on Orthanc 1.12.7, where OHIF's DICOMweb source reads
Orthanc's precomputed series metadata in about 80 ms. A stored answer is one
read. It holds while its ETag, made from the database's instance lists (see
:func:`ohif_plugin.study_answer.etag_of`), is the ETag of the study now: an
instance added or deleted, by any Orthanc sharing the database, changes it.

The format is one header line, then the gzipped JSON::

    ohif-study-answer 1 <ETag> <digest of the JSON> <digest of the gzip>\\n<gzip>

The gzip is sent as is to every browser (they all accept gzip); its digest
tells a damaged attachment, which is then assembled and stored again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ohif_plugin.compression import ANSWER_LEVELS, GZIP, compress

ATTACHMENT = "4202"
"""The study's attachment (a user-defined content type, 1024 to 65535): the number of the instances' summaries."""

FORMAT = "ohif-study-answer 1"


@dataclass(frozen=True)
class StoredAnswer:
    etag: str
    """The study's ETag when the answer was assembled."""
    body_digest: str
    """Of the JSON: tells whether an answer assembled again differs, without decompressing."""
    gzipped: bytes


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def stored_answer(etag: str, body: bytes) -> StoredAnswer:
    return StoredAnswer(etag, digest_of(body), compress(body, GZIP, ANSWER_LEVELS[GZIP]))


def encode(answer: StoredAnswer) -> bytes:
    header = f"{FORMAT} {answer.etag} {answer.body_digest} {digest_of(answer.gzipped)}\n"
    return header.encode() + answer.gzipped


def decode(data: bytes) -> StoredAnswer | None:
    """None for anything but an intact answer of this format: it is then assembled again."""
    header, newline, gzipped = data.partition(b"\n")
    if not newline:
        return None
    try:
        name, version, etag, body_digest, gzip_digest = header.decode("ascii").split(" ")
    except (UnicodeDecodeError, ValueError):
        return None
    if f"{name} {version}" != FORMAT or digest_of(gzipped) != gzip_digest:
        return None
    return StoredAnswer(etag, body_digest, gzipped)
