"""What the plugin writes into Orthanc's own data, pinned: the /changes entries, metadata keys, attachments
and disk sizes it adds, and when.

Each case runs the same upload on a plain Orthanc and on one with the plugin, and compares: what the
plugin adds is the difference, whatever a release of Orthanc writes by itself.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from harness.orthanc_server import OrthancServer
from tests.conftest import ServerFactory
from tests.support import dicom_factory as factory

WAIT = 60.0  # seconds; only reached when something is wrong
Change = tuple[str, str]
"""(ChangeType, ResourceType) of a /changes entry."""


def changes(server: OrthancServer) -> Counter[Change]:
    answer = server.get("/changes?since=0&limit=10000").json()
    assert answer["Done"]
    return Counter((change["ChangeType"], change["ResourceType"]) for change in answer["Changes"])


def study_files(count: int) -> list[bytes]:
    """One study, uploaded as the same bytes to each server: the same Orthanc identifiers on both."""
    spec = factory.StudySpec(patient_name="Side^Effects")
    return [factory.to_bytes(dataset) for dataset in factory.ct_series(spec, count, size=8)]


def upload_study(server: OrthancServer, files: list[bytes]) -> tuple[str, list[str]]:
    ids = server.upload_all(files)
    return server.study_of(ids[0]), ids


def wait_until_stable(server: OrthancServer, study_id: str) -> None:
    deadline = time.monotonic() + WAIT
    while not server.get(f"/studies/{study_id}").json()["IsStable"]:
        assert time.monotonic() < deadline, "the study did not become stable"
        time.sleep(0.1)


def settled(server: OrthancServer) -> dict[str, Any]:
    """Once the plugin has nothing left to do: its queues empty, twice in a row a little apart."""
    deadline = time.monotonic() + WAIT
    quiet = 0
    while quiet < 2:
        assert time.monotonic() < deadline, "the plugin kept working"
        status = server.get("/ohif/api/status").json()
        idle = status["Preload"]["QueueLength"] == 0 and status["StoredAnswers"]["QueueLength"] == 0
        quiet = quiet + 1 if idle else 0
        time.sleep(0.5)
    return dict(status)


def metadata_keys(server: OrthancServer, instance_id: str) -> set[str]:
    return set(server.get(f"/instances/{instance_id}/metadata").json())


def attachments(server: OrthancServer, resource: str) -> list[str]:
    return list(server.get(f"{resource}/attachments").json())


def disk_size(server: OrthancServer, study_id: str) -> int:
    return int(server.get(f"/studies/{study_id}/statistics").json()["DiskSize"])


def test_with_preload_an_upload_adds_one_metadata_change_per_instance_and_one_attachment_per_study(
    make_server: ServerFactory,
) -> None:
    plain = make_server("plain", with_plugin_script=False, configuration={"StableAge": 1})
    server = make_server("plugin", configuration={"StableAge": 1})
    results = {}
    files = study_files(3)
    for name, each in (("plain", plain), ("plugin", server)):
        study_id, ids = upload_study(each, files)
        wait_until_stable(each, study_id)
        results[name] = (study_id, ids)
    settled(server)
    study_id, ids = results["plugin"]
    assert changes(server) - changes(plain) == Counter({("UpdatedMetadata", "Instance"): 3,
                                                        ("UpdatedAttachment", "Study"): 1})
    assert not changes(plain) - changes(server)
    for instance_id, plain_id in zip(ids, results["plain"][1], strict=True):
        assert instance_id == plain_id  # the same files: the same Orthanc identifiers
        assert metadata_keys(server, instance_id) - metadata_keys(plain, plain_id) == {"4202"}
        assert attachments(server, f"/instances/{instance_id}") == attachments(plain, f"/instances/{plain_id}")
    assert attachments(plain, f"/studies/{study_id}") == []
    assert attachments(server, f"/studies/{study_id}") == ["4202"]
    stored = int(server.get(f"/studies/{study_id}/attachments/4202/size").text)
    assert stored == len(server.get(f"/studies/{study_id}/attachments/4202/data").content)
    assert disk_size(server, study_id) - disk_size(plain, study_id) == stored
    total = {name: int(each.get("/statistics").json()["TotalDiskSize"]) for name, each in (("plain", plain),
                                                                                             ("plugin", server))}
    assert total["plugin"] - total["plain"] == stored

    before = changes(server)
    for _ in range(5):
        assert server.study_json(study_id).status_code == 200
    settled(server)
    assert changes(server) == before  # opens of an unchanged study write nothing


def test_with_preload_off_the_first_display_writes_what_preload_would_have(make_server: ServerFactory) -> None:
    plain = make_server("plain", with_plugin_script=False)
    server = make_server("plugin", ohif={"Preload": False})
    files = study_files(4)
    study_id, _ = upload_study(plain, files)
    upload_study(server, files)
    settled(server)
    assert changes(server) == changes(plain)  # nothing until a display
    assert server.study_json(study_id).status_code == 200
    settled(server)
    assert changes(server) - changes(plain) == Counter({("UpdatedMetadata", "Instance"): 4,
                                                        ("UpdatedAttachment", "Study"): 1})
    before = changes(server)
    assert server.study_json(study_id).status_code == 200
    settled(server)
    assert changes(server) == before


def test_a_summary_deleted_behind_the_plugins_back_is_written_once_more(make_server: ServerFactory) -> None:
    server = make_server()
    _, ids = upload_study(server, study_files(2))
    server.wait_for_metadata(ids)
    settled(server)
    before = changes(server)
    assert server.session.delete(f"{server.url}/instances/{ids[0]}/metadata/4202", timeout=30).status_code == 200
    server.wait_for_metadata(ids[:1])
    settled(server)
    # The deletion, then the plugin's one write of the summary again; nothing for the other instance.
    assert changes(server) - before == Counter({("UpdatedMetadata", "Instance"): 2})
