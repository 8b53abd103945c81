"""Faults: Orthanc killed with a full preload queue, instances deleted during assembly, CheckRevisions.

Each test checks that Orthanc keeps working and that nothing is lost: every
uploaded instance stays in Orthanc and in its study's answer, and every
summary that could not be written in time is written later.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from harness.orthanc_server import OrthancServer, new_session, post_instance
from tests.conftest import ServerFactory
from tests.support import dicom_factory as factory
from tests.support.orthanc_checks import decode_4202, encode_4202, plugin_errors


def upload_concurrently(server: OrthancServer, files: list[bytes], clients: int = 4) -> list[str]:
    """Upload from ``clients`` connections at once; returns the identifiers in the order of ``files``."""
    sessions = [new_session() for _ in range(clients)]
    if server.credentials is not None:
        for session in sessions:
            session.auth = server.credentials

    def upload(index: int) -> str:
        answer = post_instance(sessions[index % clients], server.url, files[index])
        answer.raise_for_status()
        return str(answer.json()["ID"])

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(upload, range(len(files))))


def instances_of_answer(answer: dict[str, Any]) -> list[str]:
    """Orthanc identifiers of the instances of a study answer, from their URLs."""
    return [
        instance["url"].split("/")[2]
        for study in answer["studies"]
        for series in study["series"]
        for instance in series["instances"]
    ]






# --- Orthanc killed while the preload queue is full ------------------------------------------------

INSTANCES_PER_STUDY = 1000
SLOW_PRELOAD_PLUGIN = Path(__file__).resolve().parents[1] / "support" / "slow_preload_plugin.py"
"""Orthanc runs this script instead of the plugin's: a small preload queue, and a slow worker. (It is
not imported here: it loads the plugin, which needs Orthanc's ``orthanc`` module.)"""
PRELOAD_CAPACITY = 2000
"""The killed server's queue, as the slow plugin script sets it: filling the default one would take an
upload of tens of thousands of instances."""
STUDIES = PRELOAD_CAPACITY // INSTANCES_PER_STUDY + 1
"""One study more than the preload queue holds, so that it is full when Orthanc is killed."""


def test_sigkill_with_a_full_preload_queue_loses_nothing(make_server: ServerFactory) -> None:
    # The worker would otherwise keep up with ingestion: the slow plugin script makes it take a second
    # an instance, so that the queue fills however fast the machine ingests.
    server = make_server("killed", plugin_script=SLOW_PRELOAD_PLUGIN)
    specs = [factory.StudySpec(patient_name=f"Killed^{number}") for number in range(STUDIES)]
    files = [
        factory.to_bytes(dataset)
        for spec in specs
        for dataset in factory.ct_series(spec, INSTANCES_PER_STUDY, size=8)
    ]
    ids = upload_concurrently(server, files)
    assert "Preload queue full" in server.log_text(), server.log_tail()
    server.kill()  # SIGKILL: no shutdown, the queued work is lost with the process

    again = make_server("killed")  # the plugin itself, with its default queue and no delay
    stored = set(again.get("/instances").json())
    assert set(ids) <= stored, f"{len(set(ids) - stored)} instance(s) lost"
    sessions = [new_session() for _ in range(4)]

    def stored_summary(index: int) -> bytes | None:
        value = sessions[index % 4].get(f"{again.url}/instances/{ids[index]}/metadata/4202", timeout=60)
        return value.content if value.status_code == 200 else None

    with ThreadPoolExecutor(4) as pool:
        before = list(pool.map(stored_summary, range(len(ids))))
    without_summary = before.count(None)
    assert without_summary >= len(ids) - PRELOAD_CAPACITY, "the instances beyond the queue's capacity have no summary"

    for first in range(0, len(ids), INSTANCES_PER_STUDY):
        expected = ids[first : first + INSTANCES_PER_STUDY]
        answer = again.get(f"/studies/{again.study_of(expected[0])}/ohif-dicom-json", timeout=300)
        assert answer.status_code == 200
        assert sorted(instances_of_answer(answer.json())) == sorted(expected)

    with ThreadPoolExecutor(4) as pool:
        after = list(pool.map(stored_summary, range(len(ids))))
    for index, value in enumerate(after):
        assert value is not None, f"instance {ids[index]} still has no summary"
        assert decode_4202(value)["0010,0010"] == specs[index // INSTANCES_PER_STUDY].patient_name
    print(f"{len(ids)} instances uploaded, all in Orthanc after SIGKILL; "
          f"{without_summary} without a summary at restart, all rebuilt on first display")
    assert not plugin_errors(again), "\n".join(plugin_errors(again))


# --- instances deleted while their study is assembled ----------------------------------------------


def read_while(going_on: threading.Event, url: str, answers: list[requests.Response]) -> None:
    session = new_session()
    while going_on.is_set():
        answers.append(session.get(url, timeout=120))


@pytest.mark.orthanc_log_errors(r"plugin service 3004: Accessing an inexistent item")  # a write racing the deletion
@pytest.mark.parametrize("preload", [False, True], ids=["summaries-computed", "summaries-stored"])
def test_instances_deleted_during_assembly_never_give_a_500(make_server: ServerFactory, preload: bool) -> None:
    """Readers ask for the study while another client deletes a third of it, in random order.

    Every answer is 200 (or 404 once the whole study is gone) and lists every
    instance that was never deleted; nothing the readers were not given was deleted.
    """
    server = make_server(ohif={"Preload": preload})
    rounds, size, deleted_per_round = 4, 240, 80
    random_order = random.Random(4202)
    statuses: list[int] = []
    mid_deletion = 0
    """Answers assembled while the deletions went on: some deleted instances listed, not all."""
    for round_number in range(rounds):
        spec = factory.StudySpec(patient_name=f"Deleted^{round_number}")
        ids = upload_concurrently(server, [factory.to_bytes(ds) for ds in factory.ct_series(spec, size, size=8)])
        if preload:
            server.wait_for_metadata(ids)
        study_id = server.study_of(ids[0])
        doomed = random_order.sample(ids, deleted_per_round)
        kept = [instance_id for instance_id in ids if instance_id not in set(doomed)]
        last_round = round_number == rounds - 1
        if last_round:  # the whole study goes
            doomed, kept = list(ids), []
        deleting = threading.Event()
        deleting.set()
        answers: list[requests.Response] = []
        url = f"{server.url}/studies/{study_id}/ohif-dicom-json"
        readers = [threading.Thread(target=read_while, args=(deleting, url, answers)) for _ in range(3)]
        for reader in readers:
            reader.start()
        deleter = new_session()
        for instance_id in doomed:
            assert deleter.delete(f"{server.url}/instances/{instance_id}", timeout=60).status_code == 200
        deleting.clear()
        for reader in readers:
            reader.join(180)
        assert answers
        for answer in answers:
            statuses.append(answer.status_code)
            assert answer.status_code in (200, 404), answer.text[:300]
            if answer.status_code == 200:
                listed = instances_of_answer(answer.json())
                assert set(kept) <= set(listed), "an instance that was never deleted is missing"
                assert set(listed) <= set(ids)
                mid_deletion += len(kept) < len(listed) < len(ids)
            else:
                assert last_round
        final = server.study_json(study_id)
        if last_round:
            assert final.status_code == 404
        else:
            assert sorted(instances_of_answer(final.json())) == sorted(kept)
            assert all(server.metadata(instance_id) is not None for instance_id in kept)
    assert statuses.count(200) >= rounds
    assert mid_deletion > 0, "no answer fell inside the deletion window"
    skipped = server.log_text().count("was deleted while its study was assembled")
    print(f"answers {len(statuses)}: {statuses.count(200)} x 200, {statuses.count(404)} x 404, "
          f"{mid_deletion} assembled mid-deletion; {skipped} instance(s) seen vanish during assembly")
    assert "Error while answering" not in server.log_text()
    assert not plugin_errors(server), "\n".join(plugin_errors(server))
    assert server.get("/system").status_code == 200


# --- "CheckRevisions": true ------------------------------------------------------------------------


def put_with_revision(server: OrthancServer, instance_id: str, value: bytes) -> None:
    """Replace metadata 4202 as a client must with CheckRevisions: If-Match with the current ETag."""
    url = f"{server.url}/instances/{instance_id}/metadata/4202"
    current = server.session.get(url, timeout=30)
    headers = {"If-Match": current.headers["ETag"]} if current.status_code == 200 else {}
    server.session.put(url, data=value, headers=headers, timeout=30).raise_for_status()


@pytest.mark.parametrize("credentials", [None, ("alice", "secret")], ids=["open", "authentication"])
@pytest.mark.parametrize("preload", [True, False], ids=["preload", "first-display"])
def test_with_check_revisions_summaries_are_stored_and_replaced(
    make_server: ServerFactory, preload: bool, credentials: tuple[str, str] | None
) -> None:
    """A first store needs no revision; a replacement does, and the plugin gives it
    (see ohif_plugin.orthanc_adapter.revisions)."""
    server = make_server(ohif={"Preload": preload}, configuration={"CheckRevisions": True}, credentials=credentials)
    spec = factory.StudySpec(patient_name="Revision^Checked")
    ids = server.upload_all([factory.to_bytes(ds) for ds in factory.ct_series(spec, 6, size=8)])
    study_id = server.study_of(ids[0])
    if preload:
        stored = server.wait_for_metadata(ids)
    else:
        assert server.study_json(study_id).status_code == 200
        stored = {instance_id: server.metadata(instance_id) or b"" for instance_id in ids}
    for value in stored.values():  # fresh stores, no revision needed
        assert decode_4202(value)["0010,0010"] == "Revision^Checked"

    # Stale values (another version, corrupt, a wrong shape) written by a client that sent its revision.
    stale = {
        ids[0]: b"not base64 gzip json",
        ids[1]: encode_4202({"Version": 1, "0010,0010": "Old^Version"}),
        ids[2]: encode_4202({"Version": 2, "0028,0030": 5, "0020,000d": spec.study_uid}),
    }
    for instance_id, value in stale.items():
        put_with_revision(server, instance_id, value)
        assert server.metadata(instance_id) == value

    for _ in range(2):  # the second answer comes from the replaced summaries
        answer = server.study_json(study_id)
        assert answer.status_code == 200
        assert instances_of_answer(answer.json()) == ids
        assert answer.json()["studies"][0]["PatientName"] == "Revision^Checked"
        for instance_id in stale:
            replaced = server.wait_for_summary(instance_id, lambda value: value not in stale.values())
            summary = decode_4202(replaced or b"")
            assert summary["Version"] == 2
            assert summary["0010,0010"] == "Revision^Checked"
            assert summary["0028,0030"] == [0.5, 0.5]
    assert not plugin_errors(server), "\n".join(plugin_errors(server))


def test_with_check_revisions_concurrent_displays_replace_stale_summaries(make_server: ServerFactory) -> None:
    """Six viewers open a study whose 30 summaries are all stale at once: all answer, all get replaced."""
    server = make_server(configuration={"CheckRevisions": True})
    spec = factory.StudySpec(patient_name="Revision^Concurrent")
    ids = upload_concurrently(server, [factory.to_bytes(ds) for ds in factory.ct_series(spec, 30, size=8)])
    server.wait_for_metadata(ids)
    for instance_id in ids:
        put_with_revision(server, instance_id, encode_4202({"Version": 1, "0010,0010": "Old^Version"}))
    url = f"{server.url}/studies/{server.study_of(ids[0])}/ohif-dicom-json"

    def display(_: int) -> requests.Response:
        return new_session().get(url, timeout=120)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(display, range(6)))
    for answer in answers:
        assert answer.status_code == 200
        assert sorted(instances_of_answer(answer.json())) == sorted(ids)
        assert answer.json()["studies"][0]["PatientName"] == "Revision^Concurrent"
    for instance_id in ids:
        assert decode_4202(server.metadata(instance_id) or b"")["0010,0010"] == "Revision^Concurrent"
    assert not plugin_errors(server), "\n".join(plugin_errors(server))
