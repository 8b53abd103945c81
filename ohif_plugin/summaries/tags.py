"""The tags a summary keeps, their value types and the OHIF levels they feed.

This table is the single source of truth shared by summary encoding
(:mod:`ohif_plugin.summaries.dataset`) and study assembly (:mod:`ohif_plugin.study_json.assembly`).
It follows the reference plugin so that summaries stay interchangeable.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property


class ValueType(enum.Enum):
    """How the DICOM string value of a tag becomes a JSON value."""

    STRING = "String"
    INTEGER = "Integer"
    FLOAT = "Float"
    LIST_OF_FLOATS = "ListOfFloats"
    LIST_OF_STRINGS = "ListOfStrings"
    RADIOPHARMACEUTICAL = "RadiopharmaceuticalInformation"


class Level(enum.Flag):
    """Where a tag appears in the ohif-dicom-json answer."""

    STUDY = enum.auto()
    SERIES = enum.auto()
    INSTANCE = enum.auto()


@dataclass(frozen=True)
class TagInfo:
    group: int
    element: int
    name: str
    value_type: ValueType
    levels: Level

    @property
    def tag(self) -> int:
        return (self.group << 16) | self.element

    @cached_property
    def key(self) -> str:
        """The summary key, as the reference writes it: lower-case "gggg,eeee"."""
        return f"{self.group:04x},{self.element:04x}"


S, INT, F = ValueType.STRING, ValueType.INTEGER, ValueType.FLOAT
LF, LS = ValueType.LIST_OF_FLOATS, ValueType.LIST_OF_STRINGS
STUDY, SERIES, INSTANCE = Level.STUDY, Level.SERIES, Level.INSTANCE

TAGS: tuple[TagInfo, ...] = (
    # Study level (StudyInstanceUID is also an instance field).
    TagInfo(0x0020, 0x000D, "StudyInstanceUID", S, STUDY | INSTANCE),
    TagInfo(0x0008, 0x0020, "StudyDate", S, STUDY),
    TagInfo(0x0008, 0x0030, "StudyTime", S, STUDY),
    TagInfo(0x0008, 0x1030, "StudyDescription", S, STUDY),
    TagInfo(0x0010, 0x0010, "PatientName", S, STUDY),
    TagInfo(0x0010, 0x0020, "PatientID", S, STUDY),
    TagInfo(0x0008, 0x0050, "AccessionNumber", S, STUDY),
    TagInfo(0x0010, 0x1010, "PatientAge", S, STUDY),
    TagInfo(0x0010, 0x0040, "PatientSex", S, STUDY),
    # Series level (SeriesInstanceUID and Modality are also instance fields).
    TagInfo(0x0020, 0x000E, "SeriesInstanceUID", S, SERIES | INSTANCE),
    TagInfo(0x0020, 0x0011, "SeriesNumber", INT, SERIES),
    TagInfo(0x0008, 0x103E, "SeriesDescription", S, SERIES),
    TagInfo(0x0008, 0x0060, "Modality", S, SERIES | INSTANCE),
    TagInfo(0x0018, 0x0050, "SliceThickness", F, SERIES),
    # Instance level.
    TagInfo(0x0028, 0x0011, "Columns", INT, INSTANCE),
    TagInfo(0x0028, 0x0010, "Rows", INT, INSTANCE),
    TagInfo(0x0020, 0x0013, "InstanceNumber", INT, INSTANCE),
    TagInfo(0x0008, 0x0016, "SOPClassUID", S, INSTANCE),
    TagInfo(0x0028, 0x0004, "PhotometricInterpretation", S, INSTANCE),
    TagInfo(0x0028, 0x0100, "BitsAllocated", INT, INSTANCE),
    TagInfo(0x0028, 0x0101, "BitsStored", INT, INSTANCE),
    TagInfo(0x0028, 0x0103, "PixelRepresentation", INT, INSTANCE),
    TagInfo(0x0028, 0x0002, "SamplesPerPixel", INT, INSTANCE),
    TagInfo(0x0028, 0x0030, "PixelSpacing", LF, INSTANCE),
    TagInfo(0x0028, 0x0102, "HighBit", INT, INSTANCE),
    TagInfo(0x0020, 0x0037, "ImageOrientationPatient", LF, INSTANCE),
    TagInfo(0x0020, 0x0032, "ImagePositionPatient", LF, INSTANCE),
    TagInfo(0x0020, 0x0052, "FrameOfReferenceUID", S, INSTANCE),
    TagInfo(0x0008, 0x0008, "ImageType", LS, INSTANCE),
    TagInfo(0x0008, 0x0018, "SOPInstanceUID", S, INSTANCE),
    TagInfo(0x0028, 0x1050, "WindowCenter", F, INSTANCE),
    TagInfo(0x0028, 0x1051, "WindowWidth", F, INSTANCE),
    TagInfo(0x0008, 0x0021, "SeriesDate", S, INSTANCE),
    TagInfo(0x0008, 0x0022, "AcquisitionDate", S, INSTANCE),
    TagInfo(0x0008, 0x0032, "AcquisitionTime", S, INSTANCE),
    TagInfo(0x0008, 0x0031, "SeriesTime", S, INSTANCE),
    TagInfo(0x0010, 0x1020, "PatientSize", F, INSTANCE),
    TagInfo(0x0010, 0x1030, "PatientWeight", F, INSTANCE),
    TagInfo(0x0018, 0x1242, "ActualFrameDuration", INT, INSTANCE),
    TagInfo(0x0028, 0x0051, "CorrectedImage", LS, INSTANCE),
    TagInfo(0x0054, 0x1001, "Units", S, INSTANCE),
    TagInfo(0x0054, 0x1102, "DecayCorrection", S, INSTANCE),
    TagInfo(0x0054, 0x1300, "FrameReferenceTime", F, INSTANCE),
    TagInfo(0x0054, 0x0016, "RadiopharmaceuticalInformationSequence",
            ValueType.RADIOPHARMACEUTICAL, INSTANCE),
    TagInfo(0x0028, 0x1052, "RescaleIntercept", F, INSTANCE),
    TagInfo(0x0028, 0x1053, "RescaleSlope", F, INSTANCE),
    TagInfo(0x0028, 0x0008, "NumberOfFrames", INT, INSTANCE),
    # Vendor tags, kept under their hex names as OHIF expects them.
    TagInfo(0x7053, 0x1000, "70531000", F, INSTANCE),  # Philips SUV scale factor
    TagInfo(0x7053, 0x1009, "70531009", F, INSTANCE),  # Philips activity concentration scale
    TagInfo(0x0009, 0x100D, "0009100d", S, INSTANCE),  # GE post-injection date-time
)

TAGS_BY_KEY: dict[str, TagInfo] = {info.key: info for info in TAGS}


@dataclass(frozen=True)
class RadiopharmaceuticalField:
    """One key of the object built from the first radiopharmaceutical item."""

    tag: int
    name: str
    value_type: ValueType


RADIOPHARMACEUTICAL_FIELDS: tuple[RadiopharmaceuticalField, ...] = (
    RadiopharmaceuticalField(0x00181075, "RadionuclideHalfLife", F),
    RadiopharmaceuticalField(0x00181074, "RadionuclideTotalDose", F),
    RadiopharmaceuticalField(0x00181078, "RadiopharmaceuticalStartDateTime", S),
    RadiopharmaceuticalField(0x00181072, "RadiopharmaceuticalStartTime", S),
)
"""The two start times are alternatives: the date-time wins when both exist."""


IDENTIFYING_TAGS = (0x00080018, 0x0020000D, 0x0020000E)
"""SOPInstanceUID, StudyInstanceUID, SeriesInstanceUID: a dataset with none is not an instance."""
SPECIFIC_CHARACTER_SET = 0x00080005
"""Read with the table's tags: it says how their text is encoded."""


def tags_at(level: Level) -> tuple[TagInfo, ...]:
    return tuple(info for info in TAGS if level in info.levels)
