"""The ``ohif-plugin`` command-line tool, as installed, against real Orthanc servers."""

from __future__ import annotations

import http.server
import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.nginx import Nginx
from harness.orthanc_server import REPOSITORY, OrthancServer
from ohif_plugin.summaries.codec import decode_summary, encode_summary
from ohif_plugin.summaries.extensions import EXTENSIONS_KEY
from tests.conftest import ServerFactory
from tests.support import dicom_factory as factory
from tests.support.orthanc_checks import plugin_unloaded

TOOL = REPOSITORY / ".venv" / "bin" / "ohif-plugin"
WAIT = 60.0  # seconds; only reached when something is wrong


def run_tool(*arguments: str, server: OrthancServer | None = None, **options: Any) -> subprocess.CompletedProcess[str]:
    command = [str(TOOL), *arguments]
    if server is not None:
        command += ["--url", options.pop("url", server.url)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **options)


def upload_studies(server: OrthancServer, sizes: list[int]) -> list[dict[str, Any]]:
    """Studies of plain CT images; each: Orthanc ID, StudyInstanceUID, instance IDs."""
    studies = []
    for size in sizes:
        spec = factory.StudySpec()
        ids = server.upload_all([factory.to_bytes(dataset) for dataset in factory.ct_series(spec, size)])
        studies.append({"id": server.study_of(ids[0]), "uid": spec.study_uid, "instances": ids})
    return studies


def valid(server: OrthancServer, instance_id: str) -> bool:
    value = server.metadata(instance_id)
    return value is not None and decode_summary(value) is not None


def all_valid(server: OrthancServer, study: dict[str, Any]) -> bool:
    return all(valid(server, instance_id) for instance_id in study["instances"])


def none_stored(server: OrthancServer, study: dict[str, Any]) -> bool:
    return all(server.metadata(instance_id) is None for instance_id in study["instances"])


@pytest.fixture
def server(make_server: ServerFactory) -> OrthancServer:
    """Preload off, so that uploaded studies have no summary, as if stored before the plugin."""
    return make_server(ohif={"Preload": False}, configuration={"MaximumStorageCacheSize": 0})


def test_the_tool_is_installed_with_the_package() -> None:
    answer = run_tool("--version")
    assert answer.returncode == 0
    assert answer.stdout.strip().startswith("ohif-plugin ")


def test_preload_computes_every_missing_summary_then_skips_them(server: OrthancServer) -> None:
    studies = upload_studies(server, [3, 2, 4])
    assert all(none_stored(server, study) for study in studies)

    first = run_tool("preload", "--jobs", "2", server=server)
    assert first.returncode == 0, first.stderr
    assert "3 studies summaries computed, 0 skipped" in first.stdout
    assert "9 instances" in first.stdout
    assert all(all_valid(server, study) for study in studies)
    assert "3/3 studies, 9/9 instances" in first.stderr  # the progress line

    second = run_tool("preload", server=server)
    assert second.returncode == 0, second.stderr
    assert "0 studies summaries computed, 3 skipped" in second.stdout


def test_preload_resumes_where_summaries_are_missing_or_stale(server: OrthancServer) -> None:
    complete, missing_one, stale = upload_studies(server, [2, 3, 2])
    spec = factory.StudySpec()
    multiframe_id = server.upload_ok(factory.to_bytes(factory.multiframe_instance(spec, frames=4)))["ID"]
    needs_extensions: dict[str, Any] = {"id": server.study_of(multiframe_id), "instances": [multiframe_id]}
    for study in (complete, missing_one, stale, needs_extensions):
        assert server.study_json(study["id"]).status_code == 200  # computes and stores every summary
    with plugin_unloaded(server):  # changed while the plugin was not there to repair them
        server.session.delete(f"{server.url}/instances/{missing_one['instances'][1]}/metadata/4202").raise_for_status()
        server.put_metadata(stale["instances"][0], b"not base64 at all")
        # As the C++ plugin writes it: valid for a plain image, stale where extensions are needed.
        without_extensions = decode_summary(server.metadata(multiframe_id) or b"")
        assert without_extensions is not None
        without_extensions.pop(EXTENSIONS_KEY)
        server.put_metadata(multiframe_id, encode_summary(without_extensions))

    answer = run_tool("preload", server=server)
    assert answer.returncode == 0, answer.stderr
    assert "3 studies summaries computed, 1 skipped" in answer.stdout
    assert all(all_valid(server, study) for study in (complete, missing_one, stale, needs_extensions))


def test_preload_of_given_studies_by_orthanc_id_or_study_instance_uid(server: OrthancServer) -> None:
    first, second, third = upload_studies(server, [2, 2, 2])
    answer = run_tool("preload", "--study", first["id"], "--study", third["uid"], server=server)
    assert answer.returncode == 0, answer.stderr
    assert "2 studies summaries computed" in answer.stdout
    assert all_valid(server, first) and all_valid(server, third)
    assert none_stored(server, second)


def test_preload_since_a_date_takes_only_studies_changed_after_it(server: OrthancServer) -> None:
    (old,) = upload_studies(server, [2])
    last_update = server.get(f"/studies/{old['id']}").json()["LastUpdate"]  # e.g. 20261122T003451, UTC
    while server.get("/tools/now").text.strip() <= last_update:
        time.sleep(0.2)  # LastUpdate has a one-second resolution
    since = server.get("/tools/now").text.strip()
    while server.get("/tools/now").text.strip() <= since:
        time.sleep(0.2)
    (new,) = upload_studies(server, [3])

    answer = run_tool("preload", "--since", since, server=server)
    assert answer.returncode == 0, answer.stderr
    assert "1 studies summaries computed" in answer.stdout
    assert all_valid(server, new)
    assert none_stored(server, old)

    dashed = f"{since[:4]}-{since[4:6]}-{since[6:8]}"  # the day: both studies changed after its start
    answer = run_tool("preload", "--since", dashed, server=server)
    assert "1 studies summaries computed, 1 skipped" in answer.stdout
    assert all_valid(server, old)


@pytest.mark.orthanc_log_errors(
    r"OHIF plugin: Instance \S+ left out of study", r"plugin service 3000: The specified path"
)
def test_a_study_that_cannot_be_summarized_fails_the_run(server: OrthancServer) -> None:
    good, broken = upload_studies(server, [2, 3])
    # The file of one instance disappears from the storage behind Orthanc's back.
    uuid = server.get(f"/instances/{broken['instances'][1]}/attachments/dicom/info").json()["Uuid"]
    (server.folder / "storage" / uuid[:2] / uuid[2:4] / uuid).unlink()

    answer = run_tool("preload", server=server)
    assert answer.returncode == 1, answer.stdout + answer.stderr
    assert "1 studies summaries computed, 0 skipped (every summary valid), 1 failed" in answer.stdout
    assert f"failed: study {broken['id']}: 1 of 3 instances could not be summarized" in answer.stderr
    assert all_valid(server, good)


class BlockingProxy:
    """Forwards to Orthanc, but holds every ohif-dicom-json request until released."""

    def __init__(self, target: str) -> None:
        self.release = threading.Event()
        self.held = threading.Semaphore(0)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path.endswith("/ohif-dicom-json"):
                    proxy.held.release()
                    proxy.release.wait(WAIT)
                try:
                    with urllib.request.urlopen(target + self.path, timeout=WAIT) as answer:
                        body, status = answer.read(), answer.status
                except urllib.error.HTTPError as error:  # 404 for a missing summary, say
                    body, status = error.read(), error.code
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *arguments: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(server: OrthancServer) -> Iterator[BlockingProxy]:
    blocking = BlockingProxy(server.url)
    yield blocking
    blocking.close()


def test_ctrl_c_stops_cleanly_with_a_report_and_the_next_run_goes_on(
    server: OrthancServer, proxy: BlockingProxy
) -> None:
    studies = upload_studies(server, [2, 2, 2, 2])
    process = subprocess.Popen(
        [str(TOOL), "preload", "--url", proxy.url, "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # As from a terminal: a suite started in the background (`cmd &`) passes on SIGINT ignored,
        # and Python then never raises KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        for _ in range(2):  # both jobs are waiting for the server
            assert proxy.held.acquire(timeout=WAIT)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stdout + stderr
    assert "0 studies summaries computed, 0 skipped (every summary valid), 0 failed" in stdout
    assert "interrupted" in stderr
    assert "Traceback" not in stderr

    proxy.release.set()
    answer = run_tool("preload", server=server)
    assert answer.returncode == 0, answer.stderr
    assert all(all_valid(server, study) for study in studies)


def test_clear_cache_dry_run_deletes_nothing_then_clears(server: OrthancServer) -> None:
    first, second = upload_studies(server, [3, 2])
    assert run_tool("preload", server=server).returncode == 0

    server.wait_until_stored_answers_done()
    answers = [f"/studies/{study['id']}/attachments/4202" for study in (first, second)]
    assert all(server.get(answer).status_code == 200 for answer in answers)  # stored by the preload's displays

    dry = run_tool("clear-cache", "--dry-run", server=server)
    assert dry.returncode == 0, dry.stderr
    assert "5 summaries that would be deleted" in dry.stdout
    assert all_valid(server, first) and all_valid(server, second)
    assert all(server.get(answer).status_code == 200 for answer in answers)

    # Cleared as when the plugin is uninstalled: a running plugin computes deleted summaries again.
    with plugin_unloaded(server):
        only_first = run_tool("clear-cache", "--study", first["uid"], server=server)
        assert only_first.returncode == 0, only_first.stderr
        assert "3 summaries deleted" in only_first.stdout
        assert none_stored(server, first)
        assert all_valid(server, second)
        assert [server.get(answer).status_code for answer in answers] == [404, 200]

        everything = run_tool("clear-cache", server=server)
        assert "2 summaries deleted" in everything.stdout
        assert none_stored(server, second)


def test_summaries_cleared_while_the_plugin_runs_are_computed_again(server: OrthancServer) -> None:
    (study,) = upload_studies(server, [3])
    assert run_tool("preload", server=server).returncode == 0
    cleared = run_tool("clear-cache", server=server)
    assert cleared.returncode == 0, cleared.stderr
    assert "3 summaries deleted" in cleared.stdout
    deadline = time.monotonic() + 30
    while not all_valid(server, study):
        assert time.monotonic() < deadline, "the cleared summaries were not computed again"
        time.sleep(0.1)


def test_errors_are_one_clear_line_with_a_non_zero_status(make_server: ServerFactory, tmp_path: Path) -> None:
    protected = make_server(credentials=("alice", "s3cret"))
    nowhere = run_tool("preload", "--url", "http://127.0.0.1:9")
    refused = run_tool("preload", server=protected)
    wrong = run_tool("preload", "--user", "alice", "--password", "nope", server=protected)
    unknown = run_tool("preload", "--user", "alice", "--password", "s3cret",
                       "--study", "0123abcd-0123abcd-0123abcd-0123abcd-0123abcd", server=protected)
    unknown_uid = run_tool("preload", "--user", "alice", "--password", "s3cret", "--study", "1.2.3.4", server=protected)
    bad_date = run_tool("preload", "--user", "alice", "--password", "s3cret", "--since", "yesterday", server=protected)
    for answer, expected in (
        (nowhere, "error: Orthanc is unreachable at http://127.0.0.1:9"),
        (refused, "refused the credentials (401)"),
        (wrong, "refused the credentials (401)"),
        (unknown, "error: no study 0123abcd-0123abcd-0123abcd-0123abcd-0123abcd in Orthanc"),
        (unknown_uid, "error: no study with Orthanc ID or StudyInstanceUID '1.2.3.4'"),
        (bad_date, "error: --since 'yesterday' is not a date"),
    ):
        assert answer.returncode == 2, answer.stderr
        assert expected in answer.stderr
        assert len(answer.stderr.strip().splitlines()) == 1, answer.stderr


def test_credentials_from_the_command_line_or_a_netrc_file(make_server: ServerFactory, tmp_path: Path) -> None:
    protected = make_server(credentials=("alice", "s3cret"), ohif={"Preload": False})
    (study,) = upload_studies(protected, [2])
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine 127.0.0.1 login alice password s3cret\n")
    netrc_file.chmod(0o600)
    by_netrc = run_tool("clear-cache", "--dry-run", "--netrc-file", str(netrc_file), server=protected)
    assert by_netrc.returncode == 0, by_netrc.stderr
    assert "1 studies looked at" in by_netrc.stdout
    by_options = run_tool("preload", "--user", "alice", "--password", "s3cret", server=protected)
    assert by_options.returncode == 0, by_options.stderr
    assert all_valid(protected, study)


def test_preload_and_status_say_when_the_plugin_is_not_loaded(make_server: ServerFactory) -> None:
    plain = make_server(with_plugin_script=False)
    upload_studies(plain, [1])
    answer = run_tool("preload", server=plain)
    assert answer.returncode == 2
    assert "is the OHIF plugin loaded?" in answer.stderr
    status = run_tool("status", server=plain)
    assert status.returncode == 2
    assert "does not answer /ohif/api/status" in status.stderr


def test_status_prints_the_plugin_status(server: OrthancServer) -> None:
    upload_studies(server, [2])
    assert run_tool("preload", server=server).returncode == 0
    answer = run_tool("status", server=server)
    assert answer.returncode == 0, answer.stderr
    status = json.loads(answer.stdout)
    assert status["SinceStart"]["SummariesComputed"] == 2
    assert status["SinceStart"]["StudiesServed"] == 1


def test_config_prints_a_block_that_orthanc_starts_with(make_server: ServerFactory) -> None:
    answer = run_tool("config")
    assert answer.returncode == 0, answer.stderr
    block = json.loads(answer.stdout)
    script = str(REPOSITORY / "ohif_plugin" / "plugin.py")
    assert block["PythonScript"] == script
    assert block["Python"] == {"Path": script}
    assert block["OHIF"]["DataSource"] == "dicom-json"
    assert "PYTHONPATH=" + str(REPOSITORY / ".venv" / "lib") in answer.stderr

    started = make_server(configuration=block, with_plugin_script=False)
    log = started.log_text()
    assert "OHIF plugin: version" in log
    assert "unknown key" not in log
    assert "data source dicom-json, router basename /ohif/, preload on" in log
    assert started.get("/ohif/api/status").json()["DataSource"] == "dicom-json"


def test_tls_is_verified_against_a_ca_bundle_or_skipped_on_request(server: OrthancServer, tmp_path: Path) -> None:
    """HTTPS through nginx, under a prefix (Debian's Orthanc 1.10.1 crashes when it serves HTTPS itself)."""
    certificate, key = tmp_path / "certificate.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )
    (study,) = upload_studies(server, [2])
    with Nginx(tmp_path / "nginx", prefix="/pacs/", upstream=server.url, tls=(certificate, key)) as proxy:
        url = proxy.url + "/pacs"
        untrusted = run_tool("preload", "--url", url)
        assert untrusted.returncode == 2
        assert f"TLS error with {url}" in untrusted.stderr
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
        insecure = run_tool("clear-cache", "--dry-run", "--insecure", "--url", url)
        assert insecure.returncode == 0, insecure.stderr
        assert "1 studies looked at" in insecure.stdout
        trusted = run_tool("preload", "--ca-bundle", str(certificate), "--url", url)
        assert trusted.returncode == 0, trusted.stderr
    assert all_valid(server, study)


def test_with_check_revisions_clear_cache_deletes_with_each_revision(make_server: ServerFactory) -> None:
    server = make_server(ohif={"Preload": False}, configuration={"CheckRevisions": True})
    (study,) = upload_studies(server, [3])
    assert run_tool("preload", server=server).returncode == 0
    server.wait_until_stored_answers_done()
    assert all_valid(server, study)
    with plugin_unloaded(server):  # else the plugin computes them again at once
        cleared = run_tool("clear-cache", server=server)
        assert cleared.returncode == 0, cleared.stderr
        assert "3 summaries deleted" in cleared.stdout
        assert none_stored(server, study)
        assert server.get(f"/studies/{study['id']}/attachments/4202").status_code == 404
