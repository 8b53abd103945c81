"""The README's set-up of Debian's orthanc service: its own configuration folder, run as user orthanc.

The Debian release's /etc/orthanc is copied as it ships (only the port, the
storage and the DICOM server are changed, so that the test runs beside
anything else), scripts/install_service.sh replaces python.json in the copy,
and Orthanc starts from that folder as the user orthanc. The checkout is
mounted under /opt, where the README puts it, because a test checkout may
sit in a folder that user orthanc cannot enter (/root, say): the script's own
check for that is tested too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.orthanc_server import DEBIAN_ROOT, ORTHANC, REPOSITORY, free_port
from tests.support import dicom_factory as factory

SYSTEM = DEBIAN_ROOT or Path("/")
"""The Debian whose service is set up: this machine, or the root Orthanc runs in."""


def in_system(*command: str, user: str = "root") -> list[str]:
    """A command run in that Debian as ``user``; chroot execs it, so a signal reaches it directly."""
    uid, gid = system_user(user)
    return ["chroot", f"--userspec={uid}:{gid}", str(SYSTEM), *command]


def system_user(name: str) -> tuple[int, int]:
    """uid and gid of a user of that Debian (a root has its own /etc/passwd)."""
    for line in (SYSTEM / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return int(fields[2]), int(fields[3])
    raise LookupError(f"no user {name} in {SYSTEM / 'etc/passwd'}")


@pytest.fixture
def checkout_under_opt() -> Iterator[Path]:
    """The checkout, bind-mounted at /opt/ohif-plugin-<random> of that Debian (the path Orthanc sees)."""
    seen_inside = Path("/opt") / f"ohif-plugin-{uuid.uuid4().hex[:8]}"
    mount_point = SYSTEM / seen_inside.relative_to("/")
    mount_point.mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(REPOSITORY), str(mount_point)], check=True)
    try:
        yield seen_inside
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        mount_point.rmdir()


@pytest.fixture
def service_folder() -> Iterator[Path]:
    """A folder in /tmp that user orthanc can enter (pytest's own folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="ohif-service-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def debian_configuration(folder: Path, port: int) -> Path:
    """A copy of that Debian's /etc/orthanc, owned by user orthanc, with this test's port and storage."""
    configuration = folder / "orthanc"
    shutil.copytree(SYSTEM / "etc/orthanc", configuration)
    storage = folder / "db"
    storage.mkdir()
    main = configuration / "orthanc.json"
    text = main.read_text()
    text = re.sub(r'"HttpPort"\s*:\s*\d+', f'"HttpPort" : {port}', text)
    text = re.sub(r'"DicomServerEnabled"\s*:\s*true', '"DicomServerEnabled" : false', text)
    text = re.sub(r'"(Storage|Index)Directory"\s*:\s*"[^"]*"', rf'"\1Directory" : "{storage}"', text)
    main.write_text(text)
    uid, gid = system_user("orthanc")
    for path in [storage, configuration, *configuration.iterdir()]:
        os.chown(path, uid, gid)
    return configuration


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"Orthanc exited with {process.returncode}:\n{tail}")
        try:
            if requests.get(f"{url}/system", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"Orthanc did not answer within 30 s:\n{log.read_text(errors='replace')[-3000:]}")


def test_the_debian_service_runs_the_plugin_as_user_orthanc(checkout_under_opt: Path, service_folder: Path) -> None:
    port = free_port()
    configuration = debian_configuration(service_folder, port)
    script = checkout_under_opt / "scripts/install_service.sh"
    installed = subprocess.run(
        in_system("bash", str(script), "--config-folder", str(configuration)), capture_output=True, text=True,
    )
    assert installed.returncode == 0, installed.stderr
    python_json = (configuration / "python.json").read_text()
    assert f'"PythonScript" : "{checkout_under_opt}/ohif_plugin/plugin.py"' in python_json
    assert "sample.py" in (configuration / "python.json.orig").read_text()
    assert '"DataSource" : "dicom-json"' in (configuration / "ohif.json").read_text()

    log = service_folder / "orthanc.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            in_system(ORTHANC, str(configuration), user="orthanc"), stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        instance = factory.to_bytes(factory.ct_series(factory.StudySpec(), 1)[0])
        uploaded = requests.post(f"{url}/instances", data=instance, timeout=30)
        assert uploaded.status_code == 200, uploaded.text
        study_id = requests.get(f"{url}/instances/{uploaded.json()['ID']}/study", timeout=30).json()["ID"]
        study = requests.get(f"{url}/studies/{study_id}/ohif-dicom-json", timeout=30)
        assert study.status_code == 200, study.text
        assert study.json()["studies"][0]["NumInstances"] == 1
        assert requests.get(f"{url}/ohif/viewer", timeout=30).status_code == 200
        assert "Open OHIF viewer" in requests.get(f"{url}/plugins/explorer.js", timeout=30).text
        assert json.loads(requests.get(f"{url}/plugins/python", timeout=30).text)["ID"] == "python"
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(30)
    text = log.read_text(errors="replace")
    assert "OHIF plugin: version" in text
    assert "OHIF plugin: " + "configuration error" not in text
    assert status == 0, f"Orthanc exited with {status}:\n{text[-3000:]}"


def test_install_service_says_when_user_orthanc_cannot_read_the_checkout(service_folder: Path) -> None:
    """A checkout in a folder private to root (mode 0700) is refused, with the fix, and nothing is written."""
    private = SYSTEM / f"tmp/ohif-private-{uuid.uuid4().hex[:8]}"
    private.mkdir(mode=0o700)
    try:
        link = private / "checkout"
        link.mkdir()
        subprocess.run(["mount", "--bind", str(REPOSITORY), str(link)], check=True)
        try:
            configuration = debian_configuration(service_folder, free_port())
            before = (configuration / "python.json").read_text()
            inside = Path("/") / link.relative_to(SYSTEM)
            refused = subprocess.run(
                in_system("bash", str(inside / "scripts/install_service.sh"), "--config-folder", str(configuration)),
                capture_output=True, text=True,
            )
        finally:
            subprocess.run(["umount", "-l", str(link)], check=False)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    assert refused.returncode == 1
    assert "the user orthanc cannot read" in refused.stderr
    assert "chmod o+rx" in refused.stderr
    assert (configuration / "python.json").read_text() == before
    assert not (configuration / "ohif.json").exists()
