"""Stored study answers on a real Orthanc: sent while the study is unchanged, rebuilt when it is not.

The first display assembles the study from its summaries and stores the
answer, gzipped, as the study's attachment 4202 (with Preload on, the study
becoming stable stores it before any display); the next ones send it with
one read. These tests change the study behind the plugin's back (an instance
added or deleted, through this server or another one sharing the database; a
summary or the stored answer damaged or deleted) and check what a viewer
gets next.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from harness.orthanc_server import OrthancServer
from tests.conftest import ServerFactory
from tests.integration.conftest import SharedIndex
from tests.support import dicom_factory as factory
from tests.support.orthanc_checks import CHROMIUM_LOCAL, plugin_errors, raw_get

ATTACHMENT = "/studies/{}/attachments/4202"


def stored_header(server: OrthancServer, study_id: str, timeout: float = 30.0) -> list[str]:
    """The header fields of the study's stored answer, once the plugin has stored it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = server.get(ATTACHMENT.format(study_id) + "/data")
        if answer.status_code == 200:
            return answer.content.split(b"\n", 1)[0].decode().split(" ")
        time.sleep(0.1)
    raise AssertionError(f"no stored answer for study {study_id} after {timeout} s")


def wait_for_stored(server: OrthancServer, study_id: str, etag: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (header := stored_header(server, study_id, timeout))[2] != etag:
        assert time.monotonic() < deadline, f"the stored answer kept ETag {header[2]}, not {etag}"
        time.sleep(0.1)


def stored_answers_served(server: OrthancServer) -> int:
    return int(server.get("/ohif/api/status").json()["SinceStart"]["StoredAnswersServed"])


def sop_uids(answer: requests.Response) -> set[str]:
    return {
        instance["metadata"]["SOPInstanceUID"]
        for study in answer.json()["studies"]
        for series in study["series"]
        for instance in series["instances"]
    }


def decode_4202(value: bytes | None) -> dict[str, Any] | None:
    try:
        return dict(json.loads(gzip.decompress(base64.b64decode(value or b"", validate=True))))
    except (ValueError, OSError, EOFError):
        return None


def upload_series(server: OrthancServer, name: str, count: int) -> tuple[str, list[str], factory.StudySpec]:
    spec = factory.StudySpec(patient_name=name)
    ids = server.upload_all([factory.to_bytes(ds) for ds in factory.ct_series(spec, count, size=8)])
    return server.study_of(ids[0]), ids, spec


def first_display(server: OrthancServer, study_id: str) -> requests.Response:
    """The first display of the study, once its answer is stored."""
    answer = server.study_json(study_id)
    assert answer.status_code == 200
    wait_for_stored(server, study_id, answer.headers["ETag"])
    return answer


def test_the_second_display_is_the_stored_answer_with_the_same_etag(make_server: ServerFactory) -> None:
    server = make_server()
    study_id, ids, _ = upload_series(server, "Stored^Second", 12)
    first = first_display(server, study_id)
    served = stored_answers_served(server)
    second = server.study_json(study_id)
    assert stored_answers_served(server) == served + 1
    assert second.json() == first.json()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert "gzip" in second.headers["Content-Encoding"]
    assert server.study_json(study_id).json() == first.json()
    revalidated = server.get(f"/studies/{study_id}/ohif-dicom-json", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304
    chromium = raw_get(server, f"/studies/{study_id}/ohif-dicom-json", {"Accept-Encoding": CHROMIUM_LOCAL})
    assert chromium.codings[0] == "zstd"  # then gzip by 1.10 with compression on, which urllib3 cannot undo
    assert json.loads(chromium.decoded()) == first.json()
    plain = server.get(f"/studies/{study_id}/ohif-dicom-json", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert json.loads(plain.content) == first.json()
    assert len(sop_uids(second)) == len(ids)
    assert not plugin_errors(server), "\n".join(plugin_errors(server))


def test_an_instance_added_or_deleted_changes_the_answer(make_server: ServerFactory) -> None:
    server = make_server()
    study_id, ids, spec = upload_series(server, "Stored^Changed", 6)
    first = first_display(server, study_id)
    added = factory.ct_series(spec, 1, series_number=2, size=8)[0]
    added_id = server.upload_ok(factory.to_bytes(added))["ID"]
    with_added = server.study_json(study_id)
    assert with_added.headers["ETag"] != first.headers["ETag"]
    assert sop_uids(with_added) == sop_uids(first) | {str(added.SOPInstanceUID)}
    wait_for_stored(server, study_id, with_added.headers["ETag"])
    assert server.study_json(study_id).json() == with_added.json()
    assert server.session.delete(f"{server.url}/instances/{ids[0]}", timeout=30).status_code == 200
    after_delete = server.study_json(study_id)
    assert len(sop_uids(after_delete)) == len(ids)  # one deleted, one added
    assert str(added.SOPInstanceUID) in sop_uids(after_delete)
    assert added_id
    assert not plugin_errors(server), "\n".join(plugin_errors(server))


def test_an_instance_added_through_another_server_changes_the_answer(shared_index: Any) -> None:
    index: SharedIndex = shared_index(2)
    a, b = index.servers
    study_id, _, spec = upload_series(a, "Stored^Shared", 6)
    first = first_display(b, study_id)
    assert b.study_json(study_id).json() == first.json()  # stored by b, sent by b
    added = factory.ct_series(spec, 1, series_number=3, size=8)[0]
    a.upload_ok(factory.to_bytes(added))
    on_b = b.study_json(study_id)
    assert str(added.SOPInstanceUID) in sop_uids(on_b)
    wait_for_stored(b, study_id, on_b.headers["ETag"])
    on_a = a.study_json(study_id)  # a sends what b stored
    assert on_a.json() == on_b.json()
    assert stored_answers_served(a) == 1


def test_summaries_deleted_or_damaged_since_are_rebuilt_after_the_stored_answer(make_server: ServerFactory) -> None:
    server = make_server()
    study_id, ids, spec = upload_series(server, "Stored^Repaired", 6)
    first = first_display(server, study_id)
    assert server.session.delete(f"{server.url}/instances/{ids[0]}/metadata/4202", timeout=30).status_code == 200
    server.put_metadata(ids[1], b"not a summary")
    assert server.study_json(study_id).json() == first.json()  # the stored answer: the files did not change
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        summaries = [decode_4202(server.metadata(instance_id)) for instance_id in ids[:2]]
        if all(summaries):
            break
        time.sleep(0.1)
    assert all(summary and summary["0010,0010"] == spec.patient_name for summary in summaries), summaries
    assert not plugin_errors(server), "\n".join(plugin_errors(server))


def test_a_damaged_or_deleted_stored_answer_is_assembled_and_stored_again(make_server: ServerFactory) -> None:
    server = make_server()
    study_id, _, _ = upload_series(server, "Stored^Damaged", 6)
    first = first_display(server, study_id)
    data = server.get(ATTACHMENT.format(study_id) + "/data").content
    server.session.put(server.url + ATTACHMENT.format(study_id), data=data[:-20], timeout=30).raise_for_status()
    served = stored_answers_served(server)
    assert server.study_json(study_id).json() == first.json()
    assert stored_answers_served(server) == served  # assembled, not sent damaged
    wait_for_stored(server, study_id, first.headers["ETag"])
    deadline = time.monotonic() + 30
    while server.get(ATTACHMENT.format(study_id) + "/data").content != data:
        assert time.monotonic() < deadline, "the damaged stored answer was not replaced"
        time.sleep(0.1)
    assert server.session.delete(server.url + ATTACHMENT.format(study_id), timeout=30).status_code == 200
    assert server.study_json(study_id).json() == first.json()
    wait_for_stored(server, study_id, first.headers["ETag"])
    assert not plugin_errors(server), "\n".join(plugin_errors(server))


def test_with_check_revisions_the_stored_answer_is_replaced(make_server: ServerFactory) -> None:
    server = make_server(configuration={"CheckRevisions": True})
    study_id, _, spec = upload_series(server, "Stored^Revision", 6)
    first_display(server, study_id)
    server.upload_ok(factory.to_bytes(factory.ct_series(spec, 1, series_number=4, size=8)[0]))
    changed = server.study_json(study_id)
    wait_for_stored(server, study_id, changed.headers["ETag"])
    assert server.study_json(study_id).json() == changed.json()
    assert not plugin_errors(server), "\n".join(plugin_errors(server))


def wait_until_stable(server: OrthancServer, study_id: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not server.get(f"/studies/{study_id}").json()["IsStable"]:
        assert time.monotonic() < deadline, f"study {study_id} not stable after {timeout} s"
        time.sleep(0.1)


def test_a_study_that_became_stable_is_a_stored_answer_at_its_first_display(make_server: ServerFactory) -> None:
    server = make_server(configuration={"StableAge": 1})
    study_id, ids, _ = upload_series(server, "Stored^Stable", 8)
    etag = stored_header(server, study_id)[2]  # stored with no display at all
    first = server.study_json(study_id)
    assert stored_answers_served(server) == 1
    assert first.headers["ETag"] == etag
    assert len(sop_uids(first)) == len(ids)
    assert not plugin_errors(server), "\n".join(plugin_errors(server))


def test_with_preload_off_a_stable_study_waits_for_its_first_display(make_server: ServerFactory) -> None:
    server = make_server(ohif={"Preload": False}, configuration={"StableAge": 1})
    study_id, _, _ = upload_series(server, "Stored^NotPreloaded", 4)
    wait_until_stable(server, study_id)
    time.sleep(1)  # what the plugin would do at STABLE_STUDY, it has done by now
    assert server.get(ATTACHMENT.format(study_id) + "/data").status_code == 404
    first_display(server, study_id)
    assert stored_answers_served(server) == 0


def since_start(server: OrthancServer) -> dict[str, Any]:
    return dict(server.get("/ohif/api/status").json()["SinceStart"])


def test_opens_of_an_unchanged_study_assemble_nothing(make_server: ServerFactory) -> None:
    server = make_server()
    study_id, ids, _ = upload_series(server, "Stored^Unchanged", 10)
    first_display(server, study_id)
    before = since_start(server)
    for _ in range(10):
        assert len(sop_uids(server.study_json(study_id))) == len(ids)
    after = since_start(server)
    assert after["StudiesAssembled"] == before["StudiesAssembled"]
    assert after["StoredAnswersServed"] == before["StoredAnswersServed"] + 10
    assert after["SummariesReused"] == before["SummariesReused"]  # no summary read at all
    assert server.get("/ohif/api/status").json()["StoredAnswers"]["QueueLength"] == 0
    assert not plugin_errors(server), "\n".join(plugin_errors(server))


def test_eight_viewers_opening_a_new_study_at_once_assemble_it_once(make_server: ServerFactory) -> None:
    server = make_server()
    study_id, ids, _ = upload_series(server, "Stored^EightAtOnce", 200)
    before = since_start(server)["StudiesAssembled"]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: server.study_json(study_id), range(8)))
    assert all(answer.status_code == 200 for answer in answers)
    assert len({answer.content for answer in answers}) == 1
    assert len(sop_uids(answers[0])) == len(ids)
    assert since_start(server)["StudiesAssembled"] == before + 1
    assert not plugin_errors(server), "\n".join(plugin_errors(server))
