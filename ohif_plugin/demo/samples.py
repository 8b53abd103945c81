"""Sample DICOM studies: small, valid, and fully known.

Used by the demo (`scripts/load_samples.py`), the benchmarks and the tests, so
it lives in the product package and needs nothing beyond the plugin's own
dependencies (pydicom and the standard library; no numpy). The tests'
expectations about these instances are in `tests/support/dicom_factory.py`.
"""

from __future__ import annotations

import io
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    PositronEmissionTomographyImageStorage,
)
from pydicom.uid import generate_uid as generate_uid  # re-exported for the callers

MULTIFRAME_GRAYSCALE_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3"
"""Multi-frame Grayscale Word Secondary Capture Image Storage."""


def to_bytes(dataset: Dataset) -> bytes:
    """A Part 10 file, explicit VR little endian."""
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def file_meta(sop_class: str, sop_instance: str) -> FileMetaDataset:
    """The file meta information that :func:`to_bytes` needs to write a Part 10 file."""
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


def study_dataset(study: StudySpec) -> Dataset:
    """A dataset with the patient and study attributes of ``study``, shared by all its instances."""
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
    ds = study_dataset(study)
    sop_uid = generate_uid()
    ds.file_meta = file_meta(CTImageStorage, sop_uid)
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


def ct_series(study: StudySpec, count: int, **options: Any) -> list[Dataset]:
    """``count`` slices of one new CT series (or of ``series_uid``); other options go to :func:`ct_instance`."""
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
    ds = study_dataset(study)
    sop_uid = generate_uid()
    ds.file_meta = file_meta(sop_class, sop_uid)
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
    """A multi-frame secondary capture in a series of its own; every frame differs."""
    ds = series_dataset(study, MULTIFRAME_GRAYSCALE_WORD_SC, "OT", 2)
    ds.NumberOfFrames = frames
    ds.FrameTime = "40"
    _set_grayscale_pixels(ds, size, bits_stored=16)
    ds.PixelData = array("H", ((value * 7) % 65536 for value in range(frames * size * size))).tobytes()
    return ds


def bundled_test_file(name: str) -> bytes:
    """One of pydicom's bundled test files, such as CT_small.dcm."""
    path = get_testdata_file(name)
    if path is None:
        raise FileNotFoundError(f"pydicom has no bundled test file {name!r}")
    return Path(str(path)).read_bytes()


def study_files(study: StudySpec, counts: dict[str, int], **options: Any) -> Iterator[bytes]:
    """Files of a study with one CT series per entry of ``counts`` (description: count)."""
    for number, (description, count) in enumerate(counts.items(), start=1):
        for ds in ct_series(study, count, series_number=number, series_description=description, **options):
            yield to_bytes(ds)


BUNDLED_SAMPLES = ("CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "MR_small_jpeg_ls_lossless.dcm")
"""pydicom's bundled test files that the demo loads: CT, MR, JPEG 2000, JPEG-LS."""


def sample_files() -> list[bytes]:
    """The demo's studies: several CT series, a PET series and a multi-frame series, and pydicom's samples."""
    study = StudySpec(patient_name="Demo^Multiseries", study_description="Demo CT + PET")
    files = list(study_files(study, {"Axial": 24, "Axial thin": 24}, size=128))
    pet_series = generate_uid()
    files += [to_bytes(pet_instance(study, pet_series, index)) for index in range(12)]
    files.append(to_bytes(multiframe_instance(study, frames=10, size=64)))
    files += [bundled_test_file(name) for name in BUNDLED_SAMPLES]
    return files
