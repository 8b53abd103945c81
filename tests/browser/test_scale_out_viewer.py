"""The viewer behind a load balancer in front of two Orthanc servers that share one PostgreSQL index.

nginx sends each request to A or B in turn, so the viewer's pages, bundle,
study JSON and images come from both; the study was received by A, whose
summaries B serves as they are.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from harness.chromium import DRAWN, open_viewer_from_explorer, upload_study, wait_until_drawn
from harness.nginx import BalancingNginx
from harness.orthanc_server import OrthancServer
from harness.postgres import PostgresCluster
from tests.support import dicom_factory as factory


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OrthancServer, OrthancServer]]:
    folder = tmp_path_factory.mktemp("scale-out")
    with PostgresCluster() as postgres:
        options = postgres.orthanc_options(postgres.create_database("orthanc"), folder / "shared-storage")
        a = OrthancServer(folder / "a", **options)
        b = OrthancServer(folder / "b", **options)
        try:
            yield a.start(), b.start()
        finally:
            a.kill()
            b.kill()


@pytest.fixture(scope="module")
def balancer(
    tmp_path_factory: pytest.TempPathFactory, servers: tuple[OrthancServer, OrthancServer]
) -> Iterator[BalancingNginx]:
    nginx = BalancingNginx(tmp_path_factory.mktemp("balancer"), upstreams=[server.url for server in servers])
    nginx.start()
    yield nginx
    nginx.stop()


def address(server: OrthancServer) -> str:
    return server.url.removeprefix("http://")


def test_the_viewer_draws_a_study_served_by_both_servers(
    servers: tuple[OrthancServer, OrthancServer], balancer: BalancingNginx, page: Page
) -> None:
    a, b = servers
    spec = factory.StudySpec(patient_name="Load^Balanced")
    files = [factory.to_bytes(dataset) for dataset in factory.ct_series(spec, 8)]
    study_id = upload_study(a, files)
    instance_ids = [str(instance["ID"]) for instance in a.get(f"/studies/{study_id}/instances").json()]
    written_by_a = a.wait_for_metadata(instance_ids)

    viewer = open_viewer_from_explorer(page, balancer.url, study_id)
    assert viewer.url == f"{balancer.url}/ohif/viewer?url=../studies/{study_id}/ohif-dicom-json"
    assert max(wait_until_drawn(viewer)) > DRAWN

    answered = balancer.answered_by()
    assert [entry for entry in answered if entry[0] >= 400] == []
    # Both servers took part, in the viewer's own requests too (bundle, study JSON, images).
    assert {upstream for _, upstream, _ in answered} == {address(a), address(b)}
    viewer_requests = [upstream for _, upstream, uri in answered if not uri.startswith("/app/")]
    assert {address(a), address(b)} <= set(viewer_requests)
    assert any(uri.endswith("/ohif-dicom-json") for _, _, uri in answered)
    # Whoever served the study JSON used A's summaries as they were.
    for instance_id in instance_ids:
        assert b.metadata(instance_id) == written_by_a[instance_id]
        assert b.get(f"/instances/{instance_id}/metadata/4202").headers["ETag"].startswith('"0-')

