"""Access control: with "AuthenticationEnabled", every route of the plugin needs valid credentials.

Orthanc checks the credentials before any plugin callback runs; these tests
make sure no route of the plugin escapes that, whatever kind of file it serves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import pytest
import requests

from harness.orthanc_server import OrthancServer
from tests.support import dicom_factory as factory
from tests.support import media_factory
from tests.support.orthanc_checks import INDEX_MARKER, hashed_bundle_file

USER, PASSWORD = "alice", "secret"



class Stored(NamedTuple):
    study_id: str
    study_uid: str
    pdf_id: str


ROUTES: dict[str, Callable[[Stored], str]] = {
    "viewer root": lambda stored: "/ohif/",
    "viewer root without slash": lambda stored: "/ohif",
    "viewer page": lambda stored: f"/ohif/viewer?url=../studies/{stored.study_id}/ohif-dicom-json",
    "mode page": lambda stored: "/ohif/segmentation",
    "hashed bundle file": lambda stored: f"/ohif/{hashed_bundle_file()}",
    "style sheet": lambda stored: "/ohif/app.bundle.css",
    "app-config.js": lambda stored: "/ohif/app-config.js",
    "study JSON": lambda stored: f"/studies/{stored.study_id}/ohif-dicom-json",
    "status": lambda stored: "/ohif/api/status",
    "PDF": lambda stored: f"/instances/{stored.pdf_id}/ohif-pdf",
    "Explorer 2 link": lambda stored: f"/ohif/viewer?StudyInstanceUIDs={stored.study_uid}",
}
EXPECTED_WITH_CREDENTIALS = {"Explorer 2 link": 302}
"""200 for every other route."""

WRONG_CREDENTIALS = {
    "none": None,
    "wrong password": (USER, "wrong"),
    "unknown user": ("mallory", PASSWORD),
    "empty": ("", ""),
}


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OrthancServer, Stored]]:
    server = OrthancServer(tmp_path_factory.mktemp("protected"), credentials=(USER, PASSWORD))
    server.start()
    spec = factory.StudySpec()
    instance_id = server.upload_ok(factory.to_bytes(factory.ct_series(spec, 1, size=8)[0]))["ID"]
    pdf = media_factory.encapsulated_pdf(spec, media_factory.minimal_pdf())
    pdf_id = server.upload_ok(factory.to_bytes(pdf))["ID"]
    yield server, Stored(server.study_of(instance_id), spec.study_uid, pdf_id)
    server.stop()


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("credentials", list(WRONG_CREDENTIALS))
def test_every_plugin_route_refuses_missing_or_wrong_credentials(
    protected: tuple[OrthancServer, Stored], route: str, credentials: str
) -> None:
    server, stored = protected
    answer = requests.get(
        server.url + ROUTES[route](stored), auth=WRONG_CREDENTIALS[credentials], timeout=60, allow_redirects=False
    )
    assert answer.status_code == 401
    assert INDEX_MARKER not in answer.text
    assert "window.config" not in answer.text
    assert "studies" not in answer.text


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_plugin_route_answers_with_the_right_credentials(
    protected: tuple[OrthancServer, Stored], route: str
) -> None:
    server, stored = protected
    answer = requests.get(server.url + ROUTES[route](stored), auth=(USER, PASSWORD), timeout=60, allow_redirects=False)
    assert answer.status_code == EXPECTED_WITH_CREDENTIALS.get(route, 200), answer.text[:300]
    assert answer.content or answer.headers.get("Location")
