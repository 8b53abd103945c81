"""Derived objects (structured reports, segmentations, RT structure sets) in the dicom-json source.

OHIF's SR, SEG and RTSTRUCT handlers build their display sets from instance
metadata: the SR handler reads the whole report tree from it, the SEG loader
reads the segments and functional groups from it (and the pixels from the
instance URL), the RTSTRUCT handler needs the references to find the images it
draws on (and reads the contours from the instance file). The reference's
summary has none of these, so they go in the summary's extensions, naturalized.

What is kept is data: :data:`DERIVED_OBJECTS`, by SOP class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

from ohif_plugin.summaries.naturalize import naturalize_elements

SOP_CLASS_UID_KEYWORD = "SOPClassUID"


@dataclass(frozen=True)
class DerivedObject:
    """What OHIF reads of one kind of derived object."""

    name: str
    keywords: tuple[str, ...]
    """Top-level elements kept, with everything inside them..."""
    omit: frozenset[str] = frozenset()
    """...but these, left out at any depth (OHIF reads them from the file instead)."""


STRUCTURED_REPORT = DerivedObject(
    "structured report",
    (
        "ValueType",
        "ConceptNameCodeSequence",
        "ContinuityOfContent",
        "CompletionFlag",
        "VerificationFlag",
        "ContentTemplateSequence",
        "ContentSequence",
        "CurrentRequestedProcedureEvidenceSequence",
        "CodingSchemeIdentificationSequence",
        "ContentDate",
        "ContentTime",
    ),
)

SEGMENTATION = DerivedObject(
    "segmentation",
    (
        "SegmentationType",
        "SegmentationFractionalType",
        "MaximumFractionalValue",
        "ContentLabel",
        "ContentDescription",
        "SegmentSequence",
        "ReferencedSeriesSequence",
        "SharedFunctionalGroupsSequence",
        "PerFrameFunctionalGroupsSequence",
    ),
)

RT_STRUCTURE_SET = DerivedObject(
    "RT structure set",
    (
        "StructureSetLabel",
        "StructureSetName",
        "StructureSetDate",
        "StructureSetTime",
        "ReferencedFrameOfReferenceSequence",
        # OHIF reads it first; its own RTSTRUCT export writes it instead of RTReferencedStudySequence.
        "ReferencedSeriesSequence",
        "StructureSetROISequence",
        "ROIContourSequence",
        "RTROIObservationsSequence",
    ),
    # The bulk of a structure set; OHIF reads the contours from the instance file.
    omit=frozenset({"ContourData"}),
)

DERIVED_OBJECTS: dict[str, DerivedObject] = {
    "1.2.840.10008.5.1.4.1.1.88.11": STRUCTURED_REPORT,  # Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22": STRUCTURED_REPORT,  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33": STRUCTURED_REPORT,  # Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34": STRUCTURED_REPORT,  # Comprehensive 3D SR
    "1.2.840.10008.5.1.4.1.1.66.4": SEGMENTATION,  # Segmentation
    "1.2.840.10008.5.1.4.1.1.66.7": SEGMENTATION,  # Label Map Segmentation: what OHIF's "DICOM SEG" export writes
    "1.2.840.10008.5.1.4.1.1.481.3": RT_STRUCTURE_SET,  # RT Structure Set
}
"""SOP Class UID -> what OHIF reads of it (the SOP classes OHIF's handlers take)."""


def derived_fields(dataset: Dataset) -> dict[str, Any]:
    """The naturalized fields OHIF reads for a derived object; nothing for any other instance."""
    derived = DERIVED_OBJECTS.get(str(dataset.get(SOP_CLASS_UID_KEYWORD, "")))
    if derived is None:
        return {}
    return naturalize_elements(dataset, derived.keywords, omit=derived.omit)
