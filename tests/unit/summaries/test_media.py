"""Encapsulated PDF and video: what the summary keeps, and the entries of the answer."""

from __future__ import annotations

from typing import Any

import pydicom
import pytest

from ohif_plugin.study_json.assembly import InstanceSummary, assemble_study, document_url, instance_entries, video_url
from ohif_plugin.summaries.codec import decode_summary, encode_summary
from ohif_plugin.summaries.dataset import summarize_dicom
from ohif_plugin.summaries.extensions import EXTENDED_SOP_CLASSES, EXTENSIONS_KEY, needs_extensions
from ohif_plugin.summaries.media import (
    PDF_MIME_TYPE,
    VIDEO_SOP_CLASSES,
    VIDEO_TRANSFER_SYNTAXES,
    document_fields,
    video_fields,
)
from tests.support import dicom_factory as factory
from tests.support import media_factory as media

FAKE_MP4 = b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 4


def _summary(ds: pydicom.Dataset) -> dict[str, Any]:
    return summarize_dicom(factory.to_bytes(ds))


def test_a_pdf_always_needs_extensions_and_keeps_its_mime_type_and_title() -> None:
    ds = media.encapsulated_pdf(factory.StudySpec(), media.minimal_pdf(), title="Discharge letter")
    summary = _summary(ds)
    assert needs_extensions(summary)
    assert summary[EXTENSIONS_KEY]["Instance"] == {
        "MIMETypeOfEncapsulatedDocument": "application/pdf",
        "DocumentTitle": "Discharge letter",
    }
    assert decode_summary(encode_summary(summary)) == summary
    # The document itself stays in Orthanc: the summary is small.
    assert len(encode_summary(summary)) < 1_000


def test_a_pdf_without_mime_type_is_still_a_pdf() -> None:
    ds = media.encapsulated_pdf(factory.StudySpec(), media.minimal_pdf())
    del ds.MIMETypeOfEncapsulatedDocument
    assert document_fields(ds)["MIMETypeOfEncapsulatedDocument"] == PDF_MIME_TYPE


def test_other_objects_have_no_document_fields() -> None:
    assert document_fields(factory.ct_instance(factory.StudySpec(), factory.generate_uid(), 0, size=8)) == {}


def test_the_pdf_entry_points_at_the_document_route_with_the_query() -> None:
    summary = _summary(media.encapsulated_pdf(factory.StudySpec(), media.minimal_pdf()))
    [entry] = instance_entries(InstanceSummary("id-p", summary), "token=abc")
    assert entry["url"] == "dicomweb:../instances/id-p/file?token=abc"
    assert entry["metadata"]["EncapsulatedDocument"] == {
        "DirectRetrieveURL": "../instances/id-p/ohif-pdf?token=abc"
    }
    assert entry["metadata"]["SOPClassUID"] == media.ENCAPSULATED_PDF
    assert document_url("id-p") == "../instances/id-p/ohif-pdf"




def test_the_minimal_pdf_has_a_correct_cross_reference_table() -> None:
    document = media.minimal_pdf("Hello")
    start = int(document.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert document[start:].startswith(b"xref\n0 6\n")
    offsets = [int(line[:10]) for line in document[start:].split(b"\n")[3:8]]
    assert [document[offset:].split(b" ")[0] for offset in offsets] == [b"1", b"2", b"3", b"4", b"5"]


def test_a_video_keeps_its_transfer_syntax_and_frame_time() -> None:
    ds = media.video_instance(factory.StudySpec(), FAKE_MP4, frames=50, size=64)
    summary = _summary(ds)
    assert summary[EXTENSIONS_KEY]["Instance"] == {
        "TransferSyntaxUID": "1.2.840.10008.1.2.4.102",
        "FrameTime": 40.0,
        "CineRate": 25.0,
    }
    assert decode_summary(encode_summary(summary)) == summary


def test_the_video_entry_is_one_playable_url_not_one_per_frame() -> None:
    summary = _summary(media.video_instance(factory.StudySpec(), FAKE_MP4, frames=50, size=64))
    assert instance_entries(InstanceSummary("id-v", summary), "token=abc") == [
        {"metadata": instance_entries(InstanceSummary("id-v", summary))[0]["metadata"],
         "url": "../instances/id-v/frames/0/raw?token=abc"}
    ]
    assert video_url("id-v") == "../instances/id-v/frames/0/raw"


def test_a_video_sop_class_with_one_frame_still_needs_extensions() -> None:
    summary = {"Version": 2, "0008,0016": "1.2.840.10008.5.1.4.1.1.77.1.1.1", "0028,0008": 1}
    assert needs_extensions(summary)
    assert decode_summary(encode_summary(summary)) is None


@pytest.mark.parametrize("transfer_syntax", sorted(VIDEO_TRANSFER_SYNTAXES))
def test_every_video_transfer_syntax_is_told(transfer_syntax: str) -> None:
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.UID(transfer_syntax)
    assert video_fields(ds) == {"TransferSyntaxUID": transfer_syntax}


def test_an_image_transfer_syntax_is_not_a_video() -> None:
    assert video_fields(factory.ct_instance(factory.StudySpec(), factory.generate_uid(), 0, size=8)) == {}
    assert video_fields(pydicom.Dataset()) == {}


def test_the_extended_sop_classes_include_pdf_and_video() -> None:
    assert media.ENCAPSULATED_PDF in EXTENDED_SOP_CLASSES
    assert set(VIDEO_SOP_CLASSES) <= set(EXTENDED_SOP_CLASSES)


def test_a_study_of_every_kind_lists_each_in_its_series() -> None:
    spec = factory.StudySpec()
    datasets = [
        media.ultrasound_multiframe(spec, frames=3, size=16),
        media.encapsulated_pdf(spec, media.minimal_pdf()),
        media.video_instance(spec, FAKE_MP4, frames=50, size=64),
        factory.ct_instance(spec, factory.generate_uid(), 0, size=8),
    ]
    answer = assemble_study(
        [InstanceSummary(f"id-{index}", _summary(ds)) for index, ds in enumerate(datasets)], "a=b"
    )
    [study] = answer["studies"]
    urls = sorted(entry["url"] for series in study["series"] for entry in series["instances"])
    assert urls == sorted([
        "dicomweb:../instances/id-0/file?a=b&frame=1",
        "dicomweb:../instances/id-0/file?a=b&frame=2",
        "dicomweb:../instances/id-0/file?a=b&frame=3",
        "dicomweb:../instances/id-1/file?a=b",
        "../instances/id-2/frames/0/raw?a=b",
        "dicomweb:../instances/id-3/file?a=b",
    ])
    assert study["NumInstances"] == 4  # instances, not entries
