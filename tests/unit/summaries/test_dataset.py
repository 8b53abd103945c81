"""Summaries computed from DICOM files with pydicom (ohif_plugin.summaries.dataset)."""

from __future__ import annotations

import random

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ImplicitVRLittleEndian, PositronEmissionTomographyImageStorage, generate_uid

from ohif_plugin.summaries.dataset import SummaryError, summarize_dicom
from tests.support.dicom_factory import (
    BUNDLED_CHARSETS,
    GENERATED_CHARSETS,
    CharsetCase,
    StudySpec,
    charset_bytes,
    ct_instance,
    expected_ct_summary,
    multiframe_instance,
    pet_instance,
    to_bytes,
    without_pixel_data,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

# --- summarize_dicom: CT, multi-frame, no pixel data ----------------------------


def test_ct_summary_is_exactly_the_expected_one() -> None:
    study = StudySpec()
    for index in (0, 3):
        ds = ct_instance(study, generate_uid(), index)
        assert summarize_dicom(to_bytes(ds)) == expected_ct_summary(study, ds)


def test_ct_summary_types() -> None:
    study = StudySpec()
    summary = summarize_dicom(to_bytes(ct_instance(study, generate_uid(), 0)))
    assert type(summary["Version"]) is int
    assert type(summary["0028,0010"]) is int
    assert type(summary["0018,0050"]) is float
    assert all(type(value) is float for value in summary["0020,0037"])


def test_implicit_vr_gives_the_same_summary() -> None:
    study = StudySpec()
    ds = ct_instance(study, generate_uid(), 2)
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    assert summarize_dicom(to_bytes(ds)) == expected_ct_summary(study, ds)


@pytest.mark.parametrize("frames", [1, 5])
def test_multiframe_number_of_frames(frames: int) -> None:
    summary = summarize_dicom(to_bytes(multiframe_instance(StudySpec(), frames=frames)))
    assert summary["0028,0008"] == frames
    assert summary["0028,0010"] == 32
    assert summary["0028,0011"] == 32
    assert summary["0028,0101"] == 16


def test_ct_has_no_number_of_frames() -> None:
    assert "0028,0008" not in summarize_dicom(to_bytes(ct_instance(StudySpec(), generate_uid(), 0)))


def test_dataset_without_pixel_data() -> None:
    study = StudySpec()
    ds = without_pixel_data(study)
    assert summarize_dicom(to_bytes(ds)) == {
        "Version": 2,
        "0020,000d": study.study_uid,
        "0008,0020": "20240102",
        "0008,0030": "101112",
        "0008,1030": "Synthetic study",
        "0010,0010": "Doe^Jane",
        "0010,0020": "PAT-001",
        "0008,0050": "ACC42",
        "0010,1010": "042Y",
        "0010,0040": "F",
        "0020,000e": str(ds.SeriesInstanceUID),
        "0020,0011": 9,
        "0008,0060": "SR",
        "0020,0013": 1,
        "0008,0016": "1.2.840.10008.5.1.4.1.1.88.11",
        "0008,0018": str(ds.SOPInstanceUID),
        "0010,1020": 1.68,
        "0010,1030": 71.5,
        # A structured report (with no content here) always gets extensions: see tests/unit/test_derived.py.
        "Extensions": {"Version": 1, "Instance": {}},
    }


def test_private_and_unlisted_tags_are_ignored() -> None:
    study = StudySpec()
    ds = ct_instance(study, generate_uid(), 1)
    ds.StationName = "CT01"  # a public tag outside the table
    ds.OperatorsName = "Op^Erator"
    block = ds.private_block(0x0011, "ACME 1.0", create=True)
    block.add_new(0x01, "LO", "secret")
    block.add_new(0x02, "DS", "42")
    ds.add_new(0x00191000, "UN", b"raw bytes")
    assert summarize_dicom(to_bytes(ds)) == expected_ct_summary(study, ds)


def test_unparseable_numbers_are_left_out_of_the_summary() -> None:
    study = StudySpec()
    ds = ct_instance(study, generate_uid(), 0)
    ds["WindowCenter"].VR = "LO"  # stored as text so that any string can be written
    ds.WindowCenter = "abc"
    expected = expected_ct_summary(study, ds)
    del expected["0028,1050"]
    assert summarize_dicom(to_bytes(ds)) == expected


def test_multivalued_window_center_keeps_the_first() -> None:
    study = StudySpec()
    ds = ct_instance(study, generate_uid(), 0)
    ds.WindowCenter = ["40", "400"]
    ds.WindowWidth = ["80", "1500"]
    summary = summarize_dicom(to_bytes(ds))
    assert summary["0028,1050"] == 40.0
    assert summary["0028,1051"] == 80.0


# --- PET: radiopharmaceutical sequence and vendor tags ---------------------------

HALF_LIFE, DOSE = 6586.2, 370000000.0


def _pet() -> tuple[StudySpec, Dataset]:
    study = StudySpec()
    return study, pet_instance(study, generate_uid(), 0)


def _first_item(ds: Dataset) -> Dataset:
    item: Dataset = ds.RadiopharmaceuticalInformationSequence[0]
    return item


def test_pet_summary_is_exactly_the_expected_one() -> None:
    study, ds = _pet()
    expected = expected_ct_summary(study, ds)
    expected.update({
        "0008,0016": PositronEmissionTomographyImageStorage,
        "0054,1001": "BQML",
        "0054,1102": "START",
        "0028,0051": ["ATTN", "DECY"],
        "0054,1300": 1234.5,
        "0018,1242": 180000,
        "0054,0016": [{
            "RadionuclideHalfLife": HALF_LIFE,
            "RadionuclideTotalDose": DOSE,
            "RadiopharmaceuticalStartDateTime": "20240102093000",
        }],
        "7053,1000": 0.000123,
        "7053,1009": 1.5,
        "0009,100d": "20240102093000.00",
    })
    assert summarize_dicom(to_bytes(ds)) == expected


def test_pet_vendor_tags_in_implicit_vr() -> None:
    """Read without their private dictionary, vendor tags come as UN bytes: still text."""
    _, ds = _pet()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    summary = summarize_dicom(to_bytes(ds))
    assert summary["7053,1000"] == 0.000123
    assert summary["7053,1009"] == 1.5
    assert summary["0009,100d"] == "20240102093000.00"


def test_start_time_used_when_date_time_absent() -> None:
    _, ds = _pet()
    del _first_item(ds).RadiopharmaceuticalStartDateTime
    assert summarize_dicom(to_bytes(ds))["0054,0016"] == [{
        "RadionuclideHalfLife": HALF_LIFE,
        "RadionuclideTotalDose": DOSE,
        "RadiopharmaceuticalStartTime": "093000",
    }]


def test_only_the_first_item_is_used() -> None:
    _, ds = _pet()
    second = Dataset()
    second.RadionuclideHalfLife = "109.8"
    second.RadionuclideTotalDose = "1000"
    second.RadiopharmaceuticalStartDateTime = "20240101080000"
    ds.RadiopharmaceuticalInformationSequence = Sequence([_first_item(ds), second])
    assert summarize_dicom(to_bytes(ds))["0054,0016"] == [{
        "RadionuclideHalfLife": HALF_LIFE,
        "RadionuclideTotalDose": DOSE,
        "RadiopharmaceuticalStartDateTime": "20240102093000",
    }]


def test_incomplete_first_item_is_not_completed_from_the_second() -> None:
    _, ds = _pet()
    first = _first_item(ds)
    del first.RadionuclideHalfLife
    second = Dataset()
    second.RadionuclideHalfLife = "109.8"
    second.RadionuclideTotalDose = "1000"
    second.RadiopharmaceuticalStartTime = "080000"
    ds.RadiopharmaceuticalInformationSequence = Sequence([first, second])
    assert "0054,0016" not in summarize_dicom(to_bytes(ds))


@pytest.mark.parametrize(
    "removed",
    [
        ["RadionuclideHalfLife"],
        ["RadionuclideTotalDose"],
        ["RadionuclideHalfLife", "RadionuclideTotalDose"],
        ["RadiopharmaceuticalStartDateTime", "RadiopharmaceuticalStartTime"],
    ],
)
def test_sequence_not_written_when_a_required_field_is_missing(removed: list[str]) -> None:
    study, ds = _pet()
    item = _first_item(ds)
    for keyword in removed:
        delattr(item, keyword)
    summary = summarize_dicom(to_bytes(ds))
    assert "0054,0016" not in summary
    assert summary["0020,000d"] == study.study_uid  # the rest is still there


def test_empty_sequence_not_written() -> None:
    _, ds = _pet()
    ds.RadiopharmaceuticalInformationSequence = Sequence([])
    assert "0054,0016" not in summarize_dicom(to_bytes(ds))


# --- Character sets --------------------------------------------------------------


@pytest.mark.parametrize("case", GENERATED_CHARSETS + BUNDLED_CHARSETS, ids=lambda case: case.name)
def test_patient_name_in_every_character_set(case: CharsetCase) -> None:
    summary = summarize_dicom(charset_bytes(case))
    assert summary["0010,0010"] == case.patient_name


@pytest.mark.parametrize("case", GENERATED_CHARSETS, ids=lambda case: case.name)
def test_study_description_in_generated_character_sets(case: CharsetCase) -> None:
    summary = summarize_dicom(charset_bytes(case))
    assert summary["0008,1030"] == case.study_description


# --- Errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not a DICOM file, just some text",
        random.Random(4202).randbytes(2048),
    ],
    ids=["empty", "text", "random"],
)
def test_garbage_raises_summary_error(data: bytes) -> None:
    with pytest.raises(SummaryError):
        summarize_dicom(data)

