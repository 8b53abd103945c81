"""The fast reader gives exactly pydicom's summary, or steps aside (ohif_plugin.summaries.fast_header)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ImplicitVRLittleEndian, JPEGBaseline8Bit, generate_uid

from ohif_plugin.summaries.compute import summarize
from ohif_plugin.summaries.dataset import SummaryError, summarize_dicom
from ohif_plugin.summaries.fast_header import fast_summary
from tests.support.dicom_factory import (
    BUNDLED_CHARSETS,
    GENERATED_CHARSETS,
    CharsetCase,
    StudySpec,
    charset_bytes,
    ct_instance,
    multiframe_instance,
    pet_instance,
    to_bytes,
    without_pixel_data,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

FAST_CHARSETS = {"latin-1", "german", "utf-8", "utf-8-bundled"}
"""The factory's character-set cases that the fast reader reads itself (one byte per character or UTF-8)."""


def assert_same(data: bytes) -> bool:
    """Both readers agree, down to the key order; True if the fast reader did the work."""
    expected = summarize_dicom(data)
    fast = fast_summary(data)
    assert summarize(data) == expected
    assert list(summarize(data).items()) == list(expected.items())
    if fast is not None:
        assert list(fast.items()) == list(expected.items())
    return fast is not None


def ct_bytes(**changes: object) -> bytes:
    ds = ct_instance(StudySpec(), generate_uid(), 3)
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    return to_bytes(ds)


def test_ct_instance_is_read_fast_and_identically() -> None:
    data = ct_bytes()
    assert assert_same(data)


@pytest.mark.parametrize("case", GENERATED_CHARSETS + BUNDLED_CHARSETS, ids=lambda case: case.name)
def test_every_character_set_gives_pydicoms_summary(case: CharsetCase) -> None:
    fast = assert_same(charset_bytes(case))
    assert fast is (case.name in FAST_CHARSETS)


@pytest.mark.parametrize(
    "build",
    [
        lambda: pet_instance(StudySpec(), generate_uid(), 0),
        lambda: multiframe_instance(StudySpec(), frames=4),
        lambda: without_pixel_data(StudySpec()),
        lambda: multiframe_instance(StudySpec(), frames=1),
    ],
    ids=["pet", "multiframe", "no-pixel-data", "one-frame"],
)
def test_factory_objects_give_pydicoms_summary(build: object) -> None:
    assert callable(build)
    assert_same(to_bytes(build()))


def test_instances_that_need_extensions_go_to_pydicom() -> None:
    assert fast_summary(to_bytes(multiframe_instance(StudySpec(), frames=4))) is None


def test_radiopharmaceutical_sequence_goes_to_pydicom() -> None:
    assert fast_summary(to_bytes(pet_instance(StudySpec(), generate_uid(), 0))) is None


def test_implicit_vr_goes_to_pydicom() -> None:
    ds = ct_instance(StudySpec(), generate_uid(), 0)
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    data = to_bytes(ds)
    assert fast_summary(data) is None
    assert summarize(data) == summarize_dicom(data)


def test_encapsulated_transfer_syntax_is_read_fast() -> None:
    ds = ct_instance(StudySpec(), generate_uid(), 0)
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    del ds.PixelData
    assert assert_same(to_bytes(ds))


@pytest.mark.parametrize("undefined", [True, False])
def test_sequences_before_the_summary_tags_are_skipped(undefined: bool) -> None:
    ds = ct_instance(StudySpec(), generate_uid(), 0)
    inner = Dataset()
    inner.CodeValue = "T-D0050"
    inner.CodingSchemeDesignator = "SRT"
    item = Dataset()
    item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    item.ReferencedSOPInstanceUID = generate_uid()
    item.AnatomicRegionSequence = Sequence([inner])  # a sequence within a sequence
    ds.ReferencedImageSequence = Sequence([item, Dataset()])
    ds.ProcedureCodeSequence = Sequence([])
    for element in (ds["ReferencedImageSequence"], ds["ProcedureCodeSequence"], item["AnatomicRegionSequence"]):
        element.is_undefined_length = undefined
    for each in (item, inner):
        each.is_undefined_length_sequence_item = undefined
    assert assert_same(to_bytes(ds))


def test_every_bundled_pydicom_file_gives_pydicoms_summary() -> None:
    """pydicom's own test files (many transfer syntaxes, sequences, odd values) that pydicom can summarize."""
    folder = Path(str(get_testdata_file("CT_small.dcm"))).parent
    fast = summarized = 0
    for path in sorted(folder.glob("*.dcm")):
        data = path.read_bytes()
        try:
            summarize_dicom(data)
        except SummaryError:
            assert fast_summary(data) is None, path.name
            continue
        summarized += 1
        fast += assert_same(data)
    assert summarized >= 40
    assert fast >= 10  # the explicit little endian ones are read fast


@pytest.mark.parametrize("keep", [0, 10, 131, 132, 140, 300, 600, 1000, 1500])
def test_truncated_files(keep: int) -> None:
    data = ct_bytes()[:keep]
    fast = fast_summary(data)
    if fast is not None:
        assert fast == summarize_dicom(data)


# --- Values chosen by hypothesis: the fast reader agrees or steps aside ------------

def set_raw(ds: Dataset, keyword: str, value: bytes) -> None:
    """Write these exact bytes, even where pydicom would refuse the value."""
    element = ds[keyword]
    ds[element.tag] = RawDataElement(element.tag, element.VR, len(value), value, 0, False, True)


ASCII_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
NUMBER_TEXT = st.one_of(
    ASCII_TEXT,
    st.lists(st.sampled_from(["1", "-2.5", " 3 ", "", "1e3", "+.5", "abc", "7.", "nan", "  ", "1e999", "0x1"]),
             min_size=1, max_size=4).map("\\".join),
)
LATIN_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    description=LATIN_TEXT, name=LATIN_TEXT, spacing=NUMBER_TEXT, number=NUMBER_TEXT,
    window=NUMBER_TEXT, modality=ASCII_TEXT, charset=st.sampled_from([None, "ISO_IR 100", "ISO_IR 192", "ISO_IR 6"]),
)
def test_random_values_agree(
    description: str, name: str, spacing: str, number: str, window: str, modality: str, charset: str | None
) -> None:
    ds = ct_instance(StudySpec(), generate_uid(), 0)
    if charset is not None:
        ds.SpecificCharacterSet = charset
    encoding = "utf_8" if charset == "ISO_IR 192" else "latin_1"
    set_raw(ds, "StudyDescription", description.encode(encoding))
    set_raw(ds, "PatientName", name.encode(encoding))
    set_raw(ds, "PixelSpacing", spacing.encode("ascii"))
    set_raw(ds, "SeriesNumber", number.encode("ascii"))
    set_raw(ds, "WindowCenter", window.encode("ascii"))
    set_raw(ds, "Modality", modality.encode("ascii"))
    try:
        data = to_bytes(ds)
    except (ValueError, OverflowError):
        reject()  # pydicom converts some raw values when it writes, and refuses these
    assert_same(data)


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(min_size=0, max_size=24))
def test_random_bytes_in_a_text_value_agree(raw: bytes) -> None:
    ds = ct_instance(StudySpec(), generate_uid(), 0)
    ds.SpecificCharacterSet = "ISO_IR 192"
    set_raw(ds, "StudyDescription", raw)
    assert_same(to_bytes(ds))
