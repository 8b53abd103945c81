"""Synthetic DICOM for tests and benchmarks: small, valid, and fully known.

Every generated instance comes with the values it was built from, so that
tests can state expected summaries without going through the plugin's code.
"""

from __future__ import annotations

import io
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from pydicom.data import get_charset_files, get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    PositronEmissionTomographyImageStorage,
)
from pydicom.uid import generate_uid as generate_uid  # re-exported for the tests

MULTIFRAME_GRAYSCALE_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3"


def to_bytes(dataset: Dataset) -> bytes:
    """A Part 10 file, explicit VR little endian."""
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _file_meta(sop_class: str, sop_instance: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return meta


@dataclass
class StudySpec:
    """The study-level values shared by the instances of a generated study."""

    study_uid: str = field(default_factory=generate_uid)
    patient_id: str = "PAT-001"
    patient_name: str = "Doe^Jane"
    study_description: str = "Synthetic study"
    accession_number: str = "ACC42"
    study_date: str = "20240102"
    study_time: str = "101112"
    patient_age: str = "042Y"
    patient_sex: str = "F"
    character_set: str | list[str] | None = None


def _study_dataset(study: StudySpec) -> Dataset:
    ds = Dataset()
    if study.character_set is not None:
        ds.SpecificCharacterSet = study.character_set
    ds.PatientName = study.patient_name
    ds.PatientID = study.patient_id
    ds.PatientAge = study.patient_age
    ds.PatientSex = study.patient_sex
    ds.PatientWeight = "71.5"
    ds.PatientSize = "1.68"
    ds.StudyInstanceUID = study.study_uid
    ds.StudyDescription = study.study_description
    ds.AccessionNumber = study.accession_number
    ds.StudyDate = study.study_date
    ds.StudyTime = study.study_time
    return ds


def _set_grayscale_pixels(ds: Dataset, size: int, bits_stored: int) -> None:
    """The image pixel module of a square, unsigned 16-bit grayscale image (pixels set apart)."""
    ds.Rows = size
    ds.Columns = size
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0


def ct_instance(
    study: StudySpec,
    series_uid: str,
    index: int,
    *,
    series_number: int = 1,
    series_description: str = "Axial",
    modality: str = "CT",
    size: int = 64,
    frame_of_reference: str = "1.2.826.0.1.3680043.8.498.1",
) -> Dataset:
    """Slice ``index`` (from 0) of a CT series; its pixels are a ramp, so never blank."""
    ds = _study_dataset(study)
    sop_uid = generate_uid()
    ds.file_meta = _file_meta(CTImageStorage, sop_uid)
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDescription = series_description
    ds.SeriesDate = "20240102"
    ds.SeriesTime = "101500"
    ds.AcquisitionDate = "20240102"
    ds.AcquisitionTime = "101600.5"
    ds.Modality = modality
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.InstanceNumber = index + 1
    ds.FrameOfReferenceUID = frame_of_reference
    ds.ImagePositionPatient = [-16.0, -16.0, 2.5 * index]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.5, 0.5]
    ds.SliceThickness = "2.5"
    _set_grayscale_pixels(ds, size, bits_stored=12)
    ds.WindowCenter = "300"
    ds.WindowWidth = "600"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    step = 4000 // (2 * size)
    ramp = array("H", (((row + column) * step + index) % 4096 for row in range(size) for column in range(size)))
    ds.PixelData = ramp.tobytes()
    return ds


def expected_ct_summary(study: StudySpec, ds: Dataset) -> dict[str, Any]:
    """What the reference format holds for a :func:`ct_instance`, written out by hand."""
    index = int(ds.InstanceNumber) - 1
    return {
        "Version": 2,
        "0020,000d": study.study_uid,
        "0008,0020": study.study_date,
        "0008,0030": study.study_time,
        "0008,1030": study.study_description,
        "0010,0010": study.patient_name,
        "0010,0020": study.patient_id,
        "0008,0050": study.accession_number,
        "0010,1010": study.patient_age,
        "0010,0040": study.patient_sex,
        "0020,000e": str(ds.SeriesInstanceUID),
        "0020,0011": int(ds.SeriesNumber),
        "0008,103e": str(ds.SeriesDescription),
        "0008,0060": str(ds.Modality),
        "0018,0050": 2.5,
        "0028,0011": int(ds.Columns),
        "0028,0010": int(ds.Rows),
        "0020,0013": index + 1,
        "0008,0016": CTImageStorage,
        "0028,0004": "MONOCHROME2",
        "0028,0100": 16,
        "0028,0101": 12,
        "0028,0103": 0,
        "0028,0002": 1,
        "0028,0030": [0.5, 0.5],
        "0028,0102": 11,
        "0020,0037": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        "0020,0032": [-16.0, -16.0, 2.5 * index],
        "0020,0052": str(ds.FrameOfReferenceUID),
        "0008,0008": ["ORIGINAL", "PRIMARY", "AXIAL"],
        "0008,0018": str(ds.SOPInstanceUID),
        "0028,1050": 300.0,
        "0028,1051": 600.0,
        "0008,0021": "20240102",
        "0008,0022": "20240102",
        "0008,0032": "101600.5",
        "0008,0031": "101500",
        "0010,1020": 1.68,
        "0010,1030": 71.5,
        "0028,1052": -1024.0,
        "0028,1053": 1.0,
    }


def ct_series(study: StudySpec, count: int, **options: Any) -> list[Dataset]:
    series_uid = options.pop("series_uid", None) or generate_uid()
    return [ct_instance(study, series_uid, index, **options) for index in range(count)]


def pet_instance(study: StudySpec, series_uid: str, index: int) -> Dataset:
    """A PET slice with the radiopharmaceutical sequence and PET-specific tags."""
    ds = ct_instance(study, series_uid, index, modality="PT", series_number=3,
                     series_description="PET AC")
    ds.SOPClassUID = PositronEmissionTomographyImageStorage
    ds.file_meta.MediaStorageSOPClassUID = PositronEmissionTomographyImageStorage
    ds.Units = "BQML"
    ds.DecayCorrection = "START"
    ds.CorrectedImage = ["ATTN", "DECY"]
    ds.FrameReferenceTime = "1234.5"
    ds.ActualFrameDuration = 180000
    item = Dataset()
    item.RadionuclideHalfLife = "6586.2"
    item.RadionuclideTotalDose = "370000000"
    item.RadiopharmaceuticalStartDateTime = "20240102093000"
    item.RadiopharmaceuticalStartTime = "093000"
    second = Dataset()
    second.RadionuclideHalfLife = "1"
    ds.RadiopharmaceuticalInformationSequence = Sequence([item, second])
    # Philips and GE private tags that OHIF reads under their hex names.
    philips = ds.private_block(0x7053, "Philips PET Private Group", create=True)
    philips.add_new(0x00, "DS", "0.000123")
    philips.add_new(0x09, "DS", "1.5")
    ge = ds.private_block(0x0009, "GEMS_PETD_01", create=True)
    ge.add_new(0x0D, "DT", "20240102093000.00")
    return ds


def series_dataset(
    study: StudySpec, sop_class: str, modality: str, number: int, description: str | None = None
) -> Dataset:
    """The first and only instance of a new series of the study, without its image."""
    ds = _study_dataset(study)
    sop_uid = generate_uid()
    ds.file_meta = _file_meta(sop_class, sop_uid)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = number
    if description is not None:
        ds.SeriesDescription = description
    ds.Modality = modality
    ds.InstanceNumber = 1
    return ds


def multiframe_instance(study: StudySpec, frames: int = 5, size: int = 32) -> Dataset:
    ds = series_dataset(study, MULTIFRAME_GRAYSCALE_WORD_SC, "OT", 2)
    ds.NumberOfFrames = frames
    ds.FrameTime = "40"
    _set_grayscale_pixels(ds, size, bits_stored=16)
    ds.PixelData = array("H", ((value * 7) % 65536 for value in range(frames * size * size))).tobytes()
    return ds


def without_pixel_data(study: StudySpec) -> Dataset:
    """A Basic Text SR-like object: no pixel data at all."""
    return series_dataset(study, "1.2.840.10008.5.1.4.1.1.88.11", "SR", 9)


@dataclass(frozen=True)
class CharsetCase:
    name: str
    character_set: str | list[str]
    patient_name: str
    source: str
    """"generated" here, or the file name of one of pydicom's bundled charset files."""
    python_codec: str = ""
    """For generated cases: how the text is encoded, bypassing pydicom's encoder
    (pydicom 3.0 turns half-width katakana in LO values into "?")."""

    @property
    def study_description(self) -> str:
        return self.patient_name.split("=")[0].replace("^", " ")


GENERATED_CHARSETS = (
    CharsetCase("latin-2", "ISO_IR 101", "Dvořák^Antonín", "generated", "iso8859_2"),
    CharsetCase("shift-jis", "ISO_IR 13", "ﾔﾏﾀﾞ^ﾀﾛｳ", "generated", "shift_jis"),
    CharsetCase("gbk", "GBK", "王^小东=Wang^XiaoDong", "generated", "gbk"),
    CharsetCase("utf-8", "ISO_IR 192", "Łódź^Zoë=東京^太郎", "generated", "utf_8"),
)

BUNDLED_CHARSETS = (
    CharsetCase("latin-1", "ISO_IR 100", "Buc^Jérôme", "chrFren.dcm"),
    CharsetCase("german", "ISO_IR 100", "Äneas^Rüdiger", "chrGerm.dcm"),
    CharsetCase("cyrillic", "ISO_IR 144", "Люкceмбypг", "chrRuss.dcm"),
    CharsetCase("greek", "ISO_IR 126", "Διονυσιος", "chrGreek.dcm"),
    CharsetCase("hebrew", "ISO_IR 138", "שרון^דבורה", "chrHbrw.dcm"),
    CharsetCase("arabic", "ISO_IR 127", "قباني^لنزار", "chrArab.dcm"),
    CharsetCase("japanese-iso2022", ["", "ISO 2022 IR 87"],
                "Yamada^Tarou=山田^太郎=やまだ^たろう", "chrH31.dcm"),
    CharsetCase("japanese-katakana-iso2022", ["ISO 2022 IR 13", "ISO 2022 IR 87"],
                "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", "chrH32.dcm"),
    CharsetCase("korean", ["", "ISO 2022 IR 149"], "Hong^Gildong=洪^吉洞=홍^길동", "chrI2.dcm"),
    CharsetCase("gb18030", "GB18030", "Wang^XiaoDong=王^小东", "chrX2.dcm"),
    CharsetCase("utf-8-bundled", "ISO_IR 192", "Wang^XiaoDong=王^小東", "chrX1.dcm"),
)


def charset_instance(case: CharsetCase) -> Dataset:
    """An instance whose PatientName (and StudyDescription if generated) use the case's character set."""
    if case.source == "generated":
        study = StudySpec(character_set=case.character_set)
        ds = ct_instance(study, generate_uid(), 0, size=8)
        ds["PatientName"].value = case.patient_name.encode(case.python_codec)
        ds["StudyDescription"].value = case.study_description.encode(case.python_codec)
        return ds
    ds = pydicom.dcmread(get_charset_files(case.source)[0])
    sop_uid = str(ds.SOPInstanceUID)
    ds.file_meta = _file_meta(str(ds.SOPClassUID), sop_uid)
    return ds


def charset_bytes(case: CharsetCase) -> bytes:
    """Bundled files keep their original bytes: pydicom rewrites unchanged values as read."""
    return to_bytes(charset_instance(case))


def bundled_test_file(name: str) -> bytes:
    """One of pydicom's bundled test files, such as CT_small.dcm."""
    path = get_testdata_file(name)
    assert path is not None, name
    return Path(str(path)).read_bytes()


def truncated(data: bytes, keep: int) -> bytes:
    return data[:keep]


def study_files(study: StudySpec, counts: dict[str, int], **options: Any) -> Iterator[bytes]:
    """Files of a study with one CT series per entry of ``counts`` (description: count)."""
    for number, (description, count) in enumerate(counts.items(), start=1):
        for ds in ct_series(study, count, series_number=number, series_description=description, **options):
            yield to_bytes(ds)
