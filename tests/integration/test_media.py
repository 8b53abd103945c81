"""Multi-frame images, encapsulated PDF and video through a real Orthanc: 4202, the study answer, the routes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pytest

from harness.orthanc_server import OrthancServer
from tests.support import dicom_factory as factory
from tests.support import media_factory as media
from tests.support.orthanc_checks import decode_4202, encode_4202

VIDEO_FRAMES, VIDEO_SIZE = 25, 64


@pytest.fixture(scope="module")
def study(orthanc: OrthancServer) -> dict[str, Any]:
    """One study with a multi-frame US, an enhanced MR, a PDF, a video and a CT slice."""
    spec = factory.StudySpec(patient_name="Media^Study")
    document = media.minimal_pdf("Integration")
    video = media.h264_mp4(VIDEO_FRAMES, VIDEO_SIZE)
    datasets = {
        "us": media.ultrasound_multiframe(spec, frames=6, size=32),
        "mr": media.enhanced_instance(spec, frames=8, size=16),
        "pdf": media.encapsulated_pdf(spec, document),
        "video": media.video_instance(spec, video, VIDEO_FRAMES, VIDEO_SIZE),
        "ct": factory.ct_instance(spec, factory.generate_uid(), 0, size=8),
    }
    ids = dict(zip(datasets, orthanc.upload_all(factory.to_bytes(ds) for ds in datasets.values()), strict=True))
    return {"ids": ids, "datasets": datasets, "pdf": document, "video": video,
            "study_id": orthanc.study_of(ids["ct"])}


def entries_by_kind(orthanc: OrthancServer, study: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    answer = orthanc.study_json(study["study_id"])
    assert answer.status_code == 200
    sop_to_kind = {str(ds.SOPInstanceUID): kind for kind, ds in study["datasets"].items()}
    found: dict[str, list[dict[str, Any]]] = {}
    for series in answer.json()["studies"][0]["series"]:
        for entry in series["instances"]:
            found.setdefault(sop_to_kind[entry["metadata"]["SOPInstanceUID"]], []).append(entry)
    return found


def viewer_fetch(orthanc: OrthancServer, url: str, **options: Any) -> Any:
    """What the browser fetches for a URL of the answer: relative to the viewer page /ohif/viewer."""
    return orthanc.session.get(urljoin(f"{orthanc.url}/ohif/viewer", url.removeprefix("dicomweb:")), timeout=60,
                               **options)


def test_preload_stores_the_extensions(orthanc: OrthancServer, study: dict[str, Any]) -> None:
    values = orthanc.wait_for_metadata(study["ids"].values())
    stored = {kind: decode_4202(values[instance_id]) for kind, instance_id in study["ids"].items()}
    assert stored["us"]["Extensions"] == {"Version": 1, "Instance": {"FrameTime": 40.0}}
    mr_frames = stored["mr"]["Extensions"]["Frames"]
    assert mr_frames["PerFrame"]["PlanePositionSequence"]["ImagePositionPatient"] == [
        media.EnhancedGeometry().position(index) for index in range(8)
    ]
    assert stored["pdf"]["Extensions"]["Instance"]["MIMETypeOfEncapsulatedDocument"] == "application/pdf"
    assert stored["video"]["Extensions"]["Instance"]["TransferSyntaxUID"] == "1.2.840.10008.1.2.4.102"
    assert "Extensions" not in stored["ct"]  # a plain image: the reference's fields are enough


def test_a_multi_frame_image_gives_one_entry_per_frame_each_fetching_the_file(
    orthanc: OrthancServer, study: dict[str, Any]
) -> None:
    entries = entries_by_kind(orthanc, study)
    us_id = study["ids"]["us"]
    assert [entry["url"] for entry in entries["us"]] == [
        f"dicomweb:../instances/{us_id}/file?frame={frame}" for frame in range(1, 7)
    ]
    assert all(entry["metadata"]["NumberOfFrames"] == 6 for entry in entries["us"])
    assert all(entry["metadata"]["FrameTime"] == 40.0 for entry in entries["us"])
    # cornerstone's wadouri loader cuts the URL before "frame=": the file itself.
    url = entries["us"][2]["url"]
    loaded = viewer_fetch(orthanc, url[: url.index("frame=") - 1])
    assert loaded.status_code == 200
    assert loaded.content == factory.to_bytes(study["datasets"]["us"])


def test_an_enhanced_image_has_its_functional_groups_on_the_first_entry_only(
    orthanc: OrthancServer, study: dict[str, Any]
) -> None:
    first, *others = (entry["metadata"] for entry in entries_by_kind(orthanc, study)["mr"])
    assert len(others) == 7
    per_frame = first["PerFrameFunctionalGroupsSequence"]
    assert [item["PlanePositionSequence"][0]["ImagePositionPatient"] for item in per_frame] == [
        media.EnhancedGeometry().position(index) for index in range(8)
    ]
    shared = first["SharedFunctionalGroupsSequence"][0]
    assert shared["PlaneOrientationSequence"] == [{"ImageOrientationPatient": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]}]
    assert shared["PixelMeasuresSequence"] == [{"PixelSpacing": [1.0, 1.0], "SliceThickness": 3.0}]
    assert all("PerFrameFunctionalGroupsSequence" not in metadata for metadata in others)


def test_the_pdf_entry_leads_to_the_exact_document_with_the_isolation_headers(
    orthanc: OrthancServer, study: dict[str, Any]
) -> None:
    [entry] = entries_by_kind(orthanc, study)["pdf"]
    url = entry["metadata"]["EncapsulatedDocument"]["DirectRetrieveURL"]
    assert url == f"../instances/{study['ids']['pdf']}/ohif-pdf"
    answer = viewer_fetch(orthanc, url)
    assert answer.status_code == 200
    assert answer.content == study["pdf"]
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert answer.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    # Orthanc's own route has the document but not the headers: the isolated viewer could not embed it.
    plain = orthanc.get(f"/instances/{study['ids']['pdf']}/pdf")
    assert plain.content == study["pdf"]
    assert "Cross-Origin-Embedder-Policy" not in plain.headers


@pytest.mark.parametrize("instance", ["ct", "unknown", "0000000a-00000000-00000000-00000000-00000000"])
def test_the_document_route_answers_404_for_anything_but_a_pdf(
    orthanc: OrthancServer, study: dict[str, Any], instance: str
) -> None:
    instance_id = study["ids"].get(instance, instance)
    answer = orthanc.get(f"/instances/{instance_id}/ohif-pdf")
    assert answer.status_code == 404
    assert orthanc.get("/system").status_code == 200


def test_the_video_entry_leads_to_the_playable_stream(orthanc: OrthancServer, study: dict[str, Any]) -> None:
    [entry] = entries_by_kind(orthanc, study)["video"]
    assert entry["url"] == f"../instances/{study['ids']['video']}/frames/0/raw"
    assert entry["metadata"]["TransferSyntaxUID"] == "1.2.840.10008.1.2.4.102"
    assert entry["metadata"]["NumberOfFrames"] == VIDEO_FRAMES
    stream = viewer_fetch(orthanc, entry["url"]).content
    # The MP4 file, with the pad byte of an odd-length DICOM value if any.
    assert stream.rstrip(b"\x00") == study["video"].rstrip(b"\x00")
    assert stream[4:8] == b"ftyp"


def test_a_reference_summary_of_a_multi_frame_image_is_recomputed_with_extensions(
    orthanc: OrthancServer, study: dict[str, Any]
) -> None:
    """As the C++ plugin writes it: no Extensions. It is stale, so the display recomputes it."""
    us_id = study["ids"]["us"]
    orthanc.wait_for_metadata([us_id])
    reference = decode_4202(orthanc.metadata(us_id) or b"")
    del reference["Extensions"]
    orthanc.put_metadata(us_id, encode_4202(reference))
    assert "FrameTime" not in decode_4202(orthanc.metadata(us_id) or b"")
    entries = entries_by_kind(orthanc, study)["us"]
    assert entries[0]["metadata"]["FrameTime"] == 40.0
    rebuilt = orthanc.wait_for_summary(us_id, lambda value: "Extensions" in decode_4202(value or b""))
    assert decode_4202(rebuilt or b"")["Extensions"]["Instance"] == {"FrameTime": 40.0}
