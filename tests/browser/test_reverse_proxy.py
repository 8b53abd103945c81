"""Behind a real nginx that mounts Orthanc under a path prefix, with "RouterBasename" set to match."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Page

from harness.chromium import DRAWN, open_viewer_from_explorer, upload_study, wait_until_drawn
from harness.nginx import Nginx, orthanc_behind_nginx
from harness.orthanc_server import OrthancServer
from tests.support import dicom_factory as factory
from tests.support import media_factory as media
from tests.support.media_checks import (
    BLUE_RECTANGLE,
    PDF_OBJECT,
    digest_of,
    fetched_digest,
    wait_for_blue_rectangle,
)

PREFIX = "/imaging/demo/orthanc/"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OrthancServer, Nginx]]:
    """Orthanc, and the nginx that mounts it under PREFIX."""
    with orthanc_behind_nginx(tmp_path_factory.mktemp("proxied"), PREFIX) as servers:
        yield servers


def test_the_proxy_serves_the_viewer_under_the_prefix(proxied: tuple[OrthancServer, Nginx]) -> None:
    _, proxy = proxied
    index = requests.get(f"{proxy.url}{PREFIX}ohif/viewer", timeout=60)
    assert index.status_code == 200
    assert "window.PUBLIC_URL = publicPath" in index.text
    assert index.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    config = requests.get(f"{proxy.url}{PREFIX}ohif/app-config.js", timeout=60)
    assert config.status_code == 200
    assert f'window.config.routerBasename = "{PREFIX}ohif/";' in config.text
    # Orthanc itself is not reachable without the prefix.
    assert requests.get(f"{proxy.url}/ohif/viewer", timeout=60).status_code == 404


def test_explorer_through_the_proxy_opens_the_viewer_which_draws_the_image(
    proxied: tuple[OrthancServer, Nginx], page: Page
) -> None:
    orthanc_behind_proxy, proxy = proxied
    spec = factory.StudySpec(patient_name="Behind^Proxy")
    study_id = upload_study(orthanc_behind_proxy, [factory.to_bytes(ds) for ds in factory.ct_series(spec, 8)])
    failed: list[str] = []
    page.context.on("requestfailed", lambda request: failed.append(request.url))
    page.context.on("response", lambda answer: failed.append(answer.url) if answer.status >= 400 else None)
    viewer = open_viewer_from_explorer(page, proxy.proxied_url, study_id)
    assert viewer.url == f"{proxy.url}{PREFIX}ohif/viewer?url=../studies/{study_id}/ohif-dicom-json"
    assert max(wait_until_drawn(viewer)) > DRAWN
    # Everything the viewer loaded went through the prefix.
    requested = viewer.evaluate("() => performance.getEntriesByType('resource').map(entry => entry.name)")
    local = [url for url in requested if url.startswith(proxy.url)]
    assert local, requested
    assert all(url.startswith(proxy.url + PREFIX) for url in local), [
        url for url in local if not url.startswith(proxy.url + PREFIX)
    ]
    assert failed == []


def test_jpeg2000_through_the_proxy_is_decoded_by_the_workers(
    proxied: tuple[OrthancServer, Nginx], page: Page
) -> None:
    orthanc_behind_proxy, proxy = proxied
    study_id = upload_study(orthanc_behind_proxy, [factory.bundled_test_file("JPEG2000.dcm")])
    worker_urls: list[str] = []
    page.context.on("request", lambda request: worker_urls.append(request.url) if ".wasm" in request.url else None)
    viewer = open_viewer_from_explorer(page, proxy.proxied_url, study_id)
    assert viewer.url.startswith(f"{proxy.url}{PREFIX}ohif/viewer?url=../studies/")
    assert max(wait_until_drawn(viewer)) > DRAWN
    assert worker_urls, "no decoder WebAssembly was loaded"
    assert all(url.startswith(proxy.url + PREFIX + "ohif/") for url in worker_urls), worker_urls


def test_a_pdf_through_the_proxy_is_shown(proxied: tuple[OrthancServer, Nginx], page: Page) -> None:
    """The document URL is relative to the viewer page, so it goes through the prefix too."""
    orthanc_behind_proxy, proxy = proxied
    document = media.minimal_pdf("Behind a proxy")
    ds = media.encapsulated_pdf(factory.StudySpec(patient_name="Proxy^Pdf"), document)
    study_id = upload_study(orthanc_behind_proxy, [factory.to_bytes(ds)])
    viewer = open_viewer_from_explorer(page, proxy.proxied_url, study_id)
    viewer.wait_for_selector(f"{PDF_OBJECT}[data]", state="attached", timeout=90_000)
    url = viewer.eval_on_selector(PDF_OBJECT, "element => element.data")
    assert url.startswith(f"{proxy.url}{PREFIX}instances/"), url
    assert fetched_digest(viewer, url) == digest_of(document)
    assert wait_for_blue_rectangle(viewer) > BLUE_RECTANGLE
