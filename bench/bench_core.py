"""Ingestion and ohif-dicom-json benchmarks, side by side with plain Orthanc.

Run from the repository root (this is not a pytest test)::

    .venv/bin/python -m bench.bench_core [--instances 2000] [--runs 5] [--results-dir bench/results]

Every run starts fresh servers, each with its own empty storage: plain
Orthanc (no Python plugin), the plugin with Preload on (the default) and the
plugin with Preload off. Each receives the same pre-generated synthetic CT
study (64×64) from parallel HTTP clients; then the study's ohif-dicom-json is
fetched with every summary stored (Preload on) and with none (Preload off, the
first request computes and stores them all), next to Orthanc's own
``/studies/{id}/instances?expand``. Every figure is the median of the runs,
with min and max. ``--profile`` also samples the embedded interpreter with
py-spy during the two ohif-dicom-json cases. The run is written as a result
file (:mod:`bench.results`) and printed as Markdown.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import requests

from bench import results
from harness.orthanc_server import PYTHON_PLUGIN, RELEASE, OrthancServer, embedded_python, post_instance
from ohif_plugin import __version__ as PLUGIN_VERSION
from ohif_plugin.codings import decompress
from ohif_plugin.demo.samples import StudySpec, ct_series, to_bytes
from ohif_plugin.study_json.assembly import InstanceSummary, assemble_study
from ohif_plugin.summaries.codec import decode_summary, encode_summary
from ohif_plugin.summaries.dataset import summarize_dicom
from ohif_plugin.summaries.fast_header import fast_summary

REPOSITORY = Path(__file__).resolve().parent.parent
SUMMARY_TIMEOUT = 600.0
"""Seconds to wait for the preload worker to store every summary."""
CHROMIUM_HEADERS = {"Accept-Encoding": "gzip, deflate, br, zstd"}
"""What Chromium sends on localhost and HTTPS (urllib3 decodes zstd with the zstandard package)."""
NOT_MODIFIED_REQUESTS = 20
PER_REQUEST_SAMPLE = 300
"""Instances used for the per-request costs measured from outside."""
PYTHON_SAMPLE = 200
"""Instances used for the per-instance pure-Python costs."""


# --- What is measured ----------------------------------------------------------


@dataclass(frozen=True)
class ServerKind:
    key: str
    label: str
    plugins: tuple[Path, ...] = (PYTHON_PLUGIN,)
    with_plugin_script: bool = True
    ohif: dict[str, Any] | None = None


PLAIN = ServerKind("plain", "plain Orthanc", plugins=(), with_plugin_script=False)
PRELOAD = ServerKind("preload", "plugin, Preload on")
NO_PRELOAD = ServerKind("no_preload", "plugin, Preload off", ohif={"Preload": False})
KINDS = (PLAIN, PRELOAD, NO_PRELOAD)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    digits: int


SERVER_FIGURES = (
    Figure("ingest.plain", "Ingestion, plain Orthanc", "inst/s", 0),
    Figure("ingest.preload", "Ingestion, Preload on: upload rate", "inst/s", 0),
    Figure("ingest.preload_ratio", "  same, relative to plain (same run)", "×", 2),
    Figure("ingest.preload_summaries", "Ingestion, Preload on: rate until all summaries stored", "inst/s", 0),
    Figure("ingest.preload_summaries_ratio", "  same, relative to plain (same run)", "×", 2),
    Figure("ingest.preload_drain", "  summaries still being written after the last upload", "s", 2),
    Figure("ingest.no_preload", "Ingestion, Preload off", "inst/s", 0),
    Figure("ingest.no_preload_ratio", "  same, relative to plain (same run)", "×", 2),
    Figure("cpu.plain", "Orthanc CPU time per instance received, plain", "ms", 2),
    Figure("cpu.preload", "Orthanc CPU time per instance, Preload on, during the upload", "ms", 2),
    Figure("cpu.preload_ratio", "  same, relative to plain (same run)", "×", 2),
    Figure("cpu.preload_summaries", "Orthanc CPU time per instance, Preload on, all summaries stored", "ms", 2),
    Figure("cpu.preload_summaries_ratio", "  same, relative to plain (same run)", "×", 2),
    Figure("cpu.no_preload", "Orthanc CPU time per instance, Preload off", "ms", 2),
    Figure("cpu.no_preload_ratio", "  same, relative to plain (same run)", "×", 2),
    Figure("json.with_summaries", "ohif-dicom-json, all summaries stored (first request, as Chromium asks)", "s", 3),
    Figure("json.with_summaries_cpu", "  Orthanc CPU time for it", "s", 3),
    Figure("json.with_summaries_ratio", "  same, relative to Orthanc's /studies/{id}/instances?expand", "×", 2),
    Figure("json.identity", "  same, first request without compression (Accept-Encoding: identity)", "s", 3),
    Figure("json.gzip_client", "  same, first request from a client accepting gzip only", "s", 3),
    Figure("json.not_modified", "ohif-dicom-json, If-None-Match: 304", "ms", 1),
    Figure("json.none", "ohif-dicom-json, no summary stored (first display)", "s", 3),
    Figure("json.none_cpu", "  Orthanc CPU time for it", "s", 3),
    Figure("json.second", "ohif-dicom-json, Preload off, second request (built anew, summaries stored)", "s", 3),
    Figure("json.size", "ohif-dicom-json response size", "MB", 2),
    Figure("json.wire_size", "  as sent to Chromium (zstd, then gzip by Orthanc)", "MB", 3),
    Figure("orthanc.expand", "Orthanc GET /studies/{id}/instances?expand", "s", 3),
    Figure("orthanc.expand_size", "  its response size", "MB", 2),
    Figure("orthanc.instances", "Orthanc GET /studies/{id}/instances (what the plugin calls)", "s", 3),
    Figure("orthanc.series", "Orthanc GET /studies/{id}, then /series/{id} of each series", "s", 3),
    Figure("request.roundtrip", "One request from outside: GET /tools/now (HTTP only)", "ms", 3),
    Figure("request.metadata", "One request from outside: GET /instances/{id}/metadata?expand", "ms", 3),
    Figure("request.file", "One request from outside: GET /instances/{id}/file", "ms", 3),
    Figure("request.put_metadata", "One request from outside: PUT /instances/{id}/metadata/4202", "ms", 3),
)

PYTHON_FIGURES = (
    Figure("py.summarize_file", "summarize_dicom (pydicom) of one whole file", "ms", 3),
    Figure("py.fast_summary", "fast_summary (ohif_plugin.summaries.fast_header) of one whole file", "ms", 3),
    Figure("py.encode", "encode_summary of one summary", "ms", 3),
    Figure("py.metadata_loads", "json.loads of one metadata?expand answer", "ms", 3),
    Figure("py.decode_all", "decode_summary of every summary of the study", "s", 3),
    Figure("py.assemble_all", "assemble_study of the whole study", "s", 3),
    Figure("py.orjson_all", "orjson.dumps of the whole answer", "s", 3),
)

CPP_REFERENCE = REPOSITORY / "bench" / "results" / "cpp_plugin-bookworm-reference.json"
"""The C++ plugin's recorded figures (2 cores, SQLite, synthetic 64×64 CT, 4 clients, medians)."""


def cpp_reference() -> dict[str, dict[str, float]]:
    """The C++ plugin's medians per case (a study size, or "ingestion"), keyed as bench_core's samples."""
    if not CPP_REFERENCE.exists():
        return {}
    cases = json.loads(CPP_REFERENCE.read_text())["figures"]
    return {case: {key: found["median"] for key, found in measures.items()} for case, measures in cases.items()}


def reference_for(instances: int) -> dict[str, float]:
    """The C++ plugin's figures to set next to a run of this study size."""
    reference = cpp_reference()
    return {**reference.get("ingestion", {}), **reference.get(str(instances), {})}


Samples = dict[str, list[float]]


# --- Servers and HTTP ----------------------------------------------------------


@contextlib.contextmanager
def running(kind: ServerKind, parent: Path) -> Iterator[OrthancServer]:
    """A fresh server of this kind, with its own storage, removed afterwards.

    The disk is flushed first: otherwise the previous server's files are still being
    written back while this one ingests, which costs whichever kind comes next.
    """
    os.sync()
    folder = Path(tempfile.mkdtemp(prefix=f"{kind.key}-", dir=parent))
    server = OrthancServer(
        folder, ohif=kind.ohif, plugins=kind.plugins, with_plugin_script=kind.with_plugin_script
    )
    try:
        server.start(timeout=60)
        yield server
    except Exception:
        problems = [line for line in server.log_text().splitlines() if line[:1] in ("E", "W")]
        log(f"{kind.label} failed; its errors and warnings:\n" + "\n".join(problems[-40:]))
        log(f"the end of its log:\n{server.log_tail()}")
        raise
    finally:
        try:
            server.stop()
        except RuntimeError:
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Upload:
    started: float
    finished: float
    study_id: str
    instance_ids: list[str]
    """In the order the uploads completed."""

    @property
    def rate(self) -> float:
        return len(self.instance_ids) / (self.finished - self.started)


def upload_all(url: str, files: Sequence[bytes], clients: int) -> Upload:
    """POST every file from ``clients`` threads, each with its own connection."""
    jobs: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    for data in files:
        jobs.put(data)
    sessions = [requests.Session() for _ in range(clients)]
    for session in sessions:  # open the connections before timing
        session.get(f"{url}/system", timeout=30).raise_for_status()
    completed: list[tuple[float, str, str]] = []
    lock = threading.Lock()

    def client(session: requests.Session) -> None:
        while True:
            try:
                data = jobs.get_nowait()
            except queue.Empty:
                return
            answer = post_instance(session, url, data, timeout=120)
            if answer.status_code != 200:
                raise RuntimeError(f"upload answered {answer.status_code}: {answer.text[:500]}")
            body = answer.json()
            if body.get("Status") != "Success":
                raise RuntimeError(f"unexpected upload answer: {body}")
            with lock:
                completed.append((time.perf_counter(), body["ID"], body["ParentStudy"]))

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(client, session) for session in sessions]
    finished = time.perf_counter()
    for future in futures:
        future.result()
    for session in sessions:
        session.close()
    studies = {study for _, _, study in completed}
    if len(completed) != len(files) or len(studies) != 1:
        raise RuntimeError(f"{len(completed)} uploads into {len(studies)} studies")
    completed.sort()
    return Upload(started, finished, studies.pop(), [instance for _, instance, _ in completed])


def has_summary(session: requests.Session, url: str, instance_id: str) -> bool:
    answer = session.get(f"{url}/instances/{instance_id}/metadata/4202", timeout=30)
    if answer.status_code not in (200, 404):
        answer.raise_for_status()
    return answer.status_code == 200


def poll_summaries(session: requests.Session, url: str, instance_ids: Sequence[str], deadline: float) -> float:
    """Poll until every instance has metadata 4202; the time it was seen complete."""
    waiting = [i for i in instance_ids if not has_summary(session, url, i)]
    while waiting:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{len(waiting)} instance(s) still without metadata 4202")
        time.sleep(0.01)
        waiting = [i for i in waiting if not has_summary(session, url, i)]
    return time.perf_counter()


def wait_for_summaries(url: str, instance_ids: Sequence[str], timeout: float = SUMMARY_TIMEOUT) -> float:
    """The time at which every instance had its metadata 4202.

    The worker is first in, first out: poll the last upload until it has its
    summary (one request at a time, so as not to slow the worker down), then
    check all of them, which counts only if some were still missing.
    """
    deadline = time.perf_counter() + timeout
    with requests.Session() as session:
        done = poll_summaries(session, url, instance_ids[-1:], deadline)
        if not all(has_summary(session, url, i) for i in instance_ids):
            done = poll_summaries(session, url, instance_ids, deadline)
    return done


def timed_get(session: requests.Session, url: str, **options: Any) -> tuple[float, bytes]:
    """Seconds until the whole answer was received, and the answer with its codings undone.

    urllib3 cannot undo zstd here, so the body is read as sent and decoded
    after the clock stops, coding by coding (Orthanc's gzip last applied).
    """
    started = time.perf_counter()
    with session.get(url, timeout=600, stream=True, **options) as answer:
        raw = answer.raw.read(decode_content=False)
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
        codings = [c.strip() for c in answer.headers.get("Content-Encoding", "").split(",") if c.strip()]
    for coding in reversed(codings):
        raw = zlib.decompress(raw) if coding == "deflate" else decompress(raw, coding)
    return elapsed, raw


def wire_size(session: requests.Session, url: str, headers: dict[str, str] | None = None) -> int:
    """Bytes sent for an answer, as compressed for a client sending these headers."""
    with session.get(url, timeout=600, stream=True, headers=headers) as answer:
        answer.raise_for_status()
        return sum(len(chunk) for chunk in answer.raw.stream(65536, decode_content=False))


def per_request_ms(send: Callable[[str], requests.Response], items: Sequence[str]) -> float:
    """Mean milliseconds of one request, sent one after the other."""
    started = time.perf_counter()
    for item in items:
        send(item).raise_for_status()
    return (time.perf_counter() - started) * 1000 / len(items)


def cpu_seconds(server: OrthancServer) -> float:
    """User and system CPU time used so far by the Orthanc process (all its threads)."""
    assert server.process is not None
    stat = Path(f"/proc/{server.process.pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def megabytes(content: bytes) -> float:
    return len(content) / 1_000_000


# --- One run -------------------------------------------------------------------


@dataclass
class Environment:
    orthanc_version: str = "?"
    python_plugin_version: str = "?"
    metadata_answer: bytes = b""
    """One GET /instances/{id}/metadata?expand answer, for the pure-Python costs."""
    dicomweb_version: str | None = None
    """The DICOMweb plugin's version, where the server measured loads it."""

    def note_versions(self, server: OrthancServer) -> None:
        """The Orthanc, orthanc-python and DICOMweb versions that the result names, from the server measured."""
        self.orthanc_version = server.get("/system").json()["Version"]
        self.python_plugin_version = server.get("/plugins/python").json()["Version"]
        dicomweb = server.get("/plugins/dicom-web")
        if dicomweb.ok:
            self.dicomweb_version = dicomweb.json()["Version"]

    def record(self) -> dict[str, Any]:
        """The environment part of a result file."""
        return results.environment_record(self.orthanc_version, self.python_plugin_version, self.dicomweb_version)


def measure_preload(
    server: OrthancServer, upload: Upload, cpu_at_start: float, samples: Samples, environment: Environment
) -> None:
    done = wait_for_summaries(server.url, upload.instance_ids)
    count = len(upload.instance_ids)
    samples["ingest.preload_summaries"].append(count / (done - upload.started))
    samples["ingest.preload_drain"].append(done - upload.finished)
    samples["cpu.preload_summaries"].append((cpu_seconds(server) - cpu_at_start) * 1000 / count)

    base = f"{server.url}/studies/{upload.study_id}"
    with requests.Session() as session:
        url = f"{base}/ohif-dicom-json"
        cpu = cpu_seconds(server)
        seconds, content = timed_get(session, url, headers=CHROMIUM_HEADERS)
        samples["json.with_summaries_cpu"].append(cpu_seconds(server) - cpu)
        check_answer(content, count)
        samples["json.with_summaries"].append(seconds)
        samples["json.size"].append(megabytes(content))
        samples["json.wire_size"].append(wire_size(session, url, CHROMIUM_HEADERS) / 1_000_000)
        # Another token= is another answer (and ETag): each of these is built anew.
        seconds, _ = timed_get(session, f"{url}?token=identity", headers={"Accept-Encoding": "identity"})
        samples["json.identity"].append(seconds)
        seconds, _ = timed_get(session, f"{url}?token=gzip", headers={"Accept-Encoding": "gzip, deflate"})
        samples["json.gzip_client"].append(seconds)
        with session.get(url, headers=CHROMIUM_HEADERS, timeout=60, stream=True) as answer:
            etag = answer.headers["ETag"]
        started = time.perf_counter()
        for _ in range(NOT_MODIFIED_REQUESTS):
            answer = session.get(url, headers={**CHROMIUM_HEADERS, "If-None-Match": etag}, timeout=60)
            if answer.status_code != 304:
                raise RuntimeError(f"expected 304, got {answer.status_code}")
        samples["json.not_modified"].append((time.perf_counter() - started) * 1000 / NOT_MODIFIED_REQUESTS)
        seconds, content = timed_get(session, f"{base}/instances?expand")
        samples["orthanc.expand"].append(seconds)
        samples["json.with_summaries_ratio"].append(samples["json.with_summaries"][-1] / seconds)
        samples["orthanc.expand_size"].append(megabytes(content))
        seconds, _ = timed_get(session, f"{base}/instances")
        samples["orthanc.instances"].append(seconds)
        started = time.perf_counter()
        for series_id in session.get(base, timeout=60).json()["Series"]:
            session.get(f"{server.url}/series/{series_id}", timeout=60).raise_for_status()
        samples["orthanc.series"].append(time.perf_counter() - started)

        sample = upload.instance_ids[:PER_REQUEST_SAMPLE]
        instances = f"{server.url}/instances"
        values = {i: session.get(f"{instances}/{i}/metadata/4202", timeout=30).content for i in sample}
        requests_by_figure: dict[str, Callable[[str], requests.Response]] = {
            "request.roundtrip": lambda _: session.get(f"{server.url}/tools/now", timeout=30),
            "request.metadata": lambda i: session.get(f"{instances}/{i}/metadata?expand", timeout=30),
            "request.file": lambda i: session.get(f"{instances}/{i}/file", timeout=30),
            "request.put_metadata": (
                lambda i: session.put(f"{instances}/{i}/metadata/4202", data=values[i], timeout=30)
            ),
        }
        for key, send in requests_by_figure.items():
            samples[key].append(per_request_ms(send, sample))
        if not environment.metadata_answer:
            environment.metadata_answer = session.get(f"{instances}/{sample[0]}/metadata?expand").content


def measure_no_preload(server: OrthancServer, upload: Upload, samples: Samples) -> None:
    url = f"{server.url}/studies/{upload.study_id}/ohif-dicom-json"
    count = len(upload.instance_ids)
    with requests.Session() as session:
        if has_summary(session, server.url, upload.instance_ids[-1]):
            raise RuntimeError("Preload is off, yet an instance has a summary")
        cpu = cpu_seconds(server)
        seconds, content = timed_get(session, url, headers=CHROMIUM_HEADERS)
        samples["json.none_cpu"].append(cpu_seconds(server) - cpu)
        check_answer(content, count)
        samples["json.none"].append(seconds)
        seconds, content = timed_get(session, f"{url}?token=second", headers=CHROMIUM_HEADERS)
        check_answer(content, count)
        samples["json.second"].append(seconds)


def check_answer(content: bytes, count: int) -> None:
    answer = orjson.loads(content)
    found = answer["studies"][0]["NumInstances"] if answer["studies"] else 0
    if found != count:
        raise RuntimeError(f"ohif-dicom-json has {found} instance(s), expected {count}")


def one_run(
    run: int, files: Sequence[bytes], clients: int, workdir: Path, samples: Samples, environment: Environment
) -> None:
    """Each server kind once; the order rotates from run to run so that drift is shared."""
    order = KINDS[run % len(KINDS) :] + KINDS[: run % len(KINDS)]
    for kind in order:
        with running(kind, workdir) as server:
            cpu_at_start = cpu_seconds(server)
            upload = upload_all(server.url, files, clients)
            samples[f"ingest.{kind.key}"].append(upload.rate)
            samples[f"cpu.{kind.key}"].append((cpu_seconds(server) - cpu_at_start) * 1000 / len(files))
            log(f"  {kind.label}: {upload.rate:.0f} inst/s")
            if kind is PRELOAD:
                environment.note_versions(server)
                measure_preload(server, upload, cpu_at_start, samples, environment)
                log(f"    all summaries stored: {samples['ingest.preload_summaries'][-1]:.0f} inst/s; "
                    f"ohif-dicom-json {samples['json.with_summaries'][-1]:.3f} s")
            elif kind is NO_PRELOAD:
                measure_no_preload(server, upload, samples)
                log(f"    ohif-dicom-json without summaries {samples['json.none'][-1]:.3f} s")
    # Ratios within one run, where the machine's load was about the same.
    for key in ("preload", "no_preload", "preload_summaries"):
        samples[f"ingest.{key}_ratio"].append(samples[f"ingest.{key}"][-1] / samples["ingest.plain"][-1])
        samples[f"cpu.{key}_ratio"].append(samples[f"cpu.{key}"][-1] / samples["cpu.plain"][-1])


# --- Pure-Python costs, in this process -----------------------------------------


def fake_instance_id(index: int) -> str:
    digest = hashlib.sha1(str(index).encode()).hexdigest()
    return "-".join(digest[start : start + 8] for start in range(0, 40, 8))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def python_costs(files: Sequence[bytes], runs: int, metadata_answer: bytes, samples: Samples) -> None:
    """What the plugin's own Python code costs, measured with the same interpreter version."""
    some = files[:PYTHON_SAMPLE]
    encoded = [encode_summary(summarize_dicom(data)) for data in files]
    summaries = [InstanceSummary(fake_instance_id(i), summarize_dicom(data)) for i, data in enumerate(files)]
    metadata_text = metadata_answer.decode() or json.dumps({"4202": encoded[0].decode()})
    answer = assemble_study(summaries)
    per_item = 1000 / len(some)
    for _ in range(runs):
        samples["py.summarize_file"].append(timed(lambda: [summarize_dicom(d) for d in some]) * per_item)
        samples["py.fast_summary"].append(timed(lambda: [fast_summary(d) for d in some]) * per_item)
        samples["py.encode"].append(
            timed(lambda: [encode_summary(s.summary) for s in summaries[: len(some)]]) * per_item
        )
        samples["py.metadata_loads"].append(
            timed(lambda: [json.loads(metadata_text) for _ in some]) * per_item
        )
        samples["py.decode_all"].append(timed(lambda: [decode_summary(value) for value in encoded]))
        samples["py.assemble_all"].append(timed(lambda: assemble_study(summaries)))
        samples["py.orjson_all"].append(timed(lambda: orjson.dumps(answer)))


# --- Profile of the embedded interpreter -----------------------------------------


@dataclass
class Profile:
    title: str
    samples: int
    inclusive: list[tuple[str, int]] = field(default_factory=list)
    own: list[tuple[str, int]] = field(default_factory=list)


def find_py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def frame_name(frame: str) -> str:
    """``function (path:line)`` without the line, and paths shortened to the package."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("/ohif_plugin/", "/site-packages/", "/python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({Path(where).name if '/' in where else where})" if where else name


def summarize_profile(title: str, raw: str, top: int = 16) -> Profile:
    """Top frames of py-spy's raw (collapsed) output: inclusive and own samples.

    Samples are per thread: threads waiting (say for the GIL) count too.
    """
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        # Unresolved native frames (bare addresses) say nothing: keep the named ones.
        frames = [frame_name(frame) for frame in stack.split(";") if not frame.startswith("0x")]
        frames = frames or ["(native code without symbols)"]
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    return Profile(title, total, inclusive.most_common(top), own.most_common(top))


def start_py_spy(py_spy: str, pid: int, output: Path) -> subprocess.Popen[bytes]:
    """``py-spy record`` with native frames if it can, else without."""
    command = [py_spy, "record", "-p", str(pid), "-r", "250", "-f", "raw", "-o", str(output)]
    for extra in (["--native"], []):
        spy = subprocess.Popen(command + extra, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(2.0)  # py-spy needs a moment to attach
        if spy.poll() is None:
            return spy
        error = spy.stderr.read().decode(errors="replace") if spy.stderr else ""
        log(f"  py-spy {' '.join(extra)} exited: {error.strip()}")
    raise RuntimeError("py-spy cannot sample Orthanc")


def stop_py_spy(spy: subprocess.Popen[bytes]) -> None:
    """Interrupted, py-spy writes its output and exits."""
    spy.send_signal(signal.SIGINT)
    spy.wait(60)
    if spy.stderr:
        spy.stderr.close()


@contextlib.contextmanager
def sampled(py_spy: str, server: OrthancServer, output: Path) -> Iterator[None]:
    assert server.process is not None
    spy = start_py_spy(py_spy, server.process.pid, output)
    try:
        yield
    finally:
        stop_py_spy(spy)


def profile_plugin(py_spy: str, files: Sequence[bytes], clients: int, workdir: Path) -> list[Profile]:
    """Sample Orthanc's embedded interpreter during the two slow paths, and preloading."""
    count = len(files)
    cases = {
        "ingest": f"Preload on: uploading {count} instances until every summary is stored",
        "none": f"ohif-dicom-json with no summary stored (first display), {count} instances, 1 request",
        "stored": f"ohif-dicom-json with every summary stored, {count} instances, 5 requests built anew",
    }
    outputs = {key: workdir / f"profile-{key}.txt" for key in cases}
    with running(PRELOAD, workdir) as server, sampled(py_spy, server, outputs["ingest"]):
        upload = upload_all(server.url, files, clients)
        wait_for_summaries(server.url, upload.instance_ids)
    with running(NO_PRELOAD, workdir) as server, requests.Session() as session:
        upload = upload_all(server.url, files, clients)
        url = f"{server.url}/studies/{upload.study_id}/ohif-dicom-json"
        with sampled(py_spy, server, outputs["none"]):
            timed_get(session, url, headers=CHROMIUM_HEADERS)
        with sampled(py_spy, server, outputs["stored"]):
            for number in range(5):
                timed_get(session, f"{url}?token=profile-{number}", headers=CHROMIUM_HEADERS)
    return [
        summarize_profile(title, outputs[key].read_text() if outputs[key].exists() else "")
        for key, title in cases.items()
    ]


# --- Report ----------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine_description(environment: Environment) -> list[str]:
    host = results.machine()
    load = ", ".join(f"{value:.2f}" for value in host["load_average_end"])
    return [
        f"nproc {host['cpu_count']}, CPU {host['cpu_model']}, RAM {host['ram_gib']:.1f} GiB",
        f"Debian {RELEASE}'s Orthanc {environment.orthanc_version} (SQLite), "
        f"orthanc-python {environment.python_plugin_version} (embedded Python {embedded_python(PYTHON_PLUGIN)}), "
        f"OHIF plugin {PLUGIN_VERSION}; clients on Python {platform.python_version()}",
        f"load average at the end: {load}",
    ]


def report_header(title: str, environment: Environment, command: str | None = None) -> list[str]:
    """The lines a printed report starts with: what, how to run it again, on which machine."""
    run_again = [f"`{command}`", ""] if command else []
    return [f"## {title}", "", *run_again, *(f"- {line}" for line in machine_description(environment)), ""]


def format_number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def figure_table(figures: Sequence[Figure], samples: Samples, reference: dict[str, float]) -> list[str]:
    """A Markdown table; the reference columns only where there are references."""
    headers = ["Measure", "Unit", "Median", "Min", "Max", "C++ reference", "Median / reference"]
    columns = len(headers) if reference else 5
    lines = [
        "| " + " | ".join(headers[:columns]) + " |",
        "| " + " | ".join(["---", "---", *["---:"] * (columns - 2)]) + " |",
    ]
    for figure in figures:
        values = samples.get(figure.key)
        if not values:
            continue
        median = statistics.median(values)
        expected = reference.get(figure.key)
        cells = [
            figure.label.strip() if not figure.label.startswith(" ") else f"↳ {figure.label.strip()}",
            figure.unit,
            format_number(median, figure.digits),
            format_number(min(values), figure.digits),
            format_number(max(values), figure.digits),
            format_number(expected, figure.digits if figure.unit != "×" else 2) if expected else "",
            f"{median / expected:.2f}" if expected else "",
        ]
        lines.append("| " + " | ".join(cells[:columns]) + " |")
    return lines


def profile_lines(profile: Profile) -> list[str]:
    lines = [f"#### {profile.title}: {profile.samples} samples", "", "```"]
    lines.append("inclusive  own-time frame")
    width = max((len(str(count)) for _, count in profile.inclusive), default=1)
    own = dict(profile.own)
    for name, count in profile.inclusive:
        lines.append(f"{count / max(profile.samples, 1):6.1%}  {own.get(name, 0):>{width}}  {name}")
    lines.append("")
    lines.append("own time (leaf frames)")
    for name, count in profile.own:
        lines.append(f"{count / max(profile.samples, 1):6.1%}  {name}")
    lines += ["```", ""]
    return lines


def report_section(
    args: argparse.Namespace, samples: Samples, environment: Environment, profiles: Sequence[Profile]
) -> list[str]:
    lines = [
        *report_header(f"{args.instances} instances, {args.runs} runs, {args.clients} clients", environment),
        "### Server figures",
        "",
        *figure_table(SERVER_FIGURES, samples, reference_for(args.instances)),
        "",
        f"### Pure-Python costs (per instance, or for all {args.instances} instances)",
        "",
        *figure_table(PYTHON_FIGURES, samples, {}),
        "",
    ]
    if profiles:
        lines += [
            "### py-spy samples of Orthanc's threads that run Python",
            "",
            "Percentages of the samples of all such threads (waiting ones included, e.g. for the GIL).",
            "",
        ]
        for profile in profiles:
            lines += profile_lines(profile)
    return lines


# --- Main ------------------------------------------------------------------------


def generate_files(count: int) -> list[bytes]:
    return [to_bytes(dataset) for dataset in ct_series(StudySpec(), count)]


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_core", description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=2000, help="instances in the study (2000)")
    parser.add_argument("--runs", type=int, default=5, help="runs; each figure is their median (5)")
    parser.add_argument("--clients", type=int, default=4, help="parallel upload clients (4)")
    parser.add_argument("--profile", action="store_true",
                        help="also sample the embedded interpreter with py-spy during ohif-dicom-json")
    parser.add_argument("--workdir", type=Path, default=None, help="where servers keep their storage")
    results.add_arguments(parser)
    return parser.parse_args(argv)


def measure(
    instances: int,
    runs: int,
    clients: int,
    workdir: Path | None = None,
    py_spy: str | None = None,
    python: bool = True,
) -> tuple[Samples, Environment, list[Profile]]:
    """Every figure of one study size, from ``runs`` runs."""
    log(f"Generating {instances} instances...")
    files = generate_files(instances)
    samples: Samples = defaultdict(list)
    environment = Environment()
    with tempfile.TemporaryDirectory(prefix="ohif-bench-", dir=workdir) as folder:
        for run in range(runs):
            log(f"Run {run + 1}/{runs} ({instances} instances)")
            one_run(run, files, clients, Path(folder), samples, environment)
        if python:
            log("Pure-Python costs...")
            python_costs(files, runs, environment.metadata_answer, samples)
        profiles = []
        if py_spy is not None:
            log("Profiling with py-spy...")
            profiles = profile_plugin(py_spy, files, clients, Path(folder))
    return samples, environment, profiles


def publish(lines: Sequence[str]) -> None:
    """Print a report (its Markdown lines) for the person running the bench; the record is the result file."""
    print("\n".join(lines) + "\n", flush=True)


CORE_UNITS = {figure.key: (figure.unit, figure.label.strip()) for figure in (*SERVER_FIGURES, *PYTHON_FIGURES)}


def write_result(args: argparse.Namespace, samples: Samples, environment: Environment) -> None:
    command = (f".venv/bin/python -m bench.bench_core --instances {args.instances} --runs {args.runs} "
               f"--clients {args.clients}")
    results.write(
        args, bench="bench_core", title=f"ingestion and ohif-dicom-json, {args.instances} instances",
        command=command, parameters={"instances": args.instances, "runs": args.runs, "clients": args.clients,
                                     "storage": str(args.workdir or tempfile.gettempdir())},
        figures={str(args.instances): results.figures_of(samples, CORE_UNITS)},
        samples={str(args.instances): {key: samples[key] for key in CORE_UNITS if key in samples}},
        environment=environment.record(),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    py_spy = find_py_spy() if args.profile else None
    if args.profile and py_spy is None:
        log("--profile needs py-spy: .venv/bin/pip install py-spy")
        return 2
    samples, environment, profiles = measure(args.instances, args.runs, args.clients, args.workdir, py_spy)
    publish(report_section(args, samples, environment, profiles))
    write_result(args, samples, environment)
    return 0


if __name__ == "__main__":
    sys.exit(main())
