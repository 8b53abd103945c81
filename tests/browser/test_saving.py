"""Saving from the viewer into Orthanc (SR, SEG, RTSTRUCT), with both data sources, as a radiologist does it.

Each test draws on a study of its own, saves through OHIF's own dialogs, then
checks what Orthanc holds (the DICOM content, not only a count) and what a
reopened viewer shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from harness.chromium import NO_TOUR, open_viewer_from_explorer, upload_study, wait_until_drawn
from harness.nginx import orthanc_behind_nginx
from harness.orthanc_server import DICOMWEB_PLUGIN, PYTHON_PLUGIN, OrthancServer
from tests.support import dicom_factory as factory
from tests.support import saving_ui as ui
from tests.support import viewport

WITH_DICOMWEB: dict[str, Any] = {
    "plugins": (PYTHON_PLUGIN, DICOMWEB_PLUGIN),
    "configuration": {"DicomWeb": {"Enable": True}},
}
SOURCES = ("dicom-json", "dicom-web")
READ_ONLY_FILTER = """
-- A reader may look, not write: Orthanc refuses them every method but GET.
function IncomingHttpRequestFilter(method, uri, ip, username, httpHeaders)
  return method == 'GET' or username ~= 'reader'
end
"""
TOKEN = "sesame42"
PREFIX = "/pacs/"


@pytest.fixture(scope="module", params=SOURCES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """An Orthanc with the DICOMweb plugin, the viewer on the data source of the parameter."""
    source = request.param
    with OrthancServer(tmp_path_factory.mktemp(source), ohif={"DataSource": source}, **WITH_DICOMWEB) as orthanc:
        yield orthanc


def new_study(server: OrthancServer, name: str) -> tuple[str, set[str]]:
    """(Orthanc ID, SOPInstanceUIDs) of a new 12-slice CT study."""
    spec = factory.StudySpec(patient_name=name, study_description="To be measured")
    images = factory.ct_series(spec, 12, size=64)
    return upload_study(server, [factory.to_bytes(image) for image in images]), {str(i.SOPInstanceUID) for i in images}


def test_a_length_saved_as_an_sr_is_in_orthanc_and_shows_again_on_reopen(
    server: OrthancServer, page: Page, record_property: Callable[[str, object], None]
) -> None:
    study_id, images = new_study(server, "Saving^Length")
    viewer = open_viewer_from_explorer(page, server, study_id)
    wait_until_drawn(viewer)
    ui.draw_a_tracked_length(viewer)
    ui.open_create_sr(viewer)
    clicked = ui.name_and_save(viewer, "Length report")

    stored = ui.wait_for_series(server, study_id, "Length report", clicked)
    record_property("seconds_from_save_to_orthanc", round(stored.seconds, 3))
    assert stored.modality == "SR"
    [(length, unit)] = ui.lengths_in_report(stored.dataset)
    assert unit == "mm" and length > 0
    assert ui.referenced_instances(stored.dataset) and ui.referenced_instances(stored.dataset) <= images
    ui.notification_text(viewer, "saved successfully")
    # Shown at once, without reloading: OHIF adds the report to the open study.
    ui.series_entry(viewer, "Length report").wait_for(timeout=30_000)

    reopened = open_viewer_from_explorer(page, server, study_id)
    wait_until_drawn(reopened)
    ui.series_entry(reopened, "Length report").dblclick(timeout=30_000)
    viewport.wait_for_text_while_scrolling(reopened, f"{length:.2f} mm")


@pytest.mark.parametrize(("item", "modality"), [("DICOM SEG", "SEG"), ("DICOM RTSS", "RTSTRUCT")])
def test_a_painted_segment_is_stored_and_listed_on_reopen(
    server: OrthancServer, page: Page, item: str, modality: str, record_property: Callable[[str, object], None]
) -> None:
    study_id, images = new_study(server, f"Saving^{modality}")
    viewer = open_viewer_from_explorer(page, server, study_id, mode="Segmentation")
    wait_until_drawn(viewer)
    ui.paint_a_segment(viewer)
    ui.open_export(viewer, item)
    clicked = ui.name_and_save(viewer, f"My {modality}")

    stored = ui.wait_for_series(server, study_id, f"My {modality}", clicked)
    record_property("seconds_from_save_to_orthanc", round(stored.seconds, 3))
    assert stored.modality == modality
    assert ui.referenced_instances(stored.dataset) & images, "the object refers to none of the study's images"

    reopened = open_viewer_from_explorer(page, server, study_id)
    wait_until_drawn(reopened)
    # The brush's first segment is red, as a label map (SEG) or as its contour (RTSTRUCT).
    assert viewport.coloured(reopened, viewport.red) == 0
    ui.series_entry(reopened, f"My {modality}").dblclick(timeout=30_000)
    reopened.get_by_role("button", name="Yes").click(timeout=30_000)  # "Do you want to open this Segmentation?"
    viewport.wait_for_colour(reopened, viewport.red, at_least=50)


def test_two_viewers_saving_to_the_same_study_at_once_both_land(server: OrthancServer, browser: Browser) -> None:
    study_id, _ = new_study(server, "Saving^Twice")
    viewers: list[Page] = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(NO_TOUR)
        viewer = open_viewer_from_explorer(context.new_page(), server, study_id)
        wait_until_drawn(viewer)
        ui.draw_a_tracked_length(viewer)
        ui.open_create_sr(viewer)
        viewer.locator("[data-cy='dialog-input']").fill(f"Report {len(viewers) + 1}")
        viewers.append(viewer)
    for viewer in viewers:  # both clicks before either store has answered
        viewer.locator("[data-cy='input-dialog-save-button'] button").click(no_wait_after=True)
    for number in (1, 2):
        assert ui.wait_for_series(server, study_id, f"Report {number}", 0.0).modality == "SR"
    for viewer in viewers:
        viewer.context.close()
    answer = server.get(f"/studies/{study_id}/ohif-dicom-json").json()
    descriptions = {series.get("SeriesDescription") for study in answer["studies"] for series in study["series"]}
    assert {"Report 1", "Report 2"} <= descriptions


# --- where saving is not possible, the viewer says so ------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "said"),
    [({}, "no DICOMweb service"), ({"ohif": {"Saving": False}, **WITH_DICOMWEB}, "turned off")],
    ids=["without-the-dicomweb-plugin", "saving-turned-off"],
)
def test_where_saving_is_unavailable_the_user_is_told_and_nothing_is_stored(
    tmp_path: Path, page: Page, options: dict[str, Any], said: str
) -> None:
    with OrthancServer(tmp_path / "orthanc", **options) as orthanc:
        study_id, _ = new_study(orthanc, "Saving^Unavailable")
        viewer = open_viewer_from_explorer(page, orthanc, study_id)
        wait_until_drawn(viewer)
        ui.draw_a_tracked_length(viewer)
        ui.open_create_sr(viewer)
        ui.name_and_save(viewer, "Lost report")
        assert "Download" in ui.notification_text(viewer, said)
        assert viewer.get_by_text("saved successfully").count() == 0
        assert [series["Modality"] for series in ui.series_of(orthanc, study_id)] == ["CT"]


# --- access ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """HTTP authentication on: "doctor" may write, "reader" may only read (Orthanc's Lua request filter)."""
    folder = tmp_path_factory.mktemp("protected-saving")
    (folder / "read-only.lua").write_text(READ_ONLY_FILTER)
    configuration = {
        "DicomWeb": {"Enable": True},
        "RegisteredUsers": {"doctor": "secret", "reader": "secret"},
        "LuaScripts": [str(folder / "read-only.lua")],
    }
    plugins = WITH_DICOMWEB["plugins"]
    with OrthancServer(
        folder / "orthanc", plugins=plugins, configuration=configuration, credentials=("doctor", "secret")
    ) as orthanc:
        yield orthanc


@pytest.mark.parametrize(("user", "saved"), [("doctor", True), ("reader", False)])
def test_with_http_authentication_the_user_s_rights_decide(
    protected: OrthancServer, browser: Browser, user: str, saved: bool
) -> None:
    study_id, _ = new_study(protected, f"Saving^{user}")
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, http_credentials={"username": user, "password": "secret"}
    )
    context.add_init_script(NO_TOUR)
    try:
        viewer = open_viewer_from_explorer(context.new_page(), protected, study_id)
        wait_until_drawn(viewer)
        ui.draw_a_tracked_length(viewer)
        ui.open_create_sr(viewer)
        clicked = ui.name_and_save(viewer, f"{user} report")
        if saved:
            assert ui.wait_for_series(protected, study_id, f"{user} report", clicked).modality == "SR"
        else:
            assert "HTTP 403" in ui.notification_text(viewer, "Not saved")
            assert [series["Modality"] for series in ui.series_of(protected, study_id)] == ["CT"]
            # The study answer is the study as it was: no half state.
            answer = protected.get(f"/studies/{study_id}/ohif-dicom-json").json()
            assert [series["Modality"] for study in answer["studies"] for series in study["series"]] == ["CT"]
    finally:
        context.close()


def test_a_viewer_opened_with_a_token_saves_with_it(tmp_path: Path, page: Page) -> None:
    """Behind a proxy that wants the token for studies, instances and DICOMweb (STOW included)."""
    with orthanc_behind_nginx(tmp_path, PREFIX, token=TOKEN, **WITH_DICOMWEB) as (orthanc, guard):
        study_id, _ = new_study(orthanc, "Saving^Token")
        study_uid = orthanc.get(f"/studies/{study_id}").json()["MainDicomTags"]["StudyInstanceUID"]
        stows: list[str] = []
        page.on("request", lambda request: stows.append(request.url) if request.method == "POST" else None)
        page.goto(f"{guard.url}{PREFIX}ohif/viewer?StudyInstanceUIDs={study_uid}&token={TOKEN}")
        viewer = page
        wait_until_drawn(viewer)
        ui.draw_a_tracked_length(viewer)
        ui.open_create_sr(viewer)
        clicked = ui.name_and_save(viewer, "Token report")
        assert ui.wait_for_series(orthanc, study_id, "Token report", clicked).modality == "SR"
        assert stows == [f"{guard.url}{PREFIX}dicom-web/studies?token={TOKEN}"]
