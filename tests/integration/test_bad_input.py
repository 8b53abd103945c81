"""Bad DICOM and corrupt metadata 4202 against a real Orthanc: Orthanc keeps working, nothing is lost.

- Every file of tests/support/malformed_corpus.py is uploaded. Orthanc rejects some
  (recorded as such); every one it accepts gets either a valid summary (the
  same one the file gives when summarized whole) or a line in Orthanc's log,
  and the study route answers valid JSON for every study they belong to.
- Files with sequences nested deeper than about 48 levels crash Orthanc 1.10.1
  itself (SIGSEGV in its DICOM parser): the same file crashes a plain Orthanc,
  without any plugin, exactly as it crashes one with the plugin.
- Corrupt 4202 values of every shape are recomputed (or, where the file
  itself cannot be summarized, left out with a log line); the route never
  answers 500.

Run with ``pytest -s`` to see the figures recorded in docs/reliability.md.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import subprocess
import time
import warnings
from collections import Counter
from typing import Any

import pytest
import requests

from harness.orthanc_server import PYTHON_PLUGIN, OrthancServer
from ohif_plugin.summaries.dataset import SummaryError, summarize_dicom
from tests.conftest import ServerFactory
from tests.support import dicom_factory as factory
from tests.support import malformed_corpus


def decode_4202(value: bytes) -> dict[str, Any] | None:
    """As `base64 -d | gunzip -c` would, independently of the plugin; None if that fails."""
    try:
        summary = json.loads(gzip.decompress(base64.b64decode(value, validate=True)))
    except (ValueError, OSError, EOFError):
        return None
    return summary if isinstance(summary, dict) else None


def plugin_summary(data: bytes) -> dict[str, Any] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return summarize_dicom(data)
        except SummaryError:
            return None


def wait_for_summary_or_log(server: OrthancServer, instance_ids: list[str], timeout: float = 120.0) -> dict[str, str]:
    """For each instance: "summary" once 4202 is stored, "logged" once the preload failure is logged."""
    outcome: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(outcome) < len(instance_ids) and time.monotonic() < deadline:
        log = server.log_text()
        for instance_id in instance_ids:
            if instance_id in outcome:
                continue
            if server.metadata(instance_id) is not None:
                outcome[instance_id] = "summary"
            elif f"Preloading instance {instance_id} failed" in log:
                outcome[instance_id] = "logged"
        if len(outcome) < len(instance_ids):
            time.sleep(0.5)
    missing = [instance_id for instance_id in instance_ids if instance_id not in outcome]
    assert not missing, f"{len(missing)} accepted instance(s) got neither a summary nor a log line: {missing[:5]}"
    return outcome


def assert_studies_answer_json(server: OrthancServer, instance_ids: list[str]) -> Counter[str]:
    """Every study of these instances answers 200 and JSON; each of its instances is served or logged."""
    figures: Counter[str] = Counter()
    studies = {server.study_of(instance_id) for instance_id in instance_ids}
    for study_id in sorted(studies):
        answer = server.study_json(study_id)
        assert answer.status_code == 200, (study_id, answer.status_code, answer.text[:300])
        assert answer.headers["Content-Type"].startswith("application/json")
        body = answer.json()
        served = {
            instance["url"].split("/")[2]
            for study in body["studies"]
            for series in study["series"]
            for instance in series["instances"]
        }
        log = server.log_text()
        for item in server.get(f"/studies/{study_id}/instances").json():
            if item["ID"] in served:
                figures["served"] += 1
            else:
                assert f"Instance {item['ID']} left out of study {study_id}" in log, item["ID"]
                figures["left out with a log line"] += 1
        figures["studies"] += 1
    return figures


def upload_corpus(server: OrthancServer) -> tuple[dict[str, malformed_corpus.MalformedCase], Counter[str]]:
    """Upload every file; returns the accepted instances (by Orthanc ID) and the statuses by category."""
    statuses: Counter[str] = Counter()
    accepted: dict[str, malformed_corpus.MalformedCase] = {}
    for case in malformed_corpus.corpus():
        answer = server.upload(case.data)
        # 400: "Cannot parse an invalid DICOM file", "missing StudyInstanceUID..."; 404: Orthanc's own
        # "Inexistent tag" for files whose header lacks what it indexes.
        assert answer.status_code in (200, 400, 404), (case.name, answer.status_code, answer.text[:300])
        if answer.status_code == 200:
            accepted.setdefault(answer.json()["ID"], case)
        statuses[f"{case.category} {answer.status_code}"] += 1
    assert server.get("/system").status_code == 200
    return accepted, statuses


def assert_stored_summaries_are_whole(server: OrthancServer, accepted: dict[str, malformed_corpus.MalformedCase],
                                      instance_ids: list[str]) -> int:
    """Nothing lost: each stored summary is the one the whole file gives. Returns how many were checked."""
    for instance_id in instance_ids:
        stored = decode_4202(server.metadata(instance_id) or b"")
        assert stored is not None and stored["Version"] == 2, accepted[instance_id].name
        assert stored == plugin_summary(accepted[instance_id].data), accepted[instance_id].name
    return len(instance_ids)


def assert_no_plugin_error(server: OrthancServer, instance_ids: list[str]) -> None:
    log = server.log_text()
    assert server.get("/system").status_code == 200
    assert "Internal error in the OHIF plugin" not in log
    assert "Error while answering" not in log
    # A stored summary is used as it is: none is judged stale by its own reader.
    assert not [instance_id for instance_id in instance_ids if f"Instance {instance_id}: stale or corrupt" in log]


def test_the_malformed_corpus_keeps_orthanc_working_and_loses_nothing(orthanc: OrthancServer) -> None:
    """With preload (the default): each accepted instance is summarized at ingestion or logged."""
    accepted, statuses = upload_corpus(orthanc)
    instance_ids = list(accepted)
    outcome = wait_for_summary_or_log(orthanc, instance_ids)
    stored = assert_stored_summaries_are_whole(orthanc, accepted, [i for i in instance_ids if outcome[i] == "summary"])
    figures = assert_studies_answer_json(orthanc, instance_ids)
    assert_no_plugin_error(orthanc, instance_ids)
    logged = sum(value == "logged" for value in outcome.values())
    print(
        f"\nmalformed corpus: {sum(statuses.values())} files; by category and Orthanc status: "
        f"{dict(sorted(statuses.items()))};\n{len(accepted)} distinct instances accepted, {stored} summarized "
        f"at ingestion, {logged} logged as not summarizable; study route: {dict(figures)}"
    )
    assert stored + logged == len(accepted)
    # The 20 MB PatientName was left out of its summary, and the log says so.
    assert "Summary value 0010,0010 of 20971" in orthanc.log_text()


def test_the_malformed_corpus_without_preload_is_summarized_by_the_study_route(make_server: ServerFactory) -> None:
    """Without preload the study route computes every summary, in Orthanc's HTTP thread."""
    server = make_server(ohif={"Preload": False})
    accepted, _ = upload_corpus(server)
    instance_ids = list(accepted)
    assert all(server.metadata(instance_id) is None for instance_id in instance_ids[:20])
    figures = assert_studies_answer_json(server, instance_ids)
    computed = [instance_id for instance_id in instance_ids if server.metadata(instance_id) is not None]
    assert len(computed) == figures["served"]
    assert_stored_summaries_are_whole(server, accepted, computed)
    assert_no_plugin_error(server, instance_ids)
    print(f"\nwithout preload: {len(accepted)} accepted, study route: {dict(figures)}")


def test_an_instance_whose_file_has_a_fake_pixel_data_tag_keeps_its_whole_summary(orthanc: OrthancServer) -> None:
    """A pixel data tag inside a value must not be taken for the pixel data, nor cost the tags after it."""
    spec = factory.StudySpec(patient_name="Fake^PixelTag", study_description="x\xe0\x7f\x10\x00OW\x00\x00")
    dataset = factory.ct_instance(spec, factory.generate_uid(), 0, size=8)
    dataset.StudyDescription = b"\xe0\x7f\x10\x00OW\x00\x00\x10\x00\x00\x00"
    dataset.add_new(0x00091010, "UN", b"\xe0\x7f\x10\x00OB\x00\x00\x04\x00\x00\x00abcd")
    data = factory.to_bytes(dataset)
    instance_id = orthanc.upload_ok(data)["ID"]
    stored = decode_4202(orthanc.wait_for_metadata([instance_id])[instance_id])
    assert stored == plugin_summary(data)
    assert stored is not None and stored["0010,0010"] == "Fake^PixelTag"


# --- Orthanc's own crashes -----------------------------------------------------------------------


def crashes(server: OrthancServer, data: bytes) -> bool:
    """Whether uploading ``data`` kills the server (it is then restarted for the next file)."""
    process = server.process
    assert process is not None
    try:
        server.upload(data)
    except requests.ConnectionError:  # the answer never came: wait for the process to end
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
    if process.poll() is None:
        assert server.get("/system").status_code == 200
        return False
    server.process = None
    server.start()
    return True


@pytest.mark.parametrize("case", malformed_corpus.core_crash_cases(), ids=lambda case: case.name)
def test_deeply_nested_sequences_crash_orthanc_with_or_without_the_plugin(
    make_server: ServerFactory, case: malformed_corpus.MalformedCase
) -> None:
    """A crash of Orthanc's core is the same with the plugin: the plugin adds none."""
    plain = make_server("plain", plugins=(), with_plugin_script=False)
    with_plugin = make_server("with-plugin", plugins=(PYTHON_PLUGIN,))
    plain_crashed = crashes(plain, case.data)
    plugin_crashed = crashes(with_plugin, case.data)
    assert plugin_crashed == plain_crashed
    print(f"\n{case.name}: Orthanc 1.10.1 {'crashes' if plain_crashed else 'survives'}, with or without the plugin")


def test_orthanc_with_the_plugin_survives_every_depth_a_plain_orthanc_survives(make_server: ServerFactory) -> None:
    with_plugin = make_server(ohif={"Preload": True})
    for case in malformed_corpus.nesting_cases(malformed_corpus.DEEP_NESTING, "huge"):
        assert not crashes(with_plugin, case.data), case.name
    ids = [item for item in with_plugin.get("/instances").json()]
    assert len(ids) == 3 * len(malformed_corpus.DEEP_NESTING)
    outcome = wait_for_summary_or_log(with_plugin, ids)
    assert set(outcome.values()) == {"summary"}
    assert_studies_answer_json(with_plugin, ids)


# --- Corrupt metadata 4202 -----------------------------------------------------------------------


def _gzip_base64(raw: bytes) -> bytes:
    return base64.b64encode(gzip.compress(raw))


def _json_4202(value: Any) -> bytes:
    return _gzip_base64(json.dumps(value).encode())


CORRUPT_4202: dict[str, bytes] = {
    # (Garbage, an old Version and a number for a list are in tests/integration/test_core.py.)
    "truncated base64": _json_4202({"Version": 2})[:-5],
    "base64 of non-gzip": base64.b64encode(b'{"Version": 2}'),
    "valid gzip of invalid JSON": _gzip_base64(b'{"Version": 2, "0010,0010": '),
    "gzip of invalid UTF-8": _gzip_base64(b'{"Version": 2, "0010,0010": "\xff\xfe"}'),
    "list where a string is expected": _json_4202({"Version": 2, "0010,0010": ["Doe", "J"]}),
    "list where an integer is expected": _json_4202({"Version": 2, "0028,0010": [512]}),
    "nested garbage": _json_4202({"Version": 2, "0020,000d": {"a": [{"b": [None, {"c": []}]}]}}),
    "deeply nested JSON": _gzip_base64(b'{"Version": 2, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "integer beyond 64 bits": _gzip_base64(b'{"Version": 2, "0028,0010": 123456789012345678901234567890}'),
    "NaN": _gzip_base64(b'{"Version": 2, "0028,1050": NaN}'),
    "empty object": _json_4202({}),
    "JSON null": _json_4202(None),
    "gzip bomb": _gzip_base64(b"{" + b" " * 60_000_000 + b"}"),
    "non-ASCII bytes": "Zoë ☃ \x00".encode(),
    "bytes after the gzip stream": base64.b64encode(gzip.compress(b'{"Version": 2}') + b"trailing"),
}


def test_corrupt_summaries_of_every_shape_are_recomputed(orthanc: OrthancServer) -> None:
    spec = factory.StudySpec(patient_name="Corrupt^State")
    datasets = factory.ct_series(spec, len(CORRUPT_4202), size=8)
    ids = orthanc.upload_all([factory.to_bytes(ds) for ds in datasets])
    orthanc.wait_for_metadata(ids)
    for instance_id, value in zip(ids, CORRUPT_4202.values(), strict=True):
        orthanc.put_metadata(instance_id, value)
    study_id = orthanc.study_of(ids[0])
    answer = orthanc.study_json(study_id)
    assert answer.status_code == 200
    served = [item["url"].split("/")[2] for item in answer.json()["studies"][0]["series"][0]["instances"]]
    assert sorted(served) == sorted(ids)
    for (name, _), instance_id, dataset in zip(CORRUPT_4202.items(), ids, datasets, strict=True):
        stored = decode_4202(orthanc.metadata(instance_id) or b"")
        assert stored == factory.expected_ct_summary(spec, dataset), name
    assert orthanc.study_json(study_id).content == answer.content


def test_malformed_extensions_of_a_multi_frame_instance_are_recomputed(orthanc: OrthancServer) -> None:
    spec = factory.StudySpec(patient_name="Corrupt^Extensions")
    data = factory.to_bytes(factory.multiframe_instance(spec, frames=4, size=8))
    instance_id = orthanc.upload_ok(data)["ID"]
    good = decode_4202(orthanc.wait_for_metadata([instance_id])[instance_id])
    assert good is not None and good == plugin_summary(data)
    for extensions in (None, "garbage", [1, 2], {"Version": "1", "Instance": {}}, {"Version": 1, "Instance": []},
                       {"Version": 0, "Instance": {}}, {"Instance": {"NumberOfFrames": 4}}):
        broken = {key: value for key, value in good.items() if key != "Extensions"}
        if extensions is not None:
            broken["Extensions"] = extensions
        orthanc.put_metadata(instance_id, _json_4202(broken))
        answer = orthanc.study_json(orthanc.study_of(instance_id))
        assert answer.status_code == 200, extensions
        rebuilt = orthanc.wait_for_summary(instance_id, lambda value: decode_4202(value or b"") == good)
        assert decode_4202(rebuilt or b"") == good, extensions
        metadata = answer.json()["studies"][0]["series"][0]["instances"][0]["metadata"]
        assert metadata["NumberOfFrames"] == 4


# A damaged file in Orthanc's storage: an error an administrator must act on (Orthanc 1.13 refuses to read it).
@pytest.mark.orthanc_log_errors(r"OHIF plugin: Instance \S+ left out of study")
def test_a_corrupt_summary_of_a_file_that_cannot_be_summarized_is_logged_and_left_out(
    make_server: ServerFactory,
) -> None:
    """Recomputing is impossible (the stored file is damaged): logged, the rest served, never 500."""
    first = make_server("damaged", with_plugin_script=False)  # damaged before the plugin came
    spec = factory.StudySpec()
    ids = first.upload_all([factory.to_bytes(ds) for ds in factory.ct_series(spec, 2, size=8)])
    damaged = ids[1]
    first.put_metadata(damaged, CORRUPT_4202["valid gzip of invalid JSON"])
    uuid = first.get(f"/instances/{damaged}/attachments/dicom/info").json()["Uuid"]
    first.stop()
    next((first.folder / "storage").rglob(uuid)).write_bytes(b"\x00" * 200)
    server = make_server("damaged", ohif={"Preload": False})
    study_id = server.study_of(ids[0])
    for _ in range(2):
        answer = server.study_json(study_id)
        assert answer.status_code == 200
        urls = [item["url"] for item in answer.json()["studies"][0]["series"][0]["instances"]]
        assert urls == [f"dicomweb:../instances/{ids[0]}/file"]
    assert f"Instance {damaged} left out of study {study_id}" in server.log_text()
    assert server.metadata(damaged) == CORRUPT_4202["valid gzip of invalid JSON"]  # nothing written over it
