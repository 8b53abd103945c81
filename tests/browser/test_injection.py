"""Hostile configuration values and DICOM text never execute, in headless Chromium.

Configuration values ("OHIF"."RouterBasename", "DicomWeb"."Root") reach the
browser only inside app-config.js, as JSON with "<" escaped; DICOM text
reaches it through Orthanc's REST API and the ohif-dicom-json answer (JSON),
and the plugin's Explorer button writes it only with .text() and
encodeURIComponent. A "UserConfiguration" file is JavaScript written by the
administrator: it is trusted, sent as it is, and not tested here.

Each test records dialogs (alert/confirm/prompt), reads ``window.pwned`` in
every page involved, and checks that the text is shown literally where it is
shown.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Dialog, Page

from harness.chromium import (
    open_explorer_study,
    open_viewer_from_explorer,
    thumbnail_labels,
    upload_study,
    wait_until_drawn,
)
from harness.orthanc_server import DICOMWEB_PLUGIN, PYTHON_PLUGIN, OrthancServer
from tests.conftest import ServerFactory
from tests.support import dicom_factory as factory

SCRIPT_BREAKOUT = '"</script><script>window.pwned=1</script>'
HOSTILE_BASENAMES = {
    "script-breakout": f"/ohif/{SCRIPT_BREAKOUT}/",
    "single-quote-breakout": "/ohif/';window.pwned=2;'/",
    "double-quote-breakout": '/ohif/";window.pwned=7;"/',
    "quotes-backslashes": "/ohif/'\";window.pwned=8;//\\'\\\\/",
    "line-separators": "/ohif/\u2028window.pwned=3\u2029;//\n\r/",
    "html-comment-and-cdata": "/ohif/<!--<script>window.pwned=4</script>]]>/",
    "image-onerror": '/ohif/"><img src=x onerror="window.pwned=5">/',
    "template-literal": "/ohif/`+(window.pwned=6)+`/",
}


class Recorder:
    """Dialogs opened by any page of the context."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []

    def __call__(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def dialogs(page: Page) -> Iterator[Recorder]:
    recorder = Recorder()
    page.context.on("page", lambda new_page: new_page.on("dialog", recorder))
    page.on("dialog", recorder)
    yield recorder


def assert_not_pwned(*pages: Page) -> None:
    for each in pages:
        assert each.evaluate("() => window.pwned") is None, each.url


def load_viewer_config(page: Page, server: OrthancServer) -> dict[str, object]:
    """Open the viewer page and return window.config once app-config.js has run."""
    page.goto(f"{server.url}/ohif/viewer", wait_until="load")
    page.wait_for_function("() => window.config || window.pwned", timeout=30_000)
    page.wait_for_timeout(1000)  # time for anything injected to run
    return dict(page.evaluate("() => window.config"))


@pytest.mark.parametrize("name", list(HOSTILE_BASENAMES))
def test_a_hostile_router_basename_is_a_plain_string_in_the_viewer(
    make_server: ServerFactory, page: Page, dialogs: Recorder, name: str
) -> None:
    basename = HOSTILE_BASENAMES[name]
    server = make_server(ohif={"RouterBasename": basename})
    config = load_viewer_config(page, server)
    assert_not_pwned(page)
    assert dialogs.dialogs == []
    assert config["routerBasename"] == basename


@pytest.mark.orthanc_log_errors(r"OHIF plugin: configuration error: ")
@pytest.mark.parametrize(
    "basename", ["javascript:window.pwned=1//", "data:text/html,<script>window.pwned=1</script>", ""]
)
def test_a_router_basename_that_is_not_a_path_is_refused(
    make_server: ServerFactory, page: Page, dialogs: Recorder, basename: str
) -> None:
    """Configuration validation: the plugin is not loaded, says why, and Orthanc goes on."""
    server = make_server(ohif={"RouterBasename": basename})
    errors = [line for line in server.log_text().splitlines() if "OHIF plugin: configuration error" in line]
    assert len(errors) == 1 and '"OHIF"."RouterBasename"' in errors[0]
    assert server.get("/ohif/app-config.js").status_code == 404
    page.goto(f"{server.url}/app/explorer.html")
    page.wait_for_selector("#lookup", state="attached", timeout=30_000)
    assert_not_pwned(page)
    assert dialogs.dialogs == []


def test_a_hostile_dicomweb_root_is_a_plain_string_in_the_viewer(
    make_server: ServerFactory, page: Page, dialogs: Recorder
) -> None:
    root = f"/dicom-web{SCRIPT_BREAKOUT}\u2028'/"
    server = make_server(
        plugins=(PYTHON_PLUGIN, DICOMWEB_PLUGIN),
        ohif={"DataSource": "dicom-web"},
        configuration={"DicomWeb": {"Enable": True, "Root": root}},
    )
    config = load_viewer_config(page, server)
    source = config["dataSources"][0]  # type: ignore[index]
    assert source["configuration"]["qidoRoot"] == ".." + root.rstrip("/")
    assert_not_pwned(page)
    assert dialogs.dialogs == []


# --- DICOM text ----------------------------------------------------------------------------------

HOSTILE_TEXT = {
    # DICOM field: the text (each short enough for its VR, so that no tool truncates it)
    "PatientName": "</script><script>window.pwned=1</script>",
    "StudyDescription": "\"><svg onload=\"window.pwned=2\">'",
    "SeriesDescription": "javascript:window.pwned=3 <b>bold</b>",
    "AccessionNumber": "{{constructor.constructor('window.pwned=4')()}}"[:16],
    "PatientID": "';window.pwned=5;'\\",
}


@pytest.fixture
def hostile_study(orthanc: OrthancServer) -> str:
    spec = factory.StudySpec()
    datasets = factory.ct_series(spec, 2, size=64)
    with warnings.catch_warnings():  # pydicom warns that "=" makes too many PN component groups
        warnings.simplefilter("ignore")
        for dataset in datasets:
            for field, value in HOSTILE_TEXT.items():
                setattr(dataset, field, value)
    return upload_study(orthanc, [factory.to_bytes(ds) for ds in datasets])


def test_hostile_dicom_text_is_shown_literally_in_orthanc_explorer(
    orthanc: OrthancServer, hostile_study: str, page: Page, dialogs: Recorder
) -> None:
    open_explorer_study(page, orthanc, hostile_study)
    page.wait_for_timeout(1000)
    shown = page.locator("#study").inner_text()
    for field, value in HOSTILE_TEXT.items():  # Explorer's study page shows all five
        assert value in shown, field
    page.click("#ohif-button")
    page.wait_for_selector("li.ohif-mode")
    assert_not_pwned(page)
    assert dialogs.dialogs == []


def test_hostile_dicom_text_is_shown_literally_in_the_viewer(
    orthanc: OrthancServer, hostile_study: str, page: Page, dialogs: Recorder
) -> None:
    viewer = open_viewer_from_explorer(page, orthanc, hostile_study)
    wait_until_drawn(viewer)
    thumbnails = thumbnail_labels(viewer, at_least=1)
    assert any(HOSTILE_TEXT["SeriesDescription"] in label for label in thumbnails), thumbnails
    assert HOSTILE_TEXT["StudyDescription"] in viewer.locator("body").inner_text()  # the study browser
    assert viewer.locator("b", has_text="bold").count() == 0  # the markup stayed text
    assert_not_pwned(page, viewer)
    assert dialogs.dialogs == []


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")
def test_a_hostile_study_instance_uid_is_encoded_in_the_dicom_web_button(
    dicom_web: OrthancServer, page: Page, dialogs: Recorder
) -> None:
    """With dicom-web the Explorer button puts the StudyInstanceUID in the viewer's URL: encoded, never run."""
    study_uid = "1.2.3'\"><svg onload=window.pwned=9>&x=#"
    spec = factory.StudySpec(study_uid=study_uid)
    study_id = upload_study(dicom_web, [factory.to_bytes(ds) for ds in factory.ct_series(spec, 1, size=8)])
    viewer = open_viewer_from_explorer(page, dicom_web, study_id)
    viewer.wait_for_load_state()
    stored = dicom_web.get(f"/studies/{study_id}").json()["MainDicomTags"]["StudyInstanceUID"]
    assert "<svg" in stored  # (Orthanc drops the space of a UID)
    url = urlsplit(viewer.url)
    assert url.path == "/ohif/viewer"
    assert parse_qs(url.query) == {"StudyInstanceUIDs": [stored]}  # one parameter, the whole UID
    viewer.wait_for_timeout(2000)
    assert_not_pwned(page, viewer)
    assert dialogs.dialogs == []
