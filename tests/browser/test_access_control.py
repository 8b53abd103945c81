"""With "AuthenticationEnabled", a logged-in user opens the viewer from Orthanc Explorer and sees the image."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from harness.chromium import DRAWN, open_viewer_from_explorer, upload_study, wait_until_drawn
from harness.orthanc_server import OrthancServer
from tests.support import dicom_factory as factory

USER, PASSWORD = "alice", "secret"


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    server = OrthancServer(tmp_path_factory.mktemp("protected-browser"), credentials=(USER, PASSWORD))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def logged_in_page(browser: Browser) -> Iterator[Page]:
    """A browser context that answers Orthanc's HTTP basic challenge, as a user who typed the password."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, http_credentials={"username": USER, "password": PASSWORD}
    )
    yield context.new_page()
    context.close()


def test_a_logged_in_user_opens_the_viewer_from_explorer_and_sees_the_image(
    protected: OrthancServer, logged_in_page: Page
) -> None:
    spec = factory.StudySpec(patient_name="Protected^Browser")
    study_id = upload_study(protected, list(factory.study_files(spec, {"Axial": 12}, size=64)))
    viewer = open_viewer_from_explorer(logged_in_page, protected, study_id)
    assert viewer.url == f"{protected.url}/ohif/viewer?url=../studies/{study_id}/ohif-dicom-json"
    counts = wait_until_drawn(viewer)
    assert max(counts) > DRAWN


def test_without_credentials_the_browser_gets_neither_explorer_nor_viewer(protected: OrthancServer, page: Page) -> None:
    """Headless Chromium cannot show the password prompt: the page fails with the challenge."""
    for path in ("/app/explorer.html", "/ohif/viewer", "/ohif/app-config.js"):
        assert page.context.request.get(protected.url + path).status == 401, path
        with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
            page.goto(protected.url + path)
