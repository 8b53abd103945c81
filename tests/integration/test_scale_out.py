"""Scale-out, Orthanc's own way: several servers share one PostgreSQL index and one storage folder.

Every server runs the plugin and preloads the summaries of what it receives;
a summary written by one server is served by all. These tests upload through
A and B at once, view studies on one server while the other ingests, and then
check that nothing is lost, duplicated or corrupted: in Orthanc's answers, in
the database itself and in the shared storage folder.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pydicom
import pytest

from harness.orthanc_server import OrthancServer
from ohif_plugin.summaries.codec import decode_summary
from ohif_plugin.summaries.dataset import summarize_dicom
from tests.integration.conftest import SharedIndex
from tests.support import dicom_factory as factory

SharedIndexFactory = Callable[..., SharedIndex]
IMAGE_SIZE = 16
"""Small images: the tests are about the index, not about pixels."""


@dataclass
class Uploaded:
    """What the tests sent, by Orthanc instance identifier (the same on every server)."""

    files: dict[str, bytes] = field(default_factory=dict)
    study_of: dict[str, str] = field(default_factory=dict)
    """The StudyInstanceUID of each instance."""
    series: set[str] = field(default_factory=set)
    patients: set[str] = field(default_factory=set)

    def add(self, instance_id: str, data: bytes) -> None:
        self.files[instance_id] = data
        dataset = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
        self.study_of[instance_id] = str(dataset.StudyInstanceUID)
        self.series.add(str(dataset.SeriesInstanceUID))
        self.patients.add(str(dataset.PatientID))

    @property
    def studies(self) -> set[str]:
        return set(self.study_of.values())


def sop_instance_uid(data: bytes) -> str:
    return str(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).SOPInstanceUID)


def series_files(spec: factory.StudySpec, count: int, series_number: int, series_uid: str = "") -> list[bytes]:
    datasets = factory.ct_series(spec, count, series_number=series_number, series_uid=series_uid, size=IMAGE_SIZE)
    return [factory.to_bytes(dataset) for dataset in datasets]


def upload_in_threads(jobs: Iterable[tuple[OrthancServer, list[bytes]]]) -> Uploaded:
    """One thread per (server, files); all start together. Returns everything stored."""
    jobs = list(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(server: OrthancServer, files: list[bytes]) -> list[tuple[str, bytes]]:
        barrier.wait()
        stored = []
        for data in files:
            answer = server.upload_ok(data)
            assert answer["Status"] == "Success", answer
            stored.append((str(answer["ID"]), data))
        return stored

    uploaded = Uploaded()
    with ThreadPoolExecutor(len(jobs)) as pool:
        for result in [pool.submit(run, server, files) for server, files in jobs]:
            for instance_id, data in result.result():
                uploaded.add(instance_id, data)
    return uploaded


def revision(server: OrthancServer, instance_id: str) -> int:
    """The revision of metadata 4202 (Orthanc's ETag is "revision-md5"); 0 means written once."""
    answer = server.get(f"/instances/{instance_id}/metadata/4202")
    answer.raise_for_status()
    return int(answer.headers["ETag"].strip('"').split("-")[0])


def stored_answers(server: OrthancServer, uploaded: Uploaded) -> dict[str, dict[str, Any]]:
    """The attachment 4202 (the stored answer) of each study that has one, by study."""
    found = {}
    for study_id in {server.study_of(instance_id) for instance_id in uploaded.files}:
        info = server.get(f"/studies/{study_id}/attachments/4202/info")
        if info.status_code == 200:
            found[study_id] = dict(info.json())
    return found


def sop_instance_uids(answer: dict[str, Any]) -> set[str]:
    return {
        instance["metadata"]["SOPInstanceUID"]
        for study in answer["studies"]
        for series in study["series"]
        for instance in series["instances"]
    }


def assert_consistent(index: SharedIndex, uploaded: Uploaded) -> None:
    """Every server sees exactly what was uploaded, each instance with one valid summary of its own file."""
    first = index.servers[0]
    first.wait_for_metadata(uploaded.files)
    for server in index.servers:
        server.wait_until_stored_answers_done()
    expected_ids = set(uploaded.files)
    study_answers = stored_answers(first, uploaded)
    for server in index.servers:
        assert set(server.get("/instances").json()) == expected_ids
        statistics = server.get("/statistics").json()
        assert statistics["CountInstances"] == len(uploaded.files)
        assert statistics["CountSeries"] == len(uploaded.series)
        assert statistics["CountStudies"] == len(uploaded.studies)
        assert statistics["CountPatients"] == len(uploaded.patients)
        stored_size = sum(int(info["CompressedSize"]) for info in study_answers.values())
        assert int(statistics["TotalDiskSize"]) == sum(len(data) for data in uploaded.files.values()) + stored_size

    # Each server's view of each instance: its own file, and a summary of that file.
    for server in index.servers:
        for instance_id, data in uploaded.files.items():
            assert server.get(f"/instances/{instance_id}/file").content == data
            stored = server.metadata(instance_id)
            assert stored is not None, instance_id
            assert decode_summary(stored) == summarize_dicom(data), instance_id

    # In the database: one row per resource (the public identifier index is not unique),
    # and exactly one metadata 4202 per instance.
    assert index.sql("SELECT publicId FROM Resources GROUP BY publicId HAVING COUNT(*) > 1") == ""
    counts = dict(
        line.split("|") for line in index.sql("SELECT resourceType, COUNT(*) FROM Resources GROUP BY 1").split()
    )
    assert counts == {
        "0": str(len(uploaded.patients)),
        "1": str(len(uploaded.studies)),
        "2": str(len(uploaded.series)),
        "3": str(len(uploaded.files)),
    }
    summaries = index.sql(
        "SELECT r.publicId FROM Metadata m JOIN Resources r ON r.internalId = m.id WHERE m.type = 4202"
    ).split()
    assert sorted(summaries) == sorted(expected_ids)

    # In the shared storage folder: one file per instance and per stored study answer, no orphan, none missing.
    stored_files = {path.name for path in index.storage.rglob("*") if path.is_file()}
    attachments = {
        first.get(f"/instances/{instance_id}/attachments/dicom/info").json()["Uuid"] for instance_id in uploaded.files
    }
    assert stored_files == attachments | {str(info["Uuid"]) for info in study_answers.values()}

    # And the study JSON is the same whichever server answers.
    for study_uid in uploaded.studies:
        study_id = first.session.post(f"{first.url}/tools/lookup", data=study_uid).json()[0]["ID"]
        answers = [server.study_json(study_id).json() for server in index.servers]
        assert all(answer == answers[0] for answer in answers)
        assert sop_instance_uids(answers[0]) == {
            sop_instance_uid(data) for instance_id, data in uploaded.files.items()
            if uploaded.study_of[instance_id] == study_uid
        }


def test_summaries_preloaded_by_a_are_served_by_b_without_recomputing(shared_index: SharedIndexFactory) -> None:
    index = shared_index()
    a, b = index.servers
    spec = factory.StudySpec(patient_name="Shared^Index")
    files = series_files(spec, 6, 1) + series_files(spec, 4, 2)
    ids = a.upload_all(files)
    written_by_a = a.wait_for_metadata(ids)
    study_id = a.study_of(ids[0])

    for _ in range(3):
        answer = b.study_json(study_id)
        assert answer.status_code == 200
        assert sop_instance_uids(answer.json()) == {sop_instance_uid(data) for data in files}
    # B read A's summaries: had it recomputed one, its write would show as a new revision.
    for instance_id in ids:
        assert b.metadata(instance_id) == written_by_a[instance_id]
        assert revision(b, instance_id) == 0
    assert "recomputing" not in b.log_text()

    # The revision check sees a rewrite: B writing a summary again (same value) is revision 1, on A too.
    b.put_metadata(ids[0], written_by_a[ids[0]])
    assert revision(a, ids[0]) == 1
    # And a summary B computes (here: one A lost) is then served by A as it is, not rewritten.
    answer = a.session.delete(f"{a.url}/instances/{ids[1]}/metadata/4202", timeout=30)
    assert answer.status_code == 200
    assert b.study_json(study_id).status_code == 200
    recomputed_by_b = a.wait_for_summary(ids[1], lambda value: value is not None)
    assert recomputed_by_b is not None
    assert decode_summary(recomputed_by_b) == summarize_dicom(files[1])
    assert a.study_json(study_id).status_code == 200
    assert a.metadata(ids[1]) == recomputed_by_b
    assert revision(a, ids[1]) == 0


def test_concurrent_uploads_to_both_servers(shared_index: SharedIndexFactory) -> None:
    index = shared_index()
    a, b = index.servers
    shared_spec = factory.StudySpec(patient_id="PAT-SHARED")
    one_series = series_files(shared_spec, 40, 1)
    a_only = series_files(factory.StudySpec(patient_id="PAT-A"), 30, 1)
    b_only = series_files(factory.StudySpec(patient_id="PAT-B"), 30, 1)
    # Two studies of one new patient, created at once from both sides.
    other_patient = factory.StudySpec(patient_id="PAT-BOTH")
    other_patient_second = factory.StudySpec(patient_id="PAT-BOTH")
    uploaded = upload_in_threads([
        # The same series, its instances alternately through A and B.
        (a, one_series[0::2]),
        (b, one_series[1::2]),
        # Another series of that study through each server.
        (a, series_files(shared_spec, 15, 2) + a_only),
        (b, series_files(shared_spec, 15, 3) + b_only),
        (a, series_files(other_patient, 10, 1)),
        (b, series_files(other_patient_second, 10, 1)),
    ])
    assert len(uploaded.files) == 40 + 15 + 15 + 30 + 30 + 10 + 10
    assert_consistent(index, uploaded)
    # Each server preloaded what it received: nobody rewrote a summary.
    assert all(revision(a, instance_id) == 0 for instance_id in uploaded.files)


@dataclass(frozen=True)
class View:
    """One answer of GET /studies/{id}/ohif-dicom-json."""

    status: int
    sop_instance_uids: frozenset[str]
    midway: bool
    """Asked while the work waited at its checkpoint."""


def views_while(viewer: OrthancServer, study_id: str, work: Callable[[Callable[[], None]], None]) -> list[View]:
    """Ask ``viewer`` for the study again and again while ``work`` runs on another thread.

    ``work`` gets a ``checkpoint`` to call once, midway: it returns when a view
    asked after that call has been answered, so that one view surely sees the
    work half done, whatever the timing. Exceptions of ``work`` are raised here.
    """
    paused = threading.Event()
    viewed = threading.Event()

    def checkpoint() -> None:
        paused.set()
        viewed.wait(60)

    views = []
    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(work, checkpoint)
        try:
            while not done.done():
                midway = paused.is_set() and not viewed.is_set()
                answer = viewer.study_json(study_id)
                uids = sop_instance_uids(answer.json()) if answer.status_code == 200 else set()
                views.append(View(answer.status_code, frozenset(uids), midway))
                if midway:
                    viewed.set()
        finally:
            viewed.set()
        done.result()
    return views


def test_study_viewed_on_b_while_a_ingests_shows_every_instance(shared_index: SharedIndexFactory) -> None:
    index = shared_index()
    a, b = index.servers
    spec = factory.StudySpec(patient_name="Growing^Study")
    files = series_files(spec, 60, 1) + series_files(spec, 60, 2)
    uids = [sop_instance_uid(data) for data in files]
    uploaded = Uploaded()
    uploaded.add(str(a.upload_ok(files[0])["ID"]), files[0])
    study_id = a.study_of(next(iter(uploaded.files)))
    half = len(files) // 2

    def ingest(checkpoint: Callable[[], None]) -> None:
        for position, data in enumerate(files[1:], start=2):
            uploaded.add(str(a.upload_ok(data)["ID"]), data)
            if position == half:
                checkpoint()

    views = views_while(b, study_id, ingest)
    assert all(view.status == 200 for view in views)
    assert [view.sop_instance_uids for view in views if view.midway] == [frozenset(uids[:half])]
    for earlier, later in itertools.pairwise(views):
        assert earlier.sop_instance_uids <= later.sop_instance_uids, "an instance disappeared from a later view"
    assert sop_instance_uids(b.study_json(study_id).json()) == set(uids)
    assert_consistent(index, uploaded)


@pytest.mark.orthanc_log_errors(r"plugin service 3004: Accessing an inexistent item")  # a write racing the deletion
def test_study_viewed_on_b_while_a_deletes_it(shared_index: SharedIndexFactory) -> None:
    index = shared_index()
    a, b = index.servers
    files = series_files(factory.StudySpec(patient_name="Shrinking^Study"), 60, 1)
    uids = [sop_instance_uid(data) for data in files]
    ids = a.upload_all(files)
    a.wait_for_metadata(ids)
    study_id = a.study_of(ids[0])
    half = len(ids) // 2

    def delete(checkpoint: Callable[[], None]) -> None:
        for position, instance_id in enumerate(ids, start=1):
            a.session.delete(f"{a.url}/instances/{instance_id}", timeout=30).raise_for_status()
            if position == half:
                checkpoint()

    views = views_while(b, study_id, delete)
    # Each view is the study as it was at some moment: what was not yet deleted, or gone.
    assert {view.status for view in views} <= {200, 404}
    assert [view.sop_instance_uids for view in views if view.midway] == [frozenset(uids[half:])]
    for earlier, later in itertools.pairwise(views):
        assert later.sop_instance_uids <= earlier.sop_instance_uids, "a deleted instance came back"
    for server in index.servers:
        assert server.study_json(study_id).status_code == 404
        assert server.get("/statistics").json()["CountInstances"] == 0
    assert index.sql("SELECT COUNT(*) FROM Resources").strip() == "0"
    assert index.sql("SELECT COUNT(*) FROM Metadata").strip() == "0"
    assert [path for path in index.storage.rglob("*") if path.is_file()] == []


def test_the_same_instance_sent_to_both_servers_at_once_is_stored_once(shared_index: SharedIndexFactory) -> None:
    index = shared_index()
    a, b = index.servers
    files = series_files(factory.StudySpec(patient_id="PAT-TWICE"), 30, 1)
    barrier = threading.Barrier(2)

    def send_all(server: OrthancServer) -> list[str]:
        barrier.wait()
        return [str(server.upload_ok(data)["Status"]) for data in files]

    with ThreadPoolExecutor(2) as pool:
        statuses = list(zip(*pool.map(send_all, (a, b)), strict=True))
    # Each file is stored by exactly one server; the other finds it already there.
    assert all(sorted(pair) == ["AlreadyStored", "Success"] for pair in statuses), statuses
    uploaded = Uploaded()
    for data in files:
        uploaded.add(str(b.upload_ok(data)["ID"]), data)
    assert_consistent(index, uploaded)
