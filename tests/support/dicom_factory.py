"""Synthetic DICOM for the tests: what the sample instances are expected to give, and odd cases.

The sample studies themselves are made by :mod:`ohif_plugin.demo.samples` (shared
with the demo and the benchmarks) and re-exported here, so tests use one
module. Every generated instance comes with the values it was built from, so
that tests can state expected summaries without going through the plugin's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pydicom
from pydicom.data import get_charset_files
from pydicom.dataset import Dataset
from pydicom.uid import CTImageStorage

from ohif_plugin.demo.samples import (
    MULTIFRAME_GRAYSCALE_WORD_SC,
    StudySpec,
    bundled_test_file,
    ct_instance,
    ct_series,
    file_meta,
    generate_uid,
    multiframe_instance,
    pet_instance,
    series_dataset,
    study_files,
    to_bytes,
)

__all__ = [
    "BUNDLED_CHARSETS",
    "GENERATED_CHARSETS",
    "MULTIFRAME_GRAYSCALE_WORD_SC",
    "CharsetCase",
    "StudySpec",
    "bundled_test_file",
    "charset_bytes",
    "charset_instance",
    "ct_instance",
    "ct_series",
    "expected_ct_summary",
    "generate_uid",
    "multiframe_instance",
    "pet_instance",
    "series_dataset",
    "study_files",
    "to_bytes",
    "truncated",
    "without_pixel_data",
]


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
    ds.file_meta = file_meta(str(ds.SOPClassUID), sop_uid)
    return ds


def charset_bytes(case: CharsetCase) -> bytes:
    """Bundled files keep their original bytes: pydicom rewrites unchanged values as read."""
    return to_bytes(charset_instance(case))


def truncated(data: bytes, keep: int) -> bytes:
    return data[:keep]
