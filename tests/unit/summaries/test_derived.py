"""SR, SEG and RTSTRUCT: the fields OHIF reads, in the summary and in the study answer."""

from __future__ import annotations

import io
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset

from ohif_plugin.study_json.assembly import InstanceSummary, assemble_study
from ohif_plugin.summaries.codec import decode_summary, encode_summary
from ohif_plugin.summaries.dataset import summarize_dicom
from ohif_plugin.summaries.derived import DERIVED_OBJECTS, derived_fields
from ohif_plugin.summaries.extensions import EXTENDED_SOP_CLASSES, EXTENSIONS_KEY, needs_extensions
from tests.support import derived_factory as derived
from tests.support import dicom_factory as factory


@pytest.fixture(scope="module")
def study() -> derived.DerivedStudy:
    return derived.derived_study(slices=6)


def _reread(ds: Dataset) -> Dataset:
    """The dataset as the plugin reads it: from the file, without pixels."""
    return pydicom.dcmread(io.BytesIO(factory.to_bytes(ds)), stop_before_pixels=True)


def test_every_derived_class_always_needs_extensions() -> None:
    for sop_class in DERIVED_OBJECTS:
        assert sop_class in EXTENDED_SOP_CLASSES
        assert needs_extensions({"Version": 2, "0008,0016": sop_class})


def test_structured_report_keeps_the_whole_report_tree(study: derived.DerivedStudy) -> None:
    fields = derived_fields(_reread(study.report))
    assert fields["ConceptNameCodeSequence"][0]["CodeValue"] == "126000"
    assert fields["ContentTemplateSequence"][0]["TemplateIdentifier"] == "1500"
    assert fields["CompletionFlag"] == "COMPLETE"
    assert fields["VerificationFlag"] == "UNVERIFIED"
    image = study.images[3]
    evidence = fields["CurrentRequestedProcedureEvidenceSequence"][0]["ReferencedSeriesSequence"][0]
    assert evidence["ReferencedSOPSequence"][0]["ReferencedSOPInstanceUID"] == image.SOPInstanceUID

    def items(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = []
        for item in content:
            found.append(item)
            found += items(item.get("ContentSequence", []))
        return found

    every = items(fields["ContentSequence"])
    lengths = [item for item in every if item.get("ValueType") == "NUM"]
    assert [item["MeasuredValueSequence"][0]["NumericValue"] for item in lengths] == [derived.LENGTH_MM]
    polylines = [item for item in every if item.get("ValueType") == "SCOORD"]
    assert polylines[0]["GraphicType"] == "POLYLINE"
    assert len(polylines[0]["GraphicData"]) == 4
    assert all(isinstance(value, float) for value in polylines[0]["GraphicData"])
    assert polylines[0]["ContentSequence"][0]["ReferencedSOPSequence"][0]["ReferencedSOPInstanceUID"] == (
        image.SOPInstanceUID
    )


def test_segmentation_keeps_segments_references_and_functional_groups(study: derived.DerivedStudy) -> None:
    fields = derived_fields(_reread(study.segmentation))
    assert fields["SegmentationType"] == "BINARY"
    segment = fields["SegmentSequence"][0]
    assert (segment["SegmentNumber"], segment["SegmentLabel"]) == (1, "Lesion")
    assert len(segment["RecommendedDisplayCIELabValue"]) == 3
    assert fields["ReferencedSeriesSequence"][0]["SeriesInstanceUID"] == study.images[0].SeriesInstanceUID
    shared = fields["SharedFunctionalGroupsSequence"][0]
    assert shared["PlaneOrientationSequence"][0]["ImageOrientationPatient"] == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    frames = fields["PerFrameFunctionalGroupsSequence"]
    assert len(frames) == len(derived.SEGMENTED.slices) == study.segmentation.NumberOfFrames
    sources = {frame["DerivationImageSequence"][0]["SourceImageSequence"][0]["ReferencedSOPInstanceUID"]
               for frame in frames}
    assert sources == {study.images[index].SOPInstanceUID for index in derived.SEGMENTED.slices}
    assert "PixelData" not in fields


def test_a_label_map_segmentation_is_read_as_a_segmentation(study: derived.DerivedStudy) -> None:
    """OHIF's own "DICOM SEG" export writes Label Map Segmentation Storage."""
    label_map = _reread(study.segmentation)
    label_map.SOPClassUID = "1.2.840.10008.5.1.4.1.1.66.7"
    label_map.SegmentationType = "LABELMAP"
    fields = derived_fields(label_map)
    assert fields["SegmentationType"] == "LABELMAP"
    assert fields["SegmentSequence"][0]["SegmentLabel"] == "Lesion"
    assert fields["ReferencedSeriesSequence"][0]["SeriesInstanceUID"] == study.images[0].SeriesInstanceUID


def test_structure_set_keeps_rois_and_references_but_not_the_contour_points(study: derived.DerivedStudy) -> None:
    fields = derived_fields(_reread(study.structure_set))
    assert fields["StructureSetROISequence"][0]["ROIName"] == "Target"
    roi_contour = fields["ROIContourSequence"][0]
    assert roi_contour["ROIDisplayColor"] == list(derived.RT_ROI_RGB)
    contours = roi_contour["ContourSequence"]
    assert len(contours) == len(derived.CONTOURED.slices)
    assert all("ContourData" not in contour and contour["NumberOfContourPoints"] == 4 for contour in contours)
    frame_of_reference = fields["ReferencedFrameOfReferenceSequence"][0]
    series = frame_of_reference["RTReferencedStudySequence"][0]["RTReferencedSeriesSequence"][0]
    assert series["SeriesInstanceUID"] == study.images[0].SeriesInstanceUID


def test_a_structure_set_s_referenced_series_is_kept(study: derived.DerivedStudy) -> None:
    """As OHIF's own RTSTRUCT export writes it: the referenced series at the top level."""
    structure_set = _reread(study.structure_set)
    reference = Dataset()
    reference.SeriesInstanceUID = study.images[0].SeriesInstanceUID
    structure_set.ReferencedSeriesSequence = [reference]
    fields = derived_fields(structure_set)
    assert fields["ReferencedSeriesSequence"][0]["SeriesInstanceUID"] == study.images[0].SeriesInstanceUID


def test_plain_images_get_no_derived_fields(study: derived.DerivedStudy) -> None:
    assert derived_fields(_reread(study.images[0])) == {}


def test_summaries_round_trip_through_metadata_4202_and_reach_the_study_answer(
    study: derived.DerivedStudy,
) -> None:
    members = []
    for index, ds in enumerate([*study.images, study.segmentation, study.report, study.structure_set]):
        summary = summarize_dicom(factory.to_bytes(ds))
        assert decode_summary(encode_summary(summary)) == summary
        members.append(InstanceSummary(f"id-{index}", summary))
    answer = assemble_study(members, "token=abc")
    by_uid = {
        instance["metadata"]["SOPInstanceUID"]: instance["metadata"]
        for series in answer["studies"][0]["series"]
        for instance in series["instances"]
    }
    assert "SegmentSequence" in by_uid[study.segmentation.SOPInstanceUID]
    assert "ContentSequence" in by_uid[study.report.SOPInstanceUID]
    assert "ROIContourSequence" in by_uid[study.structure_set.SOPInstanceUID]
    assert "ContentSequence" not in by_uid[study.images[0].SOPInstanceUID]


def test_a_summary_without_extensions_is_stale_for_a_derived_object(study: derived.DerivedStudy) -> None:
    summary = summarize_dicom(factory.to_bytes(study.report))
    del summary[EXTENSIONS_KEY]
    assert decode_summary(encode_summary(summary)) is None


def test_bulk_data_in_a_report_becomes_a_url_with_the_query(study: derived.DerivedStudy) -> None:
    report = _reread(study.report)
    report.ContentSequence[0].add_new(0x00189219, "OB", b"\x07" * 1000)
    summary = summarize_dicom(factory.to_bytes(report))
    answer = assemble_study([InstanceSummary("sr-id", summary)], "token=abc")
    metadata = answer["studies"][0]["series"][0]["instances"][0]["metadata"]
    assert next(value for key, value in metadata["ContentSequence"][0].items() if "BulkDataURI" in str(value)) == {
        "BulkDataURI": "../instances/sr-id/content/0040-a730/0/0018-9219?token=abc"
    }
