"""Fuzzing the summary code with hypothesis: no input gets out as anything but SummaryError.

Derandomized, without an example database, so that a run in CI tries exactly
the cases a local run tried. The examples add up to more than 10,000
(:data:`EXAMPLES`); the whole module takes well under a minute here.
"""

from __future__ import annotations

import base64
import gzip
import io
import struct
import warnings
from collections.abc import Iterator
from functools import cache
from typing import Any

import orjson
import pydicom
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ohif_plugin.study_json.assembly import InstanceSummary, assemble_study
from ohif_plugin.summaries.codec import decode_summary, encode_summary
from ohif_plugin.summaries.dataset import SummaryError, summarize_dicom
from ohif_plugin.summaries.extensions import (
    EXTENSION_PROVIDERS,
    EXTENSIONS_KEY,
    EXTENSIONS_VERSION,
    INSTANCE_KEY,
    extensions_of,
    has_current_extensions,
    instance_fields,
    needs_extensions,
)
from ohif_plugin.summaries.tags import RADIOPHARMACEUTICAL_FIELDS, TAGS, ValueType
from tests.support import malformed_corpus as corpus

EXAMPLES = {
    "mutated files": 3000,
    "raw datasets": 3000,
    "whole files": 1500,
    "stored values": 1000,
    "stored summaries": 1000,
    "extensions": 600,
}


def fuzz_settings(name: str) -> settings:
    return settings(
        max_examples=EXAMPLES[name],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


def test_the_fuzzers_try_at_least_ten_thousand_cases() -> None:
    assert sum(EXAMPLES.values()) >= 10_000


@pytest.fixture(autouse=True)
def quiet_pydicom() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def assert_summary_or_summary_error(data: bytes) -> dict[str, Any] | None:
    """The property: SummaryError, or a summary that encodes and decodes to itself."""
    try:
        summary = summarize_dicom(data)
    except SummaryError:
        event("SummaryError")
        return None
    assert decode_summary(encode_summary(summary)) == summary
    event("summary")
    return summary


# --- Mutated real files ------------------------------------------------------------------------


PIXEL_DATA_TAG = b"\xe0\x7f\x10\x00"
"""(7FE0,0010) in little endian; the real files have it once, before their pixel data (rtplan has none)."""


@cache
def base_files() -> tuple[bytes, ...]:
    """Real files to mutate: their headers only, so that mutations land where the tags are."""
    return tuple(real.data.partition(PIXEL_DATA_TAG)[0] + PIXEL_DATA_TAG + b"OW\x00\x00\x08\x00\x00\x00" + b"\x00" * 8
                 for real in corpus.real_files())


Mutation = tuple[str, float, bytes]
mutations = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete", "overwrite", "truncate", "length"]),
        st.floats(min_value=0, max_value=1),
        st.binary(min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=6,
)


def mutate(data: bytes, changes: list[Mutation]) -> bytes:
    buffer = bytearray(data)
    for kind, where, payload in changes:
        position = min(int(where * len(buffer)), max(len(buffer) - 1, 0))
        if kind == "flip" and buffer:
            buffer[position] ^= payload[0] or 0xFF
        elif kind == "insert":
            buffer[position:position] = payload
        elif kind == "delete":
            del buffer[position : position + len(payload)]
        elif kind == "overwrite":
            buffer[position : position + len(payload)] = payload
        elif kind == "truncate":
            del buffer[position:]
        elif kind == "length":  # an absurd length where a length field may be
            buffer[position : position + 4] = struct.pack("<I", [0xFFFFFFFF, 0x7FFFFFFF, 0xFFFF, 1][payload[0] % 4])
    return bytes(buffer)


@fuzz_settings("mutated files")
@given(st.integers(min_value=0, max_value=len(corpus.real_files()) - 1), mutations)
def test_mutated_real_files(index: int, changes: list[Mutation]) -> None:
    assert_summary_or_summary_error(mutate(base_files()[index], changes))


# --- Datasets built element by element ---------------------------------------------------------

SUMMARY_TAGS = [info.tag for info in TAGS] + [field.tag for field in RADIOPHARMACEUTICAL_FIELDS]
OTHER_TAGS = [0x00080005, 0x00400275, 0x7FE00010, 0x00091010, 0x7053100F, 0xFFFEE000, 0xFFFEE0DD]
VRS = ["AE", "AS", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OW", "PN", "SH", "SL", "SQ",
       "SS", "ST", "TM", "UI", "UL", "UN", "US", "UT", "XX", "ob", "\x00\x00"]
TEXTS = ["", " ", "1", "-1.5e3", "NaN", "inf", "1e999", "١٢", "abc", "1\\2\\x", "\\", "\x1b$B", "ISO_IR 192",
         "ISO 2022 IR 87", "ISO_IR 999", "Doe^J", "1.2.840.10008.5.1.4.1.1.7.3", "5", "2147483648"]

values = st.one_of(
    st.sampled_from(TEXTS).map(lambda value: value.encode("utf-8")),
    st.binary(max_size=64),
    st.lists(st.sampled_from(TEXTS), min_size=1, max_size=5).map(lambda items: "\\".join(items).encode()),
)
elements = st.lists(
    st.tuples(
        st.sampled_from(SUMMARY_TAGS + OTHER_TAGS),
        st.sampled_from(VRS),
        values,
        st.one_of(st.none(), st.sampled_from([0, 1, 3, 0xFFFF, 0xFFFFFFFF]), st.integers(0, 2**32 - 1)),
    ),
    max_size=25,
)


def raw_dataset(items: list[tuple[int, str, bytes, int | None]], implicit_vr: bool) -> bytes:
    """A Part 10 file of these elements, the UIDs always present (so that most files are read)."""
    encoded = [
        (tag, corpus.implicit(tag, value, length) if implicit_vr else corpus.explicit(tag, vr, value, length))
        for tag, vr, value, length in items
    ]
    syntax = corpus.IMPLICIT_VR_LITTLE_ENDIAN if implicit_vr else corpus.EXPLICIT_VR_LITTLE_ENDIAN
    return corpus.raw_file(encoded, transfer_syntax=syntax)


@fuzz_settings("raw datasets")
@given(elements, st.booleans(), st.booleans())
def test_datasets_of_odd_elements(items: list[tuple[int, str, bytes, int | None]], implicit_vr: bool,
                                  multiframe: bool) -> None:
    if multiframe:  # a multi-frame instance also goes through the extension providers
        items = [*items, (0x00280008, "IS", b"3 ", None)]
    assert_summary_or_summary_error(raw_dataset(items, implicit_vr))


# --- Whole files, as Orthanc stores them ------------------------------------------------------


@fuzz_settings("whole files")
@given(st.one_of(st.binary(max_size=512), st.builds(
    lambda index, changes: mutate(corpus.real_files()[index].data, changes),
    st.integers(min_value=0, max_value=len(corpus.real_files()) - 1),
    mutations,
)))
def test_mutated_whole_files_and_random_bytes(data: bytes) -> None:
    assert_summary_or_summary_error(data)


# --- Stored values of metadata 4202 -----------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
finite_numbers = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**31), 2**31 - 1)
WELL_TYPED: dict[ValueType, st.SearchStrategy[Any]] = {
    ValueType.STRING: st.text(max_size=20),
    ValueType.INTEGER: st.integers(-(2**31), 2**31 - 1),
    ValueType.FLOAT: finite_numbers,
    ValueType.LIST_OF_FLOATS: st.lists(finite_numbers, max_size=4),
    ValueType.LIST_OF_STRINGS: st.lists(st.text(max_size=8), max_size=4),
    ValueType.RADIOPHARMACEUTICAL: st.lists(st.dictionaries(st.text(max_size=10), json_values, max_size=3), max_size=2),
}
extensions_values = st.fixed_dictionaries(
    {"Version": st.sampled_from([EXTENSIONS_VERSION, EXTENSIONS_VERSION, 0, "1"]),
     INSTANCE_KEY: st.dictionaries(st.text(max_size=10), json_values, max_size=4) | json_values}
) | json_values
summary_items = st.one_of(
    st.sampled_from(TAGS).flatmap(
        lambda info: st.tuples(st.just(info.key), WELL_TYPED[info.value_type] | WELL_TYPED[info.value_type]
                               | json_values)
    ),
    st.tuples(st.just(EXTENSIONS_KEY), extensions_values),
    st.tuples(st.sampled_from(["Version", "0099,0001", ""]), json_values),
)
stored_summaries = st.lists(summary_items, max_size=12).map(
    lambda items: {"Version": 2, **dict(items)} if all(key != "Version" for key, _ in items) else dict(items)
)


def gzip_base64(raw: bytes) -> bytes:
    return base64.b64encode(gzip.compress(raw))


@fuzz_settings("stored values")
@given(st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    st.binary(max_size=200).map(gzip_base64),
    st.binary(max_size=200).map(base64.b64encode),
))
def test_any_stored_value_decodes_to_none_or_a_summary(value: bytes | str) -> None:
    summary = decode_summary(value)
    event("stale" if summary is None else "summary")
    if summary is not None:
        assert summary["Version"] == 2
        assert decode_summary(encode_summary(summary)) == summary


@fuzz_settings("stored summaries")
@given(stored_summaries)
def test_any_stored_json_decodes_to_none_or_a_usable_summary(summary: dict[str, Any]) -> None:
    decoded = decode_summary(gzip_base64(orjson.dumps(summary)))
    event("stale" if decoded is None else "summary")
    if decoded is None:
        return
    assert decoded == summary
    assert decode_summary(encode_summary(decoded)) == decoded
    fields = instance_fields(decoded)
    assert isinstance(fields, dict)
    if needs_extensions(decoded):
        assert has_current_extensions(decoded)
    # The study route can answer with any summary its reader accepts.
    answer = assemble_study([InstanceSummary("id", decoded), InstanceSummary("other", decoded)])
    assert orjson.loads(orjson.dumps(answer))["studies"] == answer["studies"]


# --- Extension providers -----------------------------------------------------------------------


@fuzz_settings("extensions")
@given(elements, st.booleans())
def test_extension_providers_never_fail_the_summary(items: list[tuple[int, str, bytes, int | None]],
                                                    implicit_vr: bool) -> None:
    data = raw_dataset([*items, (0x00280008, "IS", b"3 ", None)], implicit_vr)
    try:
        dataset = pydicom.dcmread(io.BytesIO(data), force=True, stop_before_pixels=True)
    except Exception:
        return  # not readable: summarize_dicom stores empty extensions (see the other tests)
    for provider in EXTENSION_PROVIDERS:  # each on its own: a dict, or an exception extensions_of logs
        try:
            fields = provider(dataset)
        except Exception:
            continue
        orjson.dumps(fields)
    extensions = extensions_of(dataset)
    assert extensions["Version"] == EXTENSIONS_VERSION
    assert isinstance(extensions[INSTANCE_KEY], dict)
    summary = {"Version": 2, "0028,0008": 3, EXTENSIONS_KEY: extensions}
    assert decode_summary(encode_summary(summary)) == summary
