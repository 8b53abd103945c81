"""Every file of the malformed corpus through the summary code: SummaryError or a summary that round-trips.

The same corpus is uploaded to a real Orthanc in tests/integration/test_bad_input.py.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from ohif_plugin.summaries.codec import decode_summary, encode_summary
from ohif_plugin.summaries.dataset import SummaryError, summarize_dicom
from ohif_plugin.summaries.extensions import needs_extensions, no_extensions
from tests.support import malformed_corpus
from tests.support.malformed_corpus import MalformedCase

CORPUS = malformed_corpus.corpus()


@pytest.fixture(autouse=True)
def quiet_pydicom() -> Iterator[None]:
    """pydicom warns about every odd value; the corpus is made of nothing else."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def outcome(data: bytes) -> str:
    """ "summary" or "SummaryError"; anything else raised fails the test that calls it."""
    try:
        summary = summarize_dicom(data)
    except SummaryError:
        return "SummaryError"
    assert decode_summary(encode_summary(summary)) == summary
    return "summary"


def test_the_corpus_covers_every_category() -> None:
    counts = Counter(case.category for case in CORPUS)
    assert set(counts) == {"truncated", "vr-length", "huge", "charset", "numbers"}
    assert counts["truncated"] > 500
    names = {case.name for case in CORPUS}
    assert len(names) == len(CORPUS), "case names are unique"


def test_truncation_covers_every_top_level_element_and_sequence_items() -> None:
    for real in malformed_corpus.real_files():
        top_level = malformed_corpus.element_boundaries(real.data, with_sequences=False)
        cuts = {int(case.name.rsplit("-", 1)[1]) for case in CORPUS if case.name.startswith(f"{real.name}-cut-at-")}
        assert {boundary for boundary in top_level if 132 < boundary < len(real.data)} <= cuts, real.name
        if real.with_sequences:
            nested = malformed_corpus.element_boundaries(real.data, with_sequences=True)
            assert len(nested) > len(top_level), real.name
            assert {boundary for boundary in nested if 132 < boundary < len(real.data)} <= cuts


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_summary_error_or_a_summary_that_round_trips(case: MalformedCase) -> None:
    assert outcome(case.data) in ("summary", "SummaryError")


def summary_of(name: str) -> dict[str, Any]:
    return summarize_dicom(next(case.data for case in CORPUS if case.name == name))


def test_numbers_that_do_not_parse_are_left_out() -> None:
    for name in malformed_corpus.NUMBER_VALUES:
        summary = summary_of(f"numbers-{name}")
        for key in ("0020,0013", "0020,0011", "0028,0008"):  # integers
            assert key not in summary or type(summary[key]) is int, (name, key)
        for key in ("0018,0050", "0028,1050", "0028,1053", "0028,0030", "0020,0032"):
            value = summary.get(key)
            values = value if isinstance(value, list) else [] if value is None else [value]
            assert all(isinstance(number, float) and abs(number) < float("inf") for number in values), (name, key)
    assert "0020,0013" not in summary_of("numbers-unicode-digits")
    assert summary_of("numbers-unicode-digits")["0020,0032"] == []
    assert "0020,0013" not in summary_of("numbers-beyond-int32")


def test_text_in_broken_character_sets_is_still_text() -> None:
    assert summary_of("unknown-term")["0010,0010"] == "Müller^J"
    assert summary_of("declaration-with-nul")["0010,0010"] == "Döe^J"
    assert summary_of("utf8-declared-invalid-bytes")["0010,0010"].startswith("Caf")
    for name in malformed_corpus.CHARSET_CASES:
        assert isinstance(summary_of(name)["0010,0010"], str), name


def test_a_multi_frame_instance_with_a_broken_header_gets_current_empty_extensions() -> None:
    summary = summary_of("multiframe-without-pixels")
    assert needs_extensions(summary)
    assert decode_summary(encode_summary(summary)) == summary


@pytest.mark.parametrize("case", malformed_corpus.core_crash_cases(), ids=lambda case: case.name)
def test_sequences_nested_deeper_than_orthanc_survives_do_not_escape(case: MalformedCase) -> None:
    """Orthanc's parser dies on these (tests/integration/test_bad_input.py); the plugin's code does not."""
    assert outcome(case.data) in ("summary", "SummaryError")


def test_sequences_nested_deep_cost_nothing_of_the_summary() -> None:
    depth = max(malformed_corpus.DEEP_NESTING)
    assert summary_of(f"nested-sequences-depth-{depth}")["0010,0010"] == "Malformed^Corpus"
    assert summary_of(f"nested-radiopharmaceutical-depth-{depth}")["0010,0010"] == "Malformed^Corpus"


def test_a_value_too_large_for_a_summary_is_left_out_and_the_rest_kept() -> None:
    """A 20 MB PatientName would make the stored summary look like a gzip bomb, recomputed on every display."""
    summary = summary_of("20-mb-patient-name-implicit")
    assert "0010,0010" not in summary
    assert summary["0010,0020"] == "MALFORMED"
    assert decode_summary(encode_summary(summary)) == summary
    assert summary_of("10-mb-study-description-implicit")["0008,1030"] == "x" * (10 * 1024 * 1024)


def test_extensions_too_large_for_a_summary_become_current_empty_extensions() -> None:
    from ohif_plugin.summaries.codec import MAX_DECODED_BYTES
    from ohif_plugin.summaries.dataset import _within_decoded_limit

    huge = {"Version": 1, "Instance": {"ImageComments": "x" * MAX_DECODED_BYTES}}
    summary = _within_decoded_limit({"Version": 2, "0028,0008": 3, "0010,0010": "Doe^J", "Extensions": huge})
    assert summary == {"Version": 2, "0028,0008": 3, "0010,0010": "Doe^J", "Extensions": no_extensions()}
    assert decode_summary(encode_summary(summary)) == summary


@pytest.mark.parametrize("excess", [-1, 0, 1, 2])
def test_the_size_limit_is_exact(excess: int) -> None:
    from ohif_plugin.summaries.codec import MAX_DECODED_BYTES
    from ohif_plugin.summaries.dataset import _within_decoded_limit

    summary: dict[str, Any] = {"Version": 2, "0010,0020": "ID", "0010,0010": ""}
    summary["0010,0010"] = "x" * (MAX_DECODED_BYTES - len(orjson.dumps(summary)) + excess)
    limited = _within_decoded_limit(dict(summary))
    assert len(orjson.dumps(limited)) <= MAX_DECODED_BYTES
    assert limited == (summary if excess <= 0 else {"Version": 2, "0010,0020": "ID"})
    assert decode_summary(encode_summary(limited)) == limited
