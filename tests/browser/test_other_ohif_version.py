"""Another official OHIF release, built with scripts/build_ohif_dist.sh into a folder given by "BundleFolder"."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from harness.chromium import DRAWN, open_viewer_from_explorer, upload_study, wait_until_drawn
from harness.orthanc_server import REPOSITORY, OrthancServer
from tests.support import dicom_factory as factory
from tests.support import media_factory as media
from tests.support.media_checks import scroll_frames

OHIF_VERSION = "3.12.10"
OHIF_INTEGRITY = "sha512-0kuF66Mq9c9dMD++bUsTjMrJpXJwaZhz9B4uS244DawAjSkTwIYFU93pxPuRUQixaRi7QAHlF3Fe1qudBlZrmA=="
"""`npm view @ohif/app@3.12.10 dist.integrity`"""


@pytest.fixture(scope="module")
def other_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ohif-other") / "dist"
    environment = {
        **os.environ,
        "OHIF_VERSION": OHIF_VERSION,
        "OHIF_INTEGRITY": OHIF_INTEGRITY,
        "OHIF_DIST_DIR": str(folder),
    }
    result = subprocess.run(
        [str(REPOSITORY / "scripts" / "build_ohif_dist.sh")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"build_ohif_dist.sh failed for OHIF {OHIF_VERSION} (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    assert (folder / "index.html").is_file(), result.stdout
    assert f"version={OHIF_VERSION}" in (folder / ".ohif-version").read_text()
    return folder


@pytest.fixture(scope="module")
def orthanc_other(tmp_path_factory: pytest.TempPathFactory, other_bundle: Path) -> Iterator[OrthancServer]:
    server = OrthancServer(tmp_path_factory.mktemp("orthanc"), ohif={"BundleFolder": str(other_bundle)})
    server.start()
    yield server
    server.stop()


def test_the_other_release_is_the_one_served(orthanc_other: OrthancServer, other_bundle: Path) -> None:
    index = orthanc_other.get("/ohif/viewer")
    assert index.status_code == 200
    assert index.content == (other_bundle / "index.html").read_bytes()
    assert "window.PUBLIC_URL = publicPath" in index.text
    pinned_index = REPOSITORY / "static" / "ohif-dist" / "index.html"
    if pinned_index.is_file():
        assert index.content != pinned_index.read_bytes()


def test_uncompressed_ct_is_drawn(orthanc_other: OrthancServer, page: Page) -> None:
    spec = factory.StudySpec(patient_name="Other^Release")
    study_id = upload_study(orthanc_other, [factory.to_bytes(ds) for ds in factory.ct_series(spec, 8)])
    viewer = open_viewer_from_explorer(page, orthanc_other, study_id)
    assert viewer.url == f"{orthanc_other.url}/ohif/viewer?url=../studies/{study_id}/ohif-dicom-json"
    assert max(wait_until_drawn(viewer)) > DRAWN


def test_jpeg2000_is_decoded_by_the_workers(orthanc_other: OrthancServer, page: Page) -> None:
    study_id = upload_study(orthanc_other, [factory.bundled_test_file("JPEG2000.dcm")])
    viewer = open_viewer_from_explorer(page, orthanc_other, study_id)
    assert max(wait_until_drawn(viewer)) > DRAWN


def test_scrolling_an_enhanced_mr_shows_its_other_frames(orthanc_other: OrthancServer, page: Page) -> None:
    """One entry per frame, functional groups on the first: this release reads them the same way."""
    ds = media.enhanced_instance(factory.StudySpec(patient_name="Other^Frames"), frames=20, size=64)
    study_id = upload_study(orthanc_other, [factory.to_bytes(ds)])
    viewer = open_viewer_from_explorer(page, orthanc_other, study_id)
    assert max(wait_until_drawn(viewer)) > DRAWN
    rows = [row for row, _ in scroll_frames(viewer, steps=3)]
    assert rows == sorted(rows) and len(set(rows)) == 4, rows
