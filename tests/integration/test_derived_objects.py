"""SR, SEG and RTSTRUCT through a real Orthanc: summaries with extensions, the study answer, bulk data URLs."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pydicom
import pytest

from harness.orthanc_server import OrthancServer
from ohif_plugin.summaries.codec import decode_summary, encode_summary
from ohif_plugin.summaries.extensions import EXTENSIONS_KEY
from tests.support import derived_factory as derived
from tests.support import dicom_factory as factory


@pytest.fixture(scope="module")
def uploaded(orthanc: OrthancServer) -> tuple[derived.DerivedStudy, dict[str, str]]:
    """The derived study in Orthanc, with the Orthanc identifier of each SOP instance UID."""
    objects = derived.derived_study(factory.StudySpec(patient_name="Derived^Integration"))
    datasets = [*objects.images, objects.segmentation, objects.report, objects.structure_set]
    ids = orthanc.upload_all(factory.to_bytes(ds) for ds in datasets)
    return objects, {str(ds.SOPInstanceUID): instance_id for ds, instance_id in zip(datasets, ids, strict=True)}


def _instances(orthanc: OrthancServer, study_id: str) -> dict[str, dict[str, Any]]:
    answer = orthanc.study_json(study_id)
    assert answer.status_code == 200
    return {
        instance["metadata"]["SOPInstanceUID"]: instance
        for series in answer.json()["studies"][0]["series"]
        for instance in series["instances"]
    }


def test_the_study_answer_has_what_ohif_reads_of_each_derived_object(
    orthanc: OrthancServer, uploaded: tuple[derived.DerivedStudy, dict[str, str]]
) -> None:
    objects, ids = uploaded
    instances = _instances(orthanc, orthanc.study_of(ids[objects.report.SOPInstanceUID]))
    report = instances[objects.report.SOPInstanceUID]["metadata"]
    assert report["ConceptNameCodeSequence"][0]["CodeValue"] == "126000"
    assert report["ContentTemplateSequence"][0]["TemplateIdentifier"] == "1500"
    segmentation = instances[objects.segmentation.SOPInstanceUID]
    assert segmentation["metadata"]["SegmentSequence"][0]["SegmentLabel"] == "Lesion"
    assert len(segmentation["metadata"]["PerFrameFunctionalGroupsSequence"]) == objects.segmentation.NumberOfFrames
    assert segmentation["url"] == f"dicomweb:../instances/{ids[objects.segmentation.SOPInstanceUID]}/file"
    structures = instances[objects.structure_set.SOPInstanceUID]["metadata"]
    assert structures["StructureSetROISequence"][0]["ROIName"] == "Target"
    assert "RTReferencedStudySequence" in structures["ReferencedFrameOfReferenceSequence"][0]
    image = instances[objects.images[0].SOPInstanceUID]["metadata"]
    assert not [key for key in image if key.endswith("Sequence")]


def test_metadata_4202_decodes_with_current_extensions(
    orthanc: OrthancServer, uploaded: tuple[derived.DerivedStudy, dict[str, str]]
) -> None:
    objects, ids = uploaded
    for ds in (objects.segmentation, objects.report, objects.structure_set):
        stored = orthanc.wait_for_metadata([ids[ds.SOPInstanceUID]])[ids[ds.SOPInstanceUID]]
        summary = decode_summary(stored)
        assert summary is not None, ds.SOPClassUID
        assert summary[EXTENSIONS_KEY]["Instance"], ds.SOPClassUID


def test_a_summary_written_without_extensions_is_recomputed(
    orthanc: OrthancServer, uploaded: tuple[derived.DerivedStudy, dict[str, str]]
) -> None:
    """As the C++ plugin writes it: the reference's keys only."""
    objects, ids = uploaded
    instance_id = ids[objects.segmentation.SOPInstanceUID]
    summary = decode_summary(orthanc.wait_for_metadata([instance_id])[instance_id])
    assert summary is not None
    del summary[EXTENSIONS_KEY]
    orthanc.put_metadata(instance_id, encode_summary(summary))
    instances = _instances(orthanc, orthanc.study_of(instance_id))
    assert "SegmentSequence" in instances[objects.segmentation.SOPInstanceUID]["metadata"]
    stored = orthanc.wait_for_summary(instance_id, lambda value: EXTENSIONS_KEY in (decode_summary(value or b"") or {}))
    recomputed = decode_summary(stored or b"")
    assert recomputed is not None and "SegmentSequence" in recomputed[EXTENSIONS_KEY]["Instance"]


def test_a_large_binary_value_is_a_url_that_orthanc_serves(orthanc: OrthancServer) -> None:
    objects = derived.derived_study(factory.StudySpec(patient_name="Derived^Bulk"), slices=6)
    report = pydicom.dcmread(io.BytesIO(factory.to_bytes(objects.report)))
    value = bytes(range(256)) * 8
    report.ContentSequence[0].add_new(0x00189219, "OB", value)
    ids = orthanc.upload_all([*(factory.to_bytes(ds) for ds in objects.images), factory.to_bytes(report)])
    metadata = _instances(orthanc, orthanc.study_of(ids[-1]))[report.SOPInstanceUID]["metadata"]
    text = orjson.dumps(metadata).decode()
    assert len(text) < 20_000  # the value is not inlined
    bulk = next(item for item in metadata["ContentSequence"][0].values() if isinstance(item, dict))["BulkDataURI"]
    assert bulk.startswith(f"../instances/{ids[-1]}/content/")
    # Relative to the viewer page, /ohif/viewer.
    served = orthanc.get("/" + bulk.removeprefix("../"))
    assert served.status_code == 200
    assert served.content == value
