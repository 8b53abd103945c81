"""A real Orthanc process with the plugin loaded, on a free loopback port.

Used by the test fixtures and by the benchmarks. Each server has its own
temporary storage, configuration file and log.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

REPOSITORY = Path(__file__).resolve().parent.parent
ORTHANC = "/usr/sbin/Orthanc"
PLUGINS_FOLDER = Path("/usr/lib/orthanc")
DEBIAN_ROOT = Path(os.environ["OHIF_DEBIAN_ROOT"]) if os.environ.get("OHIF_DEBIAN_ROOT") else None
"""A root made by scripts/debian_root.sh, to run that Debian's Orthanc chrooted there (the
checkout and /tmp are mounted at the same paths inside); None for this machine's Orthanc.
scripts/test.sh --orthanc RELEASE sets it."""


def debian_release(root: Path | None) -> str:
    """The code name of the Debian whose Orthanc runs, for the reports."""
    os_release = ((root or Path("/")) / "etc/os-release").read_text()
    fields = dict(line.split("=", 1) for line in os_release.splitlines() if "=" in line)
    return fields.get("VERSION_CODENAME", "").strip('"') or fields.get("PRETTY_NAME", "unknown").strip('"')


RELEASE = debian_release(DEBIAN_ROOT)


def plugin_library(stem: str) -> Path:
    """The path, as Orthanc sees it, of the one version of a plugin that this Debian ships."""
    seen_from_here = (DEBIAN_ROOT or Path("/")) / PLUGINS_FOLDER.relative_to("/")
    found = sorted(seen_from_here.glob(f"{stem}.so.*"))
    if len(found) != 1:
        raise RuntimeError(f"{RELEASE}: expected one {stem}.so.* in {seen_from_here}, found {found}")
    return PLUGINS_FOLDER / found[0].name


def orthanc_command() -> list[str]:
    return [ORTHANC] if DEBIAN_ROOT is None else ["chroot", str(DEBIAN_ROOT), ORTHANC]


def embedded_python(library: Path) -> str:
    """The Python version an orthanc-python library links to ("3.13"), read off its dependencies."""
    seen_from_here = (DEBIAN_ROOT or Path("/")) / library.relative_to("/")
    listing = subprocess.run(["ldd", str(seen_from_here)], capture_output=True, text=True, check=False).stdout
    found = re.search(r"libpython(3\.\d+)", listing)
    return found.group(1) if found else "?"


PYTHON_PLUGIN = plugin_library("libOrthancPython")
DICOMWEB_PLUGIN = plugin_library("libOrthancDicomWeb")
PLUGIN_SCRIPT = REPOSITORY / "ohif_plugin" / "plugin.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_session() -> requests.Session:
    """A session that retries a request the server's 1 s keep-alive cut off.

    Orthanc 1.10 closes idle connections after one second; a request sent on
    such a connection at that moment fails without an answer. Every request
    of the tests is idempotent for Orthanc (storing an instance twice too).
    """
    session = requests.Session()
    retry = Retry(total=3, connect=3, read=3, status=0, allowed_methods=None, raise_on_status=False)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


STORAGE_RACE = 2001
"""Orthanc's FileStorageCannotWrite. In Orthanc 1.10.1 two uploads that create the same
storage subdirectory at the same moment can fail one of them with it (later Orthanc
versions retry internally). Seen twice in about 900,000 uploads from 4 clients to fresh
storage (benchmarks of 2026-11-22). A sender retries, as a modality would; the plugin,
which writes metadata and never files, has no part in it."""


def post_instance(session: requests.Session, url: str, data: bytes, timeout: float = 60) -> requests.Response:
    """POST one DICOM file to ``url``/instances, retrying Orthanc's storage race only."""
    for attempt in range(3):
        answer = session.post(f"{url}/instances", data=data, timeout=timeout)
        if answer.status_code != 500 or _orthanc_status(answer) != STORAGE_RACE:
            break
        time.sleep(0.01 * (attempt + 1))
    return answer


def _orthanc_status(answer: requests.Response) -> int | None:
    try:
        status = answer.json().get("OrthancStatus")
    except ValueError:
        return None
    return status if isinstance(status, int) else None


class OrthancServer:
    """Start with :meth:`start`, stop with :meth:`stop` (or use as a context manager)."""

    created: ClassVar[list[OrthancServer]] = []
    """Every server made in this process, so that the tests can read every log."""

    def __init__(
        self,
        folder: Path,
        *,
        ohif: dict[str, Any] | None = None,
        configuration: dict[str, Any] | None = None,
        plugins: Iterable[Path] = (PYTHON_PLUGIN,),
        with_plugin_script: bool = True,
        plugin_script: Path = PLUGIN_SCRIPT,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        OrthancServer.created.append(self)
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "orthanc.log"
        self.config_path = folder / "orthanc.json"
        self.credentials = credentials
        config: dict[str, Any] = {
            "Name": f"test-{self.port}",
            "HttpPort": self.port,
            "DicomServerEnabled": False,
            "StorageDirectory": str(folder / "storage"),
            "IndexDirectory": str(folder / "storage"),
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "Plugins": [str(plugin) for plugin in plugins],
        }
        if with_plugin_script:
            config["PythonScript"] = str(plugin_script)
        if ohif is not None:
            config["OHIF"] = ohif
        if credentials is not None:
            config["AuthenticationEnabled"] = True
            config["RegisteredUsers"] = {credentials[0]: credentials[1]}
        config.update(configuration or {})
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None
        self.session = new_session()
        if credentials is not None:
            self.session.auth = credentials

    # --- life cycle ---------------------------------------------------------

    def start(self, timeout: float = 30.0) -> OrthancServer:
        self.config_path.write_text(json.dumps(self.config, indent=2))
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*orthanc_command(), "--verbose", str(self.config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                probe = requests.get(f"{self.url}/system", timeout=1, auth=self.session.auth)
                if probe.status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"Orthanc did not answer within {timeout} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> int:
        """Stop as an administrator would (SIGTERM); returns the exit status."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise RuntimeError(f"Orthanc did not stop within {timeout} s:\n{self.log_tail()}") from None
        status = self.process.returncode
        self.process = None
        return status

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> OrthancServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- helpers ------------------------------------------------------------

    def log_text(self, since: int = 0) -> str:
        """Orthanc's log, from byte ``since`` on (a :meth:`log_size` read earlier)."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(since)
            return log.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def get(self, path: str, **options: Any) -> requests.Response:
        return self.session.get(self.url + path, timeout=options.pop("timeout", 60), **options)

    def upload(self, data: bytes) -> requests.Response:
        return post_instance(self.session, self.url, data)

    def upload_ok(self, data: bytes) -> dict[str, Any]:
        answer = self.upload(data)
        answer.raise_for_status()
        return dict(answer.json())

    def upload_all(self, files: Iterable[bytes]) -> list[str]:
        """Upload files; returns their Orthanc identifiers, in order."""
        return [str(self.upload_ok(data)["ID"]) for data in files]

    def study_of(self, instance_id: str) -> str:
        """The Orthanc identifier of an instance's study."""
        return str(self.get(f"/instances/{instance_id}/study").json()["ID"])

    def metadata(self, instance_id: str) -> bytes | None:
        answer = self.get(f"/instances/{instance_id}/metadata/4202")
        return answer.content if answer.status_code == 200 else None

    def put_metadata(self, instance_id: str, value: bytes) -> None:
        answer = self.session.put(f"{self.url}/instances/{instance_id}/metadata/4202", data=value, timeout=30)
        answer.raise_for_status()

    def wait_for_summary(
        self, instance_id: str, condition: Callable[[bytes | None], bool], timeout: float = 30.0
    ) -> bytes | None:
        """Metadata 4202 of an instance once ``condition`` holds for it (a display that sent the stored
        answer rebuilds a damaged summary in the background); the last value read after ``timeout``."""
        deadline = time.monotonic() + timeout
        value = self.metadata(instance_id)
        while not condition(value) and time.monotonic() < deadline:
            time.sleep(0.05)
            value = self.metadata(instance_id)
        return value

    def wait_until_stored_answers_done(self, timeout: float = 30.0) -> None:
        """Until the plugin has stored or checked every study answer it was asked to."""
        deadline = time.monotonic() + timeout
        while self.get("/ohif/api/status").json()["StoredAnswers"]["QueueLength"]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"stored answers still pending after {timeout} s")
            time.sleep(0.05)

    def wait_for_metadata(self, instance_ids: Iterable[str], timeout: float = 60.0) -> dict[str, bytes]:
        """Wait until every instance has metadata 4202 (written by the preload worker)."""
        waiting = list(instance_ids)
        found: dict[str, bytes] = {}
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            still = []
            for instance_id in waiting:
                value = self.metadata(instance_id)
                if value is None:
                    still.append(instance_id)
                else:
                    found[instance_id] = value
            waiting = still
            if waiting:
                time.sleep(0.1)
        if waiting:
            raise TimeoutError(f"{len(waiting)} instance(s) still without metadata 4202")
        return found

    def study_json(self, study_id: str) -> requests.Response:
        return self.get(f"/studies/{study_id}/ohif-dicom-json")
