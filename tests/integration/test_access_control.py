"""Access control: with "AuthenticationEnabled", every route of the plugin needs valid credentials.

Orthanc checks the credentials before any plugin callback runs; these tests
make sure no route of the plugin escapes that, whatever kind of file it serves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from tests import dicom_factory as factory
from tests.integration.test_viewer_routes import INDEX_MARKER, hashed_bundle_file
from tests.orthanc_server import OrthancServer

USER, PASSWORD = "alice", "secret"

ROUTES: dict[str, Callable[[str], str]] = {
    "viewer root": lambda study_id: "/ohif/",
    "viewer root without slash": lambda study_id: "/ohif",
    "viewer page": lambda study_id: f"/ohif/viewer?url=../studies/{study_id}/ohif-dicom-json",
    "mode page": lambda study_id: "/ohif/segmentation",
    "hashed bundle file": lambda study_id: f"/ohif/{hashed_bundle_file()}",
    "style sheet": lambda study_id: "/ohif/app.bundle.css",
    "app-config.js": lambda study_id: "/ohif/app-config.js",
    "study JSON": lambda study_id: f"/studies/{study_id}/ohif-dicom-json",
    "status": lambda study_id: "/ohif/api/status",
}
OPTIONAL_ROUTES = {"status"}
"""Added by another branch: checked where present (it answers with the credentials)."""

WRONG_CREDENTIALS = {
    "none": None,
    "wrong password": (USER, "wrong"),
    "unknown user": ("mallory", PASSWORD),
    "empty": ("", ""),
}


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OrthancServer, str]]:
    server = OrthancServer(tmp_path_factory.mktemp("protected"), credentials=(USER, PASSWORD))
    server.start()
    instance_id = server.upload_ok(factory.to_bytes(factory.ct_series(factory.StudySpec(), 1, size=8)[0]))["ID"]
    yield server, server.study_of(instance_id)
    server.stop()


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("credentials", list(WRONG_CREDENTIALS))
def test_every_plugin_route_refuses_missing_or_wrong_credentials(
    protected: tuple[OrthancServer, str], route: str, credentials: str
) -> None:
    server, study_id = protected
    answer = requests.get(server.url + ROUTES[route](study_id), auth=WRONG_CREDENTIALS[credentials], timeout=60)
    assert answer.status_code == 401
    assert INDEX_MARKER not in answer.text
    assert "window.config" not in answer.text
    assert "studies" not in answer.text


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_plugin_route_answers_with_the_right_credentials(
    protected: tuple[OrthancServer, str], route: str
) -> None:
    server, study_id = protected
    answer = requests.get(server.url + ROUTES[route](study_id), auth=(USER, PASSWORD), timeout=60)
    if route in OPTIONAL_ROUTES and answer.status_code == 404:
        pytest.skip(f"{ROUTES[route](study_id)} is not in this branch")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.content
