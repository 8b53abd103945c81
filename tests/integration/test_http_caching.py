"""Compressed answers and validators against real Orthanc servers, HttpCompressionEnabled true and false.

Orthanc 1.10.1 gzips every answer itself when its compression is on and the
request names ``gzip``; the browser then gets two codings (ours, then
Orthanc's) and undoes both. Orthanc 1.12.7 and 1.13.0 leave an answer that a
plugin encoded alone: there, compression on gives what compression off gives.
These tests read the raw bytes and every Content-Encoding header, and undo
the codings in reverse order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import orjson
import pytest

from harness.orthanc_server import OrthancServer
from ohif_plugin.configuration import DEFAULT_BUNDLE_FOLDER
from tests.conftest import ServerFactory
from tests.integration.conftest import SharedIndex
from tests.support import dicom_factory as factory
from tests.support.orthanc_checks import CHROMIUM_LOCAL, CHROMIUM_PLAIN_HTTP, raw_get


@pytest.fixture(scope="module", params=[True, False], ids=["orthanc-compression-on", "orthanc-compression-off"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    folder = tmp_path_factory.mktemp("caching")
    orthanc = OrthancServer(folder, configuration={"HttpCompressionEnabled": request.param})
    orthanc.start()
    yield orthanc
    orthanc.stop()


def compression_on(server: OrthancServer) -> bool:
    return bool(server.config["HttpCompressionEnabled"])


def recompressed(server: OrthancServer) -> bool:
    """Whether Orthanc compresses the plugin's answers itself: 1.10 does, over the plugin's own coding;
    1.12.7 and 1.13.0 send the answers of these tables as the plugin made them."""
    major, minor = (int(part) for part in str(server.get("/system").json()["Version"]).split(".")[:2])
    return compression_on(server) and (major, minor) < (1, 12)


APP_BUNDLE = next(DEFAULT_BUNDLE_FOLDER.glob("app.bundle.*.js"))

# Accept-Encoding -> the codings applied, with Orthanc's compression off and on.
NEGOTIATION = [
    (CHROMIUM_LOCAL, ["zstd"], ["zstd", "gzip"]),
    (CHROMIUM_PLAIN_HTTP, ["gzip"], ["gzip", "gzip"]),
    ("gzip", ["gzip"], ["gzip", "gzip"]),
    ("zstd", ["zstd"], ["zstd"]),
    ("deflate", [], ["deflate"]),
    (None, [], []),
    ("identity", [], []),
    ("zstd;q=0, gzip;q=0", [], []),  # refused; and Orthanc does not see the bare token "gzip"
    ("gzip;q=0, zstd", ["zstd"], ["zstd"]),
    ("zstd;q=0, gzip", ["gzip"], ["gzip", "gzip"]),
]


@pytest.mark.parametrize(("accept_encoding", "off", "on"), NEGOTIATION)
def test_bundle_file_negotiation(server: OrthancServer, accept_encoding: str | None, off: list[str],
                                 on: list[str]) -> None:
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding is not None else {}
    answer = raw_get(server, f"/ohif/{APP_BUNDLE.name}", headers)
    assert answer.status == 200
    assert answer.codings == (on if recompressed(server) else off)
    assert answer.decoded() == APP_BUNDLE.read_bytes()
    assert answer.header("Vary") == "Accept-Encoding"
    assert answer.header("Content-Type") == "text/javascript"
    assert answer.header("Cache-Control") == "public, max-age=31536000, immutable"
    if answer.codings[:1] == ["zstd"]:
        assert len(answer.body) < 0.3 * len(APP_BUNDLE.read_bytes())


def test_bundle_file_304_whatever_the_coding(server: OrthancServer) -> None:
    for accept_encoding in (CHROMIUM_LOCAL, "gzip", "identity"):
        first = raw_get(server, "/ohif/viewer", {"Accept-Encoding": accept_encoding})
        etag = first.header("ETag")
        assert etag is not None and re.fullmatch(r'W/"[0-9a-f]+"', etag)
        again = raw_get(server, "/ohif/viewer", {"Accept-Encoding": CHROMIUM_LOCAL, "If-None-Match": etag})
        assert again.status == 304
        assert again.body == b""
        assert again.header("ETag") == etag
        assert again.header("Vary") == "Accept-Encoding"


def test_small_files_are_never_compressed_by_the_plugin(server: OrthancServer) -> None:
    small = next(path for path in sorted(DEFAULT_BUNDLE_FOLDER.glob("*.css")) if path.stat().st_size < 1024)
    answer = raw_get(server, f"/ohif/{small.name}", {"Accept-Encoding": "zstd"})
    assert answer.codings == []
    assert answer.body == small.read_bytes()


def test_precompressed_siblings_are_not_served_as_files(server: OrthancServer) -> None:
    assert raw_get(server, f"/ohif/{APP_BUNDLE.name}.gz").status == 404
    assert raw_get(server, f"/ohif/{APP_BUNDLE.name}.zst").status == 404


# --- ohif-dicom-json ---------------------------------------------------------------

STUDY_NEGOTIATION = [
    (CHROMIUM_LOCAL, ["zstd"], ["zstd", "gzip"]),
    (CHROMIUM_PLAIN_HTTP, ["gzip"], ["gzip"]),  # Orthanc's gzip alone: ours would be gzipped twice
    ("zstd", ["zstd"], ["zstd"]),
    (None, [], []),
    ("zstd;q=0, gzip;q=0", [], []),
]


def upload_study(server: OrthancServer, count: int) -> tuple[str, list[str]]:
    spec = factory.StudySpec()
    ids = server.upload_all(factory.to_bytes(ds) for ds in factory.ct_series(spec, count))
    return server.study_of(ids[0]), ids


def instance_urls(body: bytes) -> list[str]:
    study = orjson.loads(body)["studies"][0]
    return [instance["url"] for series in study["series"] for instance in series["instances"]]


@pytest.mark.parametrize(("accept_encoding", "off", "on"), STUDY_NEGOTIATION)
def test_study_negotiation(server: OrthancServer, accept_encoding: str | None, off: list[str], on: list[str]) -> None:
    study_id, ids = upload_study(server, 5)
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding is not None else {}
    answer = raw_get(server, f"/studies/{study_id}/ohif-dicom-json", headers)
    assert answer.status == 200
    assert answer.codings == (on if recompressed(server) else off)
    assert instance_urls(answer.decoded()) == [f"dicomweb:../instances/{i}/file" for i in ids]
    assert answer.header("Content-Type") == "application/json"
    assert answer.header("Vary") == "Accept-Encoding"


def test_study_answer_revalidates_until_an_instance_is_added_or_deleted(server: OrthancServer) -> None:
    study_id, ids = upload_study(server, 4)
    path = f"/studies/{study_id}/ohif-dicom-json"
    first = raw_get(server, path, {"Accept-Encoding": CHROMIUM_LOCAL})
    etag = first.header("ETag")
    assert first.status == 200 and etag is not None
    assert first.header("Cache-Control") == "no-cache"
    again = raw_get(server, path, {"Accept-Encoding": CHROMIUM_LOCAL, "If-None-Match": etag})
    assert again.status == 304
    assert again.header("ETag") == etag

    spec_study = orjson.loads(first.decoded())["studies"][0]["StudyInstanceUID"]
    extra = factory.ct_instance(factory.StudySpec(study_uid=spec_study), factory.generate_uid(), 0)
    added = server.upload_ok(factory.to_bytes(extra))["ID"]
    after_add = raw_get(server, path, {"If-None-Match": etag})
    assert after_add.status == 200
    assert after_add.header("ETag") != etag
    assert f"dicomweb:../instances/{added}/file" in instance_urls(after_add.body)

    server.session.delete(f"{server.url}/instances/{ids[0]}").raise_for_status()
    after_delete = raw_get(server, path, {"If-None-Match": after_add.header("ETag") or ""})
    assert after_delete.status == 200
    assert f"dicomweb:../instances/{ids[0]}/file" not in instance_urls(after_delete.body)
    assert len(instance_urls(after_delete.body)) == 4


def test_the_token_is_part_of_the_study_validator(server: OrthancServer) -> None:
    study_id, ids = upload_study(server, 2)
    path = f"/studies/{study_id}/ohif-dicom-json"
    plain = raw_get(server, path)
    with_token = raw_get(server, path + "?token=secret%201")
    assert plain.header("ETag") != with_token.header("ETag")
    assert instance_urls(with_token.body)[0] == f"dicomweb:../instances/{ids[0]}/file?token=secret%201"
    assert raw_get(server, path + "?token=other", {"If-None-Match": with_token.header("ETag") or ""}).status == 200
    assert raw_get(server, path + "?token=secret%201",
                   {"If-None-Match": with_token.header("ETag") or ""}).status == 304


def test_unknown_study_is_still_404(server: OrthancServer) -> None:
    assert raw_get(server, "/studies/00000000-00000000-00000000-00000000-00000000/ohif-dicom-json").status == 404


# --- Another server sharing the database ------------------------------------------


def test_a_change_made_by_another_server_sharing_the_database_is_seen(
    shared_index: Callable[..., SharedIndex],
) -> None:
    index = shared_index(2)
    first, second = index.servers
    spec = factory.StudySpec()
    ids = first.upload_all(factory.to_bytes(ds) for ds in factory.ct_series(spec, 3))
    study_id = first.study_of(ids[0])
    path = f"/studies/{study_id}/ohif-dicom-json"
    etag = raw_get(first, path).header("ETag") or ""
    assert raw_get(first, path, {"If-None-Match": etag}).status == 304

    added = second.upload_ok(factory.to_bytes(factory.ct_instance(spec, factory.generate_uid(), 0)))["ID"]
    after_add = raw_get(first, path, {"If-None-Match": etag})
    assert after_add.status == 200
    assert f"dicomweb:../instances/{added}/file" in instance_urls(after_add.body)

    second.session.delete(f"{second.url}/instances/{added}").raise_for_status()
    after_delete = raw_get(first, path, {"If-None-Match": after_add.header("ETag") or ""})
    assert after_delete.status == 200
    assert f"dicomweb:../instances/{added}/file" not in instance_urls(after_delete.body)
    assert after_delete.header("ETag") != after_add.header("ETag")


def test_a_gzip_only_browser_gets_the_study_gzipped_once_under_orthancs_default(make_server: ServerFactory) -> None:
    """Without "HttpCompressionEnabled" in the configuration, Orthanc's default applies: on (1.10)
    or off (from 1.12.2). Chromium over plain HTTP offers no zstd; its answer is gzipped once either way."""
    server = make_server("default-compression")
    assert "HttpCompressionEnabled" not in server.config
    study_id, ids = upload_study(server, 3)
    answer = raw_get(server, f"/studies/{study_id}/ohif-dicom-json", {"Accept-Encoding": CHROMIUM_PLAIN_HTTP})
    assert answer.status == 200
    assert answer.codings == ["gzip"]
    assert instance_urls(answer.decoded()) == [f"dicomweb:../instances/{i}/file" for i in ids]
