"""The viewer with the dicom-web source (Orthanc's DICOMweb plugin), from Orthanc Explorer to drawn pixels."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from harness.chromium import DRAWN, open_viewer_from_explorer, upload_study, wait_until_drawn
from harness.orthanc_server import OrthancServer
from tests.support import dicom_factory as factory

PATIENT_NAME = "Dicomweb^Listed"
SHOWN_NAME = "Dicomweb, Listed"
"""How OHIF's study list writes that patient name."""


@pytest.fixture(scope="module")
def study(dicom_web: OrthancServer) -> tuple[str, str]:
    """(Orthanc ID, StudyInstanceUID) of a 12-slice CT study."""
    spec = factory.StudySpec(patient_name=PATIENT_NAME, study_description="Seen through DICOMweb")
    study_id = upload_study(dicom_web, [factory.to_bytes(ds) for ds in factory.ct_series(spec, 12, size=64)])
    return study_id, spec.study_uid


def test_explorer_button_opens_the_basic_viewer_by_study_instance_uid(
    dicom_web: OrthancServer, study: tuple[str, str], page: Page
) -> None:
    study_id, study_uid = study
    viewer = open_viewer_from_explorer(page, dicom_web, study_id)
    assert viewer.url == f"{dicom_web.url}/ohif/viewer?StudyInstanceUIDs={study_uid}"
    assert max(wait_until_drawn(viewer)) > DRAWN


def test_jpeg2000_through_dicomweb_is_decoded_by_the_workers(dicom_web: OrthancServer, page: Page) -> None:
    study_id = upload_study(dicom_web, [factory.bundled_test_file("JPEG2000.dcm")])
    viewer = open_viewer_from_explorer(page, dicom_web, study_id)
    assert "/ohif/viewer?StudyInstanceUIDs=" in viewer.url
    assert max(wait_until_drawn(viewer)) > DRAWN


def test_lookup_page_opens_the_study_list_which_opens_the_viewer(
    dicom_web: OrthancServer, study: tuple[str, str], page: Page
) -> None:
    _, study_uid = study
    page.goto(f"{dicom_web.url}/app/explorer.html#lookup")
    button = page.locator("#ohif-study-list-button")
    button.wait_for(timeout=30_000)
    assert button.inner_text().strip() == "Open OHIF study list"
    with page.expect_popup() as popup:
        button.click()
    study_list = popup.value
    assert study_list.url == f"{dicom_web.url}/ohif/"

    # OHIF asks the DICOMweb plugin for the studies (QIDO-RS, relative to /ohif/).
    row = study_list.locator("tr", has_text=SHOWN_NAME)
    row.first.wait_for(timeout=90_000)
    assert row.count() == 1
    row_text = row.first.inner_text()
    print(f"\nstudy list row: {row_text!r}")
    assert "CT" in row_text
    row.first.click()

    mode = study_list.get_by_role("button", name=re.compile(r"^\s*Basic viewer\s*$", re.IGNORECASE))
    mode.first.wait_for(timeout=30_000)
    mode.first.click()
    study_list.wait_for_url(re.compile(r"/ohif/viewer\b.*StudyInstanceUIDs="), timeout=60_000)
    print(f"viewer opened from the study list: {study_list.url}")
    assert study_uid in study_list.url
    assert max(wait_until_drawn(study_list)) > DRAWN
