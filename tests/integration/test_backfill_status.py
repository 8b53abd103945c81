"""BackfillOnStartup, GET /ohif/api/status and the plugin's metrics, against real Orthanc servers."""

from __future__ import annotations

import time
from typing import Any

import requests

from harness.orthanc_server import REPOSITORY, OrthancServer
from ohif_plugin.summaries.codec import decode_summary
from tests.conftest import ServerFactory
from tests.support import dicom_factory as factory
from tests.support.orthanc_checks import plugin_unloaded

WAIT = 120.0  # seconds; only reached when something is wrong


def upload_study(server: OrthancServer, size: int) -> dict[str, Any]:
    ids = server.upload_all([factory.to_bytes(dataset) for dataset in factory.ct_series(factory.StudySpec(), size)])
    return {"id": server.study_of(ids[0]), "instances": ids}


def status(server: OrthancServer) -> dict[str, Any]:
    answer = server.get("/ohif/api/status")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    return dict(answer.json())


def wait_for_backfill(server: OrthancServer, state: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        backfill = status(server)["Backfill"]
        if backfill is not None and backfill["State"] == state:
            return dict(backfill)
        time.sleep(0.1)
    raise TimeoutError(f"the backfill is not {state}: {status(server)['Backfill']}")


def prometheus(server: OrthancServer) -> dict[str, float]:
    values = {}
    for line in server.get("/tools/metrics-prometheus").text.splitlines():
        name, value, *_ = line.split()
        values[name] = float(value)
    return values


def restart_with(server: OrthancServer, ohif: dict[str, Any]) -> None:
    server.stop()
    server.config["OHIF"] = ohif
    server.start()


def test_backfill_on_startup_fills_in_missing_and_stale_summaries(make_server: ServerFactory) -> None:
    server = make_server(ohif={"Preload": False})
    studies = [upload_study(server, size) for size in (3, 2, 4)]
    assert server.study_json(studies[0]["id"]).status_code == 200  # this one has its summaries already
    assert status(server)["Backfill"] is None  # off by default
    with plugin_unloaded(server):  # a summary made stale while the plugin was not there to repair it
        server.put_metadata(studies[0]["instances"][1], b"stale")

    restart_with(server, {"Preload": False, "BackfillOnStartup": True})
    backfill = wait_for_backfill(server, "finished")
    assert backfill["StudiesTotal"] == backfill["StudiesDone"] == 3
    assert backfill["InstancesChecked"] == 9
    assert backfill["SummariesComputed"] == 1 + 2 + 4
    assert backfill["Failed"] == 0
    for study in studies:
        for instance_id in study["instances"]:
            assert decode_summary(server.metadata(instance_id) or b"") is not None
    log = server.log_text()
    assert "preload off, backfill on" in log
    assert "Backfill: filling in missing summaries of 3 studies in the background" in log
    assert "Backfill finished: 3/3 studies, 9 instances checked" in log
    metrics = (status(server), prometheus(server))[1]
    assert metrics["ohif_backfill_studies_done"] == 3
    assert metrics["ohif_backfill_summaries_computed"] == 7


def test_orthanc_stops_cleanly_during_a_backfill(make_server: ServerFactory) -> None:
    server = make_server(ohif={"Preload": False})
    files = factory.study_files(factory.StudySpec(), {"CT": 300})
    server.upload_all(files)
    restart_with(server, {"Preload": False, "BackfillOnStartup": True})
    backfill = status(server)["Backfill"]
    assert backfill["State"] == "running"  # 300 summaries at a bounded pace take seconds
    assert server.stop() == 0
    assert "Backfill stopped: " in server.log_text()
    assert "did not stop" not in server.log_text()


def test_status_counts_summaries_and_studies_answered_from_stored_summaries(make_server: ServerFactory) -> None:
    server = make_server(ohif={"Preload": False})
    study = upload_study(server, 3)
    before = status(server)
    stamp = (REPOSITORY / "static" / "ohif-dist" / ".ohif-version").read_text().splitlines()[0]
    assert before["OhifVersion"] == stamp.removeprefix("version=")
    assert before["PluginVersion"] == __import__("ohif_plugin").__version__
    assert before["DataSource"] == "dicom-json"
    assert before["Preload"] == {"Enabled": False, "QueueLength": 0, "Dropped": 0}

    assert server.study_json(study["id"]).status_code == 200  # computes 3 summaries, stores the answer
    server.wait_until_stored_answers_done()
    assert server.study_json(study["id"]).status_code == 200  # the stored answer: a cache hit
    etag = server.study_json(study["id"]).headers["ETag"]  # a cache hit again
    assert server.get(f"/studies/{study['id']}/ohif-dicom-json", headers={"If-None-Match": etag}).status_code == 304
    assert server.study_json("0123abcd-0123abcd-0123abcd-0123abcd-0123abcd").status_code == 404
    server.wait_until_stored_answers_done()  # the checks after each stored answer count nothing
    since_start = status(server)["SinceStart"]
    assert since_start["SummariesComputed"] == 3
    assert since_start["SummariesReused"] == 0
    assert since_start["SummariesFailed"] == 0
    assert since_start["StudiesServed"] == 4
    assert since_start["StudyCacheHits"] == 3
    assert since_start["StoredAnswersServed"] == 2

    metrics = prometheus(server)
    assert metrics["ohif_summaries_computed"] == 3
    assert metrics["ohif_studies_served"] == 4
    assert metrics["ohif_study_cache_hits"] == 3
    assert "ohif_backfill_studies_done" not in metrics


def test_status_with_preload_counts_the_summaries_computed_at_ingestion(make_server: ServerFactory) -> None:
    server = make_server()
    study = upload_study(server, 4)
    server.wait_for_metadata(study["instances"])
    assert server.study_json(study["id"]).status_code == 200
    answer = status(server)
    assert answer["Preload"]["Enabled"] is True
    assert answer["SinceStart"]["SummariesComputed"] == 4
    assert answer["SinceStart"]["StudyCacheHits"] == 1


def test_status_is_not_a_bundle_file_and_the_viewer_still_is(make_server: ServerFactory) -> None:
    server = make_server()
    assert status(server)["DataSource"] == "dicom-json"
    assert server.get("/ohif/api/other").status_code == 404
    viewer = server.get("/ohif/viewer")
    assert viewer.status_code == 200
    assert viewer.headers["Content-Type"].startswith("text/html")
    assert server.session.post(f"{server.url}/ohif/api/status", data=b"{}").status_code == 405


def test_status_follows_orthanc_authentication(make_server: ServerFactory) -> None:
    server = make_server(credentials=("alice", "s3cret"))
    assert requests.get(f"{server.url}/ohif/api/status", timeout=30).status_code == 401
    assert status(server)["PluginVersion"]


def test_metrics_are_pushed_without_any_status_request(make_server: ServerFactory) -> None:
    server = make_server(ohif={"Preload": False})
    study = upload_study(server, 2)
    assert server.study_json(study["id"]).status_code == 200
    deadline = time.monotonic() + WAIT
    while prometheus(server).get("ohif_studies_served") != 1 and time.monotonic() < deadline:
        time.sleep(0.5)  # pushed every 10 s
    metrics = prometheus(server)
    assert metrics["ohif_studies_served"] == 1
    assert metrics["ohif_summaries_computed"] == 2
