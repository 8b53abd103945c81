"""Soak: concurrent viewers while clients ingest, watching for errors, deadlock, queue and memory.

Run on demand: ``.venv/bin/python -m bench.soak [--duration 600] [--viewers 16] [--ingesters 4]``.
Each viewer loops over "first loads" of a study: the viewer page, ``app-config.js``
and every bundle file a real first load fetches (recorded once in headless
Chromium, or read from ``index.html`` with ``--assets index``), the study JSON
and the first instance's file. Each ingester uploads new studies at
``--ingest-rate`` instances a second. A watchdog ends the run as deadlocked if
no request completes for ``--watchdog`` seconds. At the end the preload queue
must drain. The preload queue length comes from ``/ohif/api/status`` where the
plugin has it; otherwise it is estimated from which ingested instances already
have metadata 4202 (the worker takes them in order).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import json
import re
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from harness.orthanc_server import OrthancServer, new_session
from ohif_plugin.demo import samples as factory

REQUEST_TIMEOUT = 120.0


@dataclass
class Sample:
    seconds: float
    queue_length: int | None
    rss_megabytes: float | None
    completed: int


@dataclass
class SoakReport:
    duration: float
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    ingested: int = 0
    samples: list[Sample] = field(default_factory=list)
    deadlocked: bool = False
    drained: bool = False
    drain_seconds: float | None = None
    queue_source: str = ""
    asset_count: int = 0

    def rss(self) -> list[float]:
        return [sample.rss_megabytes for sample in self.samples if sample.rss_megabytes is not None]

    def summary_lines(self) -> list[str]:
        lines = [
            f"duration {self.duration:.0f} s, requests {self.requests}, errors {len(self.errors)}, "
            f"deadlock {'YES' if self.deadlocked else 'no'}, "
            f"queue drained {'yes' if self.drained else 'NO'}"
            + (f" ({self.drain_seconds:.1f} s after the end)" if self.drain_seconds is not None else ""),
            f"ingested {self.ingested} instances: {self.ingested / self.duration:.1f} instances/s",
            f"bundle files per first load: {self.asset_count}",
        ]
        for kind, values in sorted(self.latencies.items()):
            lines.append(f"latency {kind:<12} n={len(values):<6} " + " ".join(
                f"{name} {1000 * value:7.1f} ms" for name, value in percentiles(values).items()
            ))
        lines.append(f"preload queue length ({self.queue_source}) over time:")
        lines.append("  " + ", ".join(
            f"{sample.seconds:.0f}s:{sample.queue_length if sample.queue_length is not None else '?'}"
            for sample in self.samples
        ))
        rss = self.rss()
        if rss:
            lines.append(f"Orthanc RSS: start {rss[0]:.0f} MB, max {max(rss):.0f} MB, end {rss[-1]:.0f} MB")
            lines.append("  " + ", ".join(
                f"{sample.seconds:.0f}s:{sample.rss_megabytes:.0f}" for sample in self.samples
                if sample.rss_megabytes is not None
            ))
        lines.extend(f"error: {error}" for error in self.errors[:20])
        return lines


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    return {"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": ordered[-1]}


def rss_megabytes(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


def assets_from_index(server: OrthancServer) -> list[str]:
    """The scripts and style sheets named by index.html (a lower bound of a first load)."""
    index = server.get("/ohif/viewer").text
    names = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', index)
    return [f"/ohif/{name.lstrip('/')}" for name in names if "://" not in name]


def viewer_page(study_id: str) -> str:
    """The page that Orthanc Explorer's button opens for a study (dicom-json)."""
    return f"/ohif/viewer?url=../studies/{study_id}/ohif-dicom-json"


def assets_from_browser(server: OrthancServer, study_id: str) -> list[str]:
    """Every file under /ohif/ that a first load in headless Chromium fetches, in order."""
    from playwright.sync_api import sync_playwright

    from harness.chromium import CHROMIUM, CHROMIUM_FLAGS, wait_until_drawn

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(server.url + viewer_page(study_id))
        wait_until_drawn(page)
        page.wait_for_load_state("networkidle")
        names: list[str] = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
        browser.close()
    paths = [name.removeprefix(server.url).split("?")[0] for name in names]
    return list(dict.fromkeys(path for path in paths if path.startswith("/ohif/")))


class Soak:
    def __init__(self, server: OrthancServer, studies: list[str], assets: list[str]) -> None:
        self.server = server
        self.studies = studies
        """Orthanc identifiers of the studies the viewers open."""
        self.assets = assets
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.last_completion = time.monotonic()
        self.completed = 0
        self.ingested_ids: list[str] = []
        self.unsummarized: list[str] = []
        """Ingested instances not yet seen with a summary, in ingestion order (fallback queue estimate)."""

    def timed(self, session: requests.Session, kind: str, method: str, path: str, report: SoakReport,
              check: Callable[[requests.Response], str | None] | None = None, **options: Any) -> Any:
        start = time.monotonic()
        error: str | None = None
        answer = None
        try:
            answer = session.request(method, self.server.url + path, timeout=REQUEST_TIMEOUT, **options)
            if answer.status_code != 200:
                error = f"{method} {path}: {answer.status_code} {answer.text[:200]}"
            elif check is not None:
                error = check(answer)
        except requests.RequestException as exception:
            error = f"{method} {path}: {exception}"
        elapsed = time.monotonic() - start
        with self.lock:
            report.requests += 1
            report.latencies[kind].append(elapsed)
            if error is not None:
                report.errors.append(error)
            else:
                self.completed += 1
                self.last_completion = time.monotonic()
        return answer

    def viewer(self, number: int, report: SoakReport) -> None:
        session = new_session()
        session.auth = self.server.session.auth
        for round_number in itertools.count():
            if self.stopping.is_set():
                return
            study_id = self.studies[(number + round_number) % len(self.studies)]
            self.timed(session, "viewer page", "GET", viewer_page(study_id), report)
            for asset in self.assets:
                if self.stopping.is_set():
                    return
                self.timed(session, "bundle file", "GET", asset, report)
            answer = self.timed(session, "study JSON", "GET", f"/studies/{study_id}/ohif-dicom-json", report,
                                check=lambda answer: None if answer.json()["studies"] else "empty study answer")
            if answer is not None and answer.status_code == 200 and answer.json()["studies"]:
                first = answer.json()["studies"][0]["series"][0]["instances"][0]["url"].split("/")[2]
                self.timed(session, "instance", "GET", f"/instances/{first}/file", report)

    def ingester(self, number: int, report: SoakReport, rate: float) -> None:
        session = new_session()
        session.auth = self.server.session.auth
        interval = 1.0 / rate if rate > 0 else 0.0
        next_time = time.monotonic()
        for study_number in itertools.count():
            spec = factory.StudySpec(patient_name=f"Soak^Ingester{number}^{study_number}")
            for dataset in factory.ct_series(spec, 20, size=32):
                if self.stopping.is_set():
                    return
                data = factory.to_bytes(dataset)
                if interval:
                    next_time += interval
                    time.sleep(max(0.0, next_time - time.monotonic()))
                answer = self.timed(session, "upload", "POST", "/instances", report, data=data)
                if answer is not None and answer.status_code == 200:
                    with self.lock:
                        report.ingested += 1
                        self.ingested_ids.append(answer.json()["ID"])
                        self.unsummarized.append(answer.json()["ID"])

    def queue_length(self, session: requests.Session, report: SoakReport) -> int | None:
        try:
            status = session.get(f"{self.server.url}/ohif/api/status", timeout=30)
            if status.status_code == 200:
                report.queue_source = "/ohif/api/status"
                return int(status.json()["Preload"]["QueueLength"])
        except (requests.RequestException, ValueError, KeyError, TypeError):
            pass
        report.queue_source = "estimated from metadata 4202 of ingested instances"
        return self.unsummarized_count(session)

    def unsummarized_count(self, session: requests.Session) -> int:
        """Binary search for the first ingested instance without a summary (the worker goes in order)."""
        with self.lock:
            pending = list(self.unsummarized)
        low, high = 0, len(pending)
        while low < high:
            middle = (low + high) // 2
            answer = session.get(f"{self.server.url}/instances/{pending[middle]}/metadata/4202", timeout=30)
            if answer.status_code == 200:
                low = middle + 1
            else:
                high = middle
        with self.lock:
            del self.unsummarized[:low]
            return len(self.unsummarized)

    def monitor(self, report: SoakReport, start: float, interval: float, watchdog: float) -> None:
        session = new_session()
        session.auth = self.server.session.auth
        next_sample = start
        while not self.stopping.is_set():
            now = time.monotonic()
            if now - self.last_completion > watchdog:
                report.deadlocked = True
                report.errors.append(f"watchdog: no request completed for {watchdog:.0f} s")
                self.stopping.set()
                return
            if now >= next_sample:
                self.sample(session, report, start)
                next_sample += interval
            time.sleep(0.5)

    def sample(self, session: requests.Session, report: SoakReport, start: float) -> Sample:
        process = self.server.process
        sample = Sample(
            seconds=time.monotonic() - start,
            queue_length=self.queue_length(session, report),
            rss_megabytes=rss_megabytes(process.pid) if process is not None else None,
            completed=self.completed,
        )
        report.samples.append(sample)
        return sample

    def run(self, duration: float, viewers: int, ingesters: int, ingest_rate: float,
            sample_interval: float = 5.0, watchdog: float = 60.0, drain_timeout: float = 300.0) -> SoakReport:
        report = SoakReport(duration=duration, asset_count=len(self.assets))
        start = time.monotonic()
        self.last_completion = start
        threads = [threading.Thread(target=self.viewer, args=(number, report), daemon=True)
                   for number in range(viewers)]
        threads += [threading.Thread(target=self.ingester, args=(number, report, ingest_rate), daemon=True)
                    for number in range(ingesters)]
        monitor = threading.Thread(target=self.monitor, args=(report, start, sample_interval, watchdog),
                                   daemon=True)
        for thread in [*threads, monitor]:
            thread.start()
        self.stopping.wait(duration)
        self.stopping.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT + 10)
            if thread.is_alive():
                report.deadlocked = True
                report.errors.append(f"{thread.name} did not end")
        monitor.join(10)
        report.duration = time.monotonic() - start
        session = new_session()
        session.auth = self.server.session.auth
        end = time.monotonic()
        while time.monotonic() - end < drain_timeout:
            if self.sample(session, report, start).queue_length == 0:
                report.drained = True
                report.drain_seconds = time.monotonic() - end
                break
            time.sleep(1)
        return report


def prepare(server: OrthancServer, studies: int = 8, instances: int = 40) -> list[str]:
    """Studies for the viewers, uploaded before the clock starts."""
    prepared = []
    for number in range(studies):
        spec = factory.StudySpec(patient_name=f"Soak^Viewed^{number}")
        files = list(factory.study_files(spec, {"Axial": instances // 2, "Coronal": instances - instances // 2},
                                         size=64))
        ids = server.upload_all(files)
        prepared.append(server.study_of(ids[0]))
    return prepared


def soak(server: OrthancServer, *, duration: float, viewers: int = 16, ingesters: int = 4,
         ingest_rate: float = 25.0, assets: str = "browser", watchdog: float = 60.0,
         sample_interval: float = 5.0) -> SoakReport:
    studies = prepare(server)
    if assets == "browser":
        # On a thread of its own: Playwright's sync API refuses to start in a thread where
        # another Playwright (say the browser tests' session) already runs its event loop.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
            asset_list = executor.submit(assets_from_browser, server, studies[0]).result()
    else:
        asset_list = assets_from_index(server)
    return Soak(server, studies, asset_list).run(
        duration, viewers, ingesters, ingest_rate, sample_interval=sample_interval, watchdog=watchdog
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--viewers", type=int, default=16)
    parser.add_argument("--ingesters", type=int, default=4)
    parser.add_argument("--ingest-rate", type=float, default=25.0,
                        help="instances a second per ingester, 0 for as fast as possible (default 25)")
    parser.add_argument("--assets", choices=("browser", "index"), default="browser")
    parser.add_argument("--watchdog", type=float, default=60.0, help="seconds without a completed request")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--json", type=Path, help="also write the report here")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server = OrthancServer(Path(folder))
        server.start()
        try:
            report = soak(server, duration=arguments.duration, viewers=arguments.viewers,
                          ingesters=arguments.ingesters, ingest_rate=arguments.ingest_rate,
                          assets=arguments.assets, watchdog=arguments.watchdog, sample_interval=arguments.sample)
        finally:
            server.stop(timeout=60)
    for line in report.summary_lines():
        print(line)
    if arguments.json is not None:
        arguments.json.write_text(json.dumps({
            "duration": report.duration, "requests": report.requests, "errors": report.errors,
            "ingested": report.ingested, "deadlocked": report.deadlocked, "drained": report.drained,
            "latencies": {kind: percentiles(values) for kind, values in report.latencies.items()},
            "samples": [sample.__dict__ for sample in report.samples],
        }, indent=2))
    raise SystemExit(1 if report.errors or report.deadlocked or not report.drained else 0)


if __name__ == "__main__":
    main()
