"""Multi-frame images, enhanced multi-frame MPR, encapsulated PDF and video in the viewer (dicom-json source)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from harness.chromium import DRAWN, open_viewer_from_explorer, upload_study, wait_until_drawn
from harness.orthanc_server import OrthancServer
from tests.support import dicom_factory as factory
from tests.support import media_factory as media
from tests.support.media_checks import (
    BLUE_RECTANGLE,
    PDF_OBJECT,
    VIDEO_RECORDER,
    digest_of,
    fetched_digest,
    recorded_video,
    scroll_frames,
    wait_for_blue_rectangle,
)


@pytest.mark.parametrize(
    "make",
    [
        lambda spec: media.ultrasound_multiframe(spec, frames=12, size=96),
        lambda spec: media.enhanced_instance(spec, frames=20, size=64),
    ],
    ids=["ultrasound-multi-frame", "enhanced-mr"],
)
def test_scrolling_a_multi_frame_image_shows_its_other_frames(
    orthanc: OrthancServer, page: Page, make: Any
) -> None:
    study_id = upload_study(orthanc, [factory.to_bytes(make(factory.StudySpec(patient_name="Frames^Scroll")))])
    viewer = open_viewer_from_explorer(page, orthanc, study_id)
    assert max(wait_until_drawn(viewer)) > DRAWN
    seen = scroll_frames(viewer, steps=3)
    rows = [row for row, _ in seen]
    digests = [digest for _, digest in seen]
    # The bar is lower in each frame: these are frames 1 to 4, not frame 1 again.
    assert rows == sorted(rows) and len(set(rows)) == 4, seen
    assert len(set(digests)) == 4, seen


def test_volume_rendering_of_an_enhanced_ct_draws_the_mpr_viewports(orthanc: OrthancServer, page: Page) -> None:
    """The hanging protocol needs a reconstructable CT: per-frame positions, shared spacing and orientation."""
    ds = media.enhanced_instance(factory.StudySpec(patient_name="Enhanced^CT"), frames=20, size=64,
                                 sop_class=media.ENHANCED_CT)
    study_id = upload_study(orthanc, [factory.to_bytes(ds)])
    viewer = open_viewer_from_explorer(page, orthanc, study_id, mode="Volume rendering")
    counts = wait_until_drawn(viewer, canvases=3, timeout=180)
    assert sum(count > DRAWN for count in counts) >= 3


def test_the_pdf_viewport_shows_the_document(orthanc: OrthancServer, page: Page) -> None:
    document = media.minimal_pdf("Shown in OHIF")
    ds = media.encapsulated_pdf(factory.StudySpec(patient_name="Pdf^Viewer"), document)
    study_id = upload_study(orthanc, [factory.to_bytes(ds)])
    viewer = open_viewer_from_explorer(page, orthanc, study_id)
    viewer.wait_for_selector(f"{PDF_OBJECT}[data]", state="attached", timeout=90_000)
    url = viewer.eval_on_selector(PDF_OBJECT, "element => element.data")
    assert url.startswith(f"{orthanc.url}/instances/")
    assert fetched_digest(viewer, url) == digest_of(document)
    # Chromium's PDF viewer draws the page inside the <object>: its blue rectangle shows.
    assert wait_for_blue_rectangle(viewer) > BLUE_RECTANGLE, "the PDF page was not drawn in its viewport"


def test_the_video_viewport_plays_the_video(orthanc: OrthancServer, page: Page) -> None:
    frames, size = 50, 128
    video = media.h264_mp4(frames, size)
    ds = media.video_instance(factory.StudySpec(patient_name="Video^Viewer"), video, frames, size)
    study_id = upload_study(orthanc, [factory.to_bytes(ds)])
    page.context.add_init_script(VIDEO_RECORDER)
    viewer = open_viewer_from_explorer(page, orthanc, study_id)
    viewer.wait_for_function(
        "() => window.__videos && window.__videos.length > 0 && window.__videos[0].readyState >= 2", timeout=90_000
    )
    state = recorded_video(viewer)
    assert state["src"].endswith("/frames/0/raw"), state
    assert (state["width"], state["height"]) == (size, size), state
    assert state["duration"] == pytest.approx(frames / 25, abs=0.1), state
    # Its first frame is drawn in the viewport's canvas...
    assert max(wait_until_drawn(viewer)) > DRAWN
    # ...and it plays.
    viewer.evaluate("() => { const video = window.__videos[0]; video.muted = true; return video.play(); }")
    viewer.wait_for_function("() => window.__videos[0].currentTime > 0.5", timeout=30_000)
    assert recorded_video(viewer)["error"] is None


def test_an_enhanced_mr_looks_the_same_as_through_dicom_web(
    orthanc: OrthancServer, dicom_web: OrthancServer, page: Page
) -> None:
    """Frame by frame, the same pixels as the dicom-web source, which reads the whole functional groups."""
    ds = media.enhanced_instance(factory.StudySpec(patient_name="Same^Pixels"), frames=20, size=64)
    data = factory.to_bytes(ds)
    json_study = upload_study(orthanc, [data])
    upload_study(dicom_web, [data])
    seen = {}
    for name, url in {
        "dicom-json": f"{orthanc.url}/ohif/viewer?url=../studies/{json_study}/ohif-dicom-json",
        "dicom-web": f"{dicom_web.url}/ohif/viewer?StudyInstanceUIDs={ds.StudyInstanceUID}",
    }.items():
        page.goto(url)
        wait_until_drawn(page)
        seen[name] = scroll_frames(page, steps=3)
    assert seen["dicom-json"] == seen["dicom-web"]
