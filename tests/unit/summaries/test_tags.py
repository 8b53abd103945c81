"""The tag table (ohif_plugin.summaries.tags), written out again by hand: the tags the viewer needs from
each instance, at their level, with the type each value is stored as. A tag added, dropped or retyped in the
plugin shows here as a difference to review."""

from __future__ import annotations

from ohif_plugin.summaries.tags import TAGS, TAGS_BY_KEY, Level, ValueType

S, INT, F = ValueType.STRING, ValueType.INTEGER, ValueType.FLOAT
LF, LS = ValueType.LIST_OF_FLOATS, ValueType.LIST_OF_STRINGS
RP = ValueType.RADIOPHARMACEUTICAL

STUDY_LEVEL = {
    "0020,000d": ("StudyInstanceUID", S), "0008,0020": ("StudyDate", S),
    "0008,0030": ("StudyTime", S), "0008,1030": ("StudyDescription", S),
    "0010,0010": ("PatientName", S), "0010,0020": ("PatientID", S),
    "0008,0050": ("AccessionNumber", S), "0010,1010": ("PatientAge", S),
    "0010,0040": ("PatientSex", S),
}
SERIES_LEVEL = {
    "0020,000e": ("SeriesInstanceUID", S), "0020,0011": ("SeriesNumber", INT),
    "0008,103e": ("SeriesDescription", S), "0008,0060": ("Modality", S),
    "0018,0050": ("SliceThickness", F),
}
INSTANCE_LEVEL = {
    "0028,0011": ("Columns", INT), "0028,0010": ("Rows", INT), "0020,0013": ("InstanceNumber", INT),
    "0008,0016": ("SOPClassUID", S), "0028,0004": ("PhotometricInterpretation", S),
    "0028,0100": ("BitsAllocated", INT), "0028,0101": ("BitsStored", INT),
    "0028,0103": ("PixelRepresentation", INT), "0028,0002": ("SamplesPerPixel", INT),
    "0028,0030": ("PixelSpacing", LF), "0028,0102": ("HighBit", INT),
    "0020,0037": ("ImageOrientationPatient", LF), "0020,0032": ("ImagePositionPatient", LF),
    "0020,0052": ("FrameOfReferenceUID", S), "0008,0008": ("ImageType", LS),
    "0008,0060": ("Modality", S), "0008,0018": ("SOPInstanceUID", S),
    "0020,000e": ("SeriesInstanceUID", S), "0020,000d": ("StudyInstanceUID", S),
    "0028,1050": ("WindowCenter", F), "0028,1051": ("WindowWidth", F),
    "0008,0021": ("SeriesDate", S), "0008,0022": ("AcquisitionDate", S),
    "0008,0032": ("AcquisitionTime", S), "0008,0031": ("SeriesTime", S),
    "0010,1020": ("PatientSize", F), "0010,1030": ("PatientWeight", F),
    "0018,1242": ("ActualFrameDuration", INT), "0028,0051": ("CorrectedImage", LS),
    "0054,1001": ("Units", S), "0054,1102": ("DecayCorrection", S),
    "0054,1300": ("FrameReferenceTime", F),
    "0054,0016": ("RadiopharmaceuticalInformationSequence", RP),
    "0028,1052": ("RescaleIntercept", F), "0028,1053": ("RescaleSlope", F),
    "0028,0008": ("NumberOfFrames", INT),
    "7053,1000": ("70531000", F), "7053,1009": ("70531009", F), "0009,100d": ("0009100d", S),
}


def _table_at(level: Level) -> dict[str, tuple[str, ValueType]]:
    return {info.key: (info.name, info.value_type) for info in TAGS if level in info.levels}


def test_study_level_matches_spec() -> None:
    assert _table_at(Level.STUDY) == STUDY_LEVEL


def test_series_level_matches_spec() -> None:
    assert _table_at(Level.SERIES) == SERIES_LEVEL


def test_instance_level_matches_spec() -> None:
    assert _table_at(Level.INSTANCE) == INSTANCE_LEVEL


def test_no_tag_outside_the_spec() -> None:
    assert {info.key for info in TAGS} == set(STUDY_LEVEL) | set(SERIES_LEVEL) | set(INSTANCE_LEVEL)


def test_keys_are_lower_case_group_comma_element() -> None:
    by_tag = {info.tag: info for info in TAGS}
    assert by_tag[0x0020000D].key == "0020,000d"
    assert by_tag[0x0009100D].key == "0009,100d"
    assert by_tag[0x00081030].key == "0008,1030"
    assert TAGS_BY_KEY["7053,1009"].tag == 0x70531009
    assert TAGS_BY_KEY["0028,0030"].name == "PixelSpacing"
