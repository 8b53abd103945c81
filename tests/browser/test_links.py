"""Orthanc Explorer 2 links and tokens with the dicom-json source, as a user sees them in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Page

from harness.chromium import DRAWN, drawn_pixels, open_viewer_from_explorer, wait_until_drawn
from harness.nginx import Nginx, orthanc_behind_nginx
from harness.orthanc_server import OrthancServer
from tests.support import dicom_factory as factory

PREFIX = "/imaging/"
TOKEN = "s3cret"


@pytest.fixture(scope="module")
def ct_study(orthanc: OrthancServer) -> tuple[str, str]:
    """(Orthanc ID, StudyInstanceUID) of a CT volume, enough slices for the MPR viewports."""
    spec = factory.StudySpec(patient_name="Explorer2^Link")
    files = [factory.to_bytes(ds) for ds in factory.ct_series(spec, 24)]
    return orthanc.study_of(orthanc.upload_all(files)[0]), spec.study_uid


def page_arguments(page: Page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def record_failures(page: Page) -> list[tuple[int, str]]:
    """Every answer of 400 or more the page receives, as (status, URL)."""
    failures: list[tuple[int, str]] = []
    page.on("response", lambda answer: failures.append((answer.status, answer.url)) if answer.status >= 400 else None)
    return failures


@pytest.mark.parametrize(
    ("route", "extra", "canvases"),
    [("viewer", "", 1), ("segmentation", "", 1), ("viewer", "&hangingprotocolId=mprAnd3DVolumeViewport", 3)],
    ids=["viewer", "segmentation", "mpr"],
)
def test_an_explorer_2_link_draws_the_study(
    orthanc: OrthancServer, ct_study: tuple[str, str], page: Page, route: str, extra: str, canvases: int
) -> None:
    study_id, study_uid = ct_study
    failures = record_failures(page)
    page.goto(f"{orthanc.url}/ohif/{route}?StudyInstanceUIDs={study_uid}{extra}")
    assert urlsplit(page.url).path == f"/ohif/{route}"
    arguments = page_arguments(page)
    assert arguments["url"] == f"../studies/{study_id}/ohif-dicom-json"
    assert arguments["StudyInstanceUIDs"] == study_uid
    if extra:
        assert arguments["hangingprotocolId"] == "mprAnd3DVolumeViewport"
    counts = wait_until_drawn(page, canvases=canvases, timeout=120)
    assert sum(count > DRAWN for count in counts) >= canvases
    assert failures == []


def test_an_explorer_2_tmtv_link_draws_the_pet_ct_study(orthanc: OrthancServer, page: Page) -> None:
    spec = factory.StudySpec(patient_name="Explorer2^Tmtv")
    files = list(factory.study_files(spec, {"Axial": 24}, size=64))
    pet_series = factory.generate_uid()
    files += [factory.to_bytes(factory.pet_instance(spec, pet_series, index)) for index in range(24)]
    study_id = orthanc.study_of(orthanc.upload_all(files)[0])
    failures = record_failures(page)
    page.goto(f"{orthanc.url}/ohif/tmtv?StudyInstanceUIDs={spec.study_uid}")
    assert urlsplit(page.url).path == "/ohif/tmtv"
    assert page_arguments(page)["url"] == f"../studies/{study_id}/ohif-dicom-json"
    counts = wait_until_drawn(page, canvases=2, timeout=120)  # the CT, PET and fusion viewports
    assert sum(count > DRAWN for count in counts) >= 2
    assert failures == []


def test_a_link_to_several_studies_draws_the_first_and_lists_them_all(orthanc: OrthancServer, page: Page) -> None:
    first = factory.StudySpec(patient_name="Multi^Link", study_description="First of two")
    second = factory.StudySpec(patient_name="Multi^Link", study_description="Second of two")
    for spec in (first, second):
        orthanc.upload_all(factory.to_bytes(ds) for ds in factory.ct_series(spec, 4))
    page.goto(f"{orthanc.url}/ohif/viewer?StudyInstanceUIDs={first.study_uid},{second.study_uid}")
    assert page_arguments(page)["StudyInstanceUIDs"] == f"{first.study_uid},{second.study_uid}"
    assert max(wait_until_drawn(page)) > DRAWN
    page.wait_for_selector('[data-cy="studyBrowser-panel"] >> text=Second of two', timeout=30_000)
    assert "First of two" in page.inner_text('[data-cy="studyBrowser-panel"]')


def test_an_unknown_uid_shows_a_404_page_not_a_blank_viewer(orthanc: OrthancServer, page: Page) -> None:
    answer = page.goto(f"{orthanc.url}/ohif/viewer?StudyInstanceUIDs=1.2.3.999")
    assert answer is not None and answer.status == 404
    assert page.inner_text("body").strip() == (
        "Cannot open the study: 1.2.3.999 is not the StudyInstanceUID of any study in this Orthanc."
    )
    assert page.query_selector("canvas") is None


def test_the_explorer_button_passes_its_token_on(orthanc: OrthancServer, ct_study: tuple[str, str], page: Page) -> None:
    study_id, _ = ct_study
    viewer = open_viewer_from_explorer(page, orthanc, study_id, query=f"?token={TOKEN}")
    assert viewer.url == (
        f"{orthanc.url}/ohif/viewer?url=../studies/{study_id}/ohif-dicom-json%3Ftoken%3D{TOKEN}&token={TOKEN}"
    )
    with viewer.expect_response(lambda answer: urlsplit(answer.url).path.startswith("/instances/")) as instance:
        pass
    assert instance.value.url.endswith(f"/file?token={TOKEN}")
    assert max(wait_until_drawn(viewer)) > DRAWN


def test_without_a_token_the_explorer_button_is_unchanged(
    orthanc: OrthancServer, ct_study: tuple[str, str], page: Page
) -> None:
    study_id, _ = ct_study
    viewer = open_viewer_from_explorer(page, orthanc, study_id)
    assert viewer.url == f"{orthanc.url}/ohif/viewer?url=../studies/{study_id}/ohif-dicom-json"


# --- behind a proxy that wants a token for studies and instances ------------------------------------


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OrthancServer, Nginx]]:
    """Orthanc, and nginx in front of it under PREFIX: /studies/ and /instances/ only with token=TOKEN (else 403)."""
    with orthanc_behind_nginx(tmp_path_factory.mktemp("guarded"), PREFIX, token=TOKEN) as servers:
        yield servers


@pytest.fixture(scope="module")
def guarded_study(guarded: tuple[OrthancServer, Nginx]) -> tuple[str, str]:
    guarded_orthanc, _ = guarded
    spec = factory.StudySpec(patient_name="Token^Link")
    files = [factory.to_bytes(ds) for ds in factory.ct_series(spec, 8)]
    return guarded_orthanc.study_of(guarded_orthanc.upload_all(files)[0]), spec.study_uid


def test_a_link_with_the_token_draws_the_study_through_the_guard(
    guarded: tuple[OrthancServer, Nginx], guarded_study: tuple[str, str], page: Page
) -> None:
    _, guard = guarded
    study_id, study_uid = guarded_study
    failures = record_failures(page)
    instance_urls: list[str] = []
    page.on("request", lambda request: instance_urls.append(request.url) if "/instances/" in request.url else None)
    page.goto(f"{guard.url}{PREFIX}ohif/viewer?StudyInstanceUIDs={study_uid}&token={TOKEN}")
    assert page_arguments(page)["url"] == f"../studies/{study_id}/ohif-dicom-json?token={TOKEN}"
    assert max(wait_until_drawn(page)) > DRAWN
    assert failures == []
    assert instance_urls
    assert all(url.startswith(f"{guard.url}{PREFIX}instances/") and url.endswith(f"?token={TOKEN}")
               for url in instance_urls), instance_urls


def test_a_link_without_the_token_draws_nothing(
    guarded: tuple[OrthancServer, Nginx], guarded_study: tuple[str, str], page: Page
) -> None:
    _, guard = guarded
    study_id, study_uid = guarded_study
    with page.expect_response(lambda answer: urlsplit(answer.url).path.endswith("/ohif-dicom-json")) as study_json:
        page.goto(f"{guard.url}{PREFIX}ohif/viewer?StudyInstanceUIDs={study_uid}")
    assert study_json.value.status == 403
    assert page_arguments(page)["url"] == f"../studies/{study_id}/ohif-dicom-json"
    page.wait_for_timeout(5000)  # time enough to draw, had the viewer been allowed to
    assert all(count <= DRAWN for count in drawn_pixels(page))
