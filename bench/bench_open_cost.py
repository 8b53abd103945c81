"""What an open costs the server: ohif-dicom-json next to OHIF's DICOMweb requests, in one Orthanc.

Run from the repository root (not a pytest test), once per Debian release::

    [OHIF_DEBIAN_ROOT=/var/cache/ohif-plugin/debian-roots/trixie] \\
        .venv/bin/python -m bench.bench_open_cost [--studies 50] [--sizes 500,2000] [--results-dir bench/results]

One Orthanc (SQLite, Preload on, ``StableAge`` 2 s) receives ``--studies`` distinct studies of each size in
``--sizes`` (64x64 CT, one series each); every summary and every study's answer (its attachment 4202) is
stored. That Orthanc is then restarted on the same storage, its SQLite index analysed first
(:func:`bench.open_cost_studies.analyze_index`), with the DICOMweb plugin loaded and enabled, which is
measured: DICOMweb's metadata cache is filled for each study where the DICOMweb plugin has one (1.15 and
later; without it the DICOMweb path is measured uncached, and the result says so), and every study is opened
once both ways. Loading without DICOMweb saves time, not work that is measured: DICOMweb with a metadata
cache computes a series' metadata on Orthanc's change thread when it becomes stable, and with studies
arriving one after another that holds the plugin's preload back many times over. The loaded storage can be
kept and copied by the next release's run (``--loaded-storage``, :mod:`bench.open_cost_studies`).

Then, for each size and for each path (ohif-dicom-json: ``GET /studies/{id}/ohif-dicom-json``; DICOMweb:
a QIDO study query, a QIDO series query, then ``/series/{uid}/metadata`` per series, as OHIF asks), both
with ``Accept-Encoding: gzip, deflate, br``, answers read as sent (not decoded), in the same Orthanc:

1. spaced opens: ``--spaced-opens`` distinct studies opened one at a time, ``--spacing`` seconds apart,
   each from a new connection (a new user). Orthanc's CPU time (user + system of the whole process, from
   /proc, so the plugin's background threads count) is read just before each open and just before the
   next (after the last, once ``--spacing`` has passed), so each open's delta holds the background work it
   started. Orthanc's idle CPU rate, measured first, is taken off ("net"); the raw figure is kept too;
2. throughput: ``--clients`` concurrent clients (threads, each with its own connection), each opening a
   random study of that size for ``--duration`` seconds: opens per second, p50 and p95 latency, and
   Orthanc's CPU time per open over the run (net of idle);
3. assemblies: the plugin's ``SinceStart.StudiesAssembled`` before and after each ohif-dicom-json case
   (an unchanged study's open must add none), and ``StoredAnswersServed``.

Last, memory: Orthanc's VmRSS after the first ``--memory-first`` and after ``--memory-opens``
ohif-dicom-json opens by ``--memory-clients`` clients, random studies among all of them.

Progress goes to stderr; the result file is written through :mod:`bench.results` and a Markdown
summary is printed.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench import results as result_files
from bench.bench_core import (
    Environment,
    check_answer,
    cpu_seconds,
    log,
    publish,
    report_header,
    timed_get,
)
from bench.bench_dicomweb import HEADERS, fill_dicomweb_cache
from bench.open_cost_studies import analyze_index, copy_kept_storage, keep_storage, load_into, running, status
from bench.quiet import measuring_alone
from harness.orthanc_server import DICOMWEB_PLUGIN, PYTHON_PLUGIN, OrthancServer, new_session

BENCH = "bench_open_cost"
PATHS = {"json": "ohif-dicom-json", "dicomweb": "DICOMweb"}
TARGETS = {
    "cpu": ("≤", 0.25), "latency": ("≤", 0.2), "rate": ("≥", 3.0), "p95": ("≤", 0.5),
    "assembled": ("=", 0.0), "growth": ("≤", 50.0),
}
"""The issue's targets, for the docs' table; not asserted."""


@dataclass(frozen=True)
class Study:
    id: str
    uid: str
    series_uids: tuple[str, ...]
    instances: int


Opener = Callable[[requests.Session, OrthancServer, Study], None]


# --- Reading Orthanc ---------------------------------------------------------------------------------


def rss_megabytes(server: OrthancServer) -> float:
    """Orthanc's resident memory (VmRSS), the process that :func:`cpu_seconds` reads (also chrooted)."""
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/<pid>/status")


def counters(server: OrthancServer) -> tuple[int, int]:
    """StudiesAssembled and StoredAnswersServed since Orthanc started."""
    since = status(server)["SinceStart"]
    return int(since["StudiesAssembled"]), int(since["StoredAnswersServed"])


# --- The two ways to open a study ---------------------------------------------------------------------


def read_as_sent(session: requests.Session, url: str) -> int:
    """GET with the browser's Accept-Encoding; the body read to its last byte, not decoded. Its size."""
    with session.get(url, headers=HEADERS, timeout=600, stream=True) as answer:
        answer.raise_for_status()
        return len(answer.raw.read(decode_content=False))


def open_json(session: requests.Session, server: OrthancServer, study: Study) -> None:
    read_as_sent(session, f"{server.url}/studies/{study.id}/ohif-dicom-json")


def open_dicomweb(session: requests.Session, server: OrthancServer, study: Study) -> None:
    """OHIF's requests; the series UIDs its QIDO series answer holds are known beforehand."""
    base = f"{server.url}/dicom-web/studies"
    read_as_sent(session, f"{base}?StudyInstanceUID={study.uid}")
    read_as_sent(session, f"{base}/{study.uid}/series")
    for series_uid in study.series_uids:
        read_as_sent(session, f"{base}/{study.uid}/series/{series_uid}/metadata")


OPENERS: dict[str, Opener] = {"json": open_json, "dicomweb": open_dicomweb}


# --- Preparing the studies ------------------------------------------------------------------------------


def describe_study(server: OrthancServer, study_id: str, instances: int) -> Study:
    study = server.get(f"/studies/{study_id}").json()
    series_uids = tuple(server.get(f"/series/{series}").json()["MainDicomTags"]["SeriesInstanceUID"]
                        for series in study["Series"])
    return Study(study_id, study["MainDicomTags"]["StudyInstanceUID"], series_uids, instances)


def prepare(server: OrthancServer, loaded: dict[int, list[str]]) -> tuple[dict[int, list[Study]], bool]:
    """DICOMweb's cache filled where it has one, every study opened once both ways."""
    studies = {size: [describe_study(server, study_id, size) for study_id in ids] for size, ids in loaded.items()}
    every = [study for found in studies.values() for study in found]
    log("Filling DICOMweb's metadata cache")
    cached = fill_dicomweb_cache(server, every[0].id)
    if cached:
        for index, study in enumerate(every[1:], start=2):
            fill_dicomweb_cache(server, study.id)
            if index % 20 == 0:
                log(f"  {index}/{len(every)} studies")
    else:
        log("  this DICOMweb has no metadata cache: its path is measured uncached")
    log(f"Opening every study once both ways ({len(every)} studies)")
    with requests.Session() as session:
        for study in every:
            _, content = timed_get(session, f"{server.url}/studies/{study.id}/ohif-dicom-json", headers=HEADERS)
            check_answer(content, study.instances)
            open_dicomweb(session, server, study)
    server.wait_until_stored_answers_done(timeout=120)
    return studies, cached


# --- Measuring ------------------------------------------------------------------------------------------


@dataclass
class Spaced:
    latencies: list[float]
    """Seconds per open."""
    deltas: list[float]
    """Orthanc CPU seconds from just before each open to just before the next."""
    windows: list[float]
    """Wall seconds of those same intervals."""
    assembled: int
    served: int


@dataclass
class Loaded:
    latencies: list[float]
    elapsed: float
    cpu: float
    """Orthanc CPU seconds over the run and its settle time."""
    window: float
    """Wall seconds over which ``cpu`` was read."""
    client_cpu: float
    assembled: int
    served: int

    @property
    def opens(self) -> int:
        return len(self.latencies)


def idle_rate(server: OrthancServer, seconds: float) -> float:
    """Orthanc's CPU seconds per second while nothing is asked of it."""
    cpu, started = cpu_seconds(server), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(server) - cpu) / (time.monotonic() - started)


def spaced_opens(server: OrthancServer, opener: Opener, studies: Sequence[Study], opens: int,
                 spacing: float) -> Spaced:
    assembled, served = counters(server)
    latencies, deltas, windows = [], [], []
    cpu, mark = cpu_seconds(server), time.monotonic()
    for index in range(opens):
        with new_session() as session:  # a new user: a new connection
            started = time.perf_counter()
            opener(session, server, studies[index % len(studies)])
            latencies.append(time.perf_counter() - started)
        time.sleep(max(0.0, mark + spacing - time.monotonic()))
        now_cpu, now = cpu_seconds(server), time.monotonic()
        deltas.append(now_cpu - cpu)
        windows.append(now - mark)
        cpu, mark = now_cpu, now
    assembled_after, served_after = counters(server)
    return Spaced(latencies, deltas, windows, assembled_after - assembled, served_after - served)


def concurrent_opens(server: OrthancServer, opener: Opener, studies: Sequence[Study], clients: int, *,
                     duration: float | None = None, opens: int | None = None, settle: float = 0.0,
                     seed: int = 0, progress: int = 0) -> Loaded:
    """``clients`` threads opening random studies, for ``duration`` seconds or ``opens`` opens in all."""
    sessions = [new_session() for _ in range(clients)]
    for session in sessions:  # the connections opened before the clock starts
        session.get(f"{server.url}/system", timeout=30).raise_for_status()
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    state = {"started": 0}
    stop_at = [float("inf")]

    def client(number: int, session: requests.Session) -> None:
        chooser = random.Random(seed * 1000 + number)
        barrier.wait()
        while time.monotonic() < stop_at[0]:
            with lock:
                if opens is not None and state["started"] >= opens:
                    return
                state["started"] += 1
                started_count = state["started"]
            started = time.perf_counter()
            opener(session, server, chooser.choice(studies))
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
            if progress and started_count % progress == 0:
                log(f"    {started_count:,} opens started")

    assembled, served = counters(server)
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(client, number, session) for number, session in enumerate(sessions)]
        cpu, client_cpu = cpu_seconds(server), time.process_time()
        began = time.monotonic()
        if duration is not None:
            stop_at[0] = began + duration
        barrier.wait()
        for future in futures:
            future.result()
        elapsed = time.monotonic() - began
    time.sleep(settle)
    cpu_after, window = cpu_seconds(server), time.monotonic() - began
    client_cpu = time.process_time() - client_cpu
    assembled_after, served_after = counters(server)
    for session in sessions:
        session.close()
    return Loaded(latencies, elapsed, cpu_after - cpu, window, client_cpu, assembled_after - assembled,
                  served_after - served)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


# --- Figures --------------------------------------------------------------------------------------------


def single(value: float | None, unit: str, label: str, n: int | None = None) -> result_files.Figure:
    return {"label": label, "unit": unit, "median": value, "min": None, "max": None, "n": n}


def spaced_figures(path: str, found: Spaced, idle: float) -> tuple[dict[str, Any], dict[str, list[float]]]:
    name = PATHS[path]
    opens = len(found.latencies)
    raw = sum(found.deltas) * 1000 / opens
    net_deltas = [(delta - idle * window) * 1000 for delta, window in zip(found.deltas, found.windows, strict=True)]
    samples = {f"spaced.{path}.latency": [value * 1000 for value in found.latencies],
               f"spaced.{path}.cpu_open": net_deltas,
               f"spaced.{path}.cpu_raw_open": [delta * 1000 for delta in found.deltas]}
    figures = {
        f"spaced.{path}.cpu": single(sum(net_deltas) / opens, "ms",
                                     f"Orthanc CPU per spaced open, {name} (net of idle)", opens),
        f"spaced.{path}.cpu_raw": single(raw, "ms", f"Orthanc CPU per spaced open, {name}, idle included", opens),
        f"spaced.{path}.cpu_open": result_files.figure(net_deltas, "ms", f"Orthanc CPU of each spaced open, {name} "
                                                       "(net of idle; /proc ticks)"),
        f"spaced.{path}.latency": result_files.figure(samples[f"spaced.{path}.latency"], "ms",
                                                      f"spaced-open latency, {name}"),
    }
    if path == "json":
        figures["spaced.json.assembled"] = single(found.assembled, "", "studies assembled during spaced opens", opens)
        figures["spaced.json.served"] = single(found.served, "", "stored answers served during spaced opens", opens)
    return figures, samples


def loaded_figures(path: str, clients: int, found: Loaded, idle: float) -> tuple[dict[str, Any], list[float]]:
    name, key = PATHS[path], f"c{clients}.{path}"
    latencies = [value * 1000 for value in found.latencies]
    opens = found.opens
    figures = {
        f"{key}.rate": single(opens / found.elapsed, "opens/s", f"opens per second, {clients} clients, {name}",
                              opens),
        f"{key}.p50": single(statistics.median(latencies), "ms", f"p50 latency, {clients} clients, {name}", opens),
        f"{key}.p95": single(percentile(latencies, 0.95), "ms", f"p95 latency, {clients} clients, {name}", opens),
        f"{key}.cpu": single((found.cpu - idle * found.window) * 1000 / opens, "ms",
                             f"Orthanc CPU per open, {clients} clients, {name} (net of idle)", opens),
        f"{key}.client_cpu": single(found.client_cpu * 1000 / opens, "ms",
                                    f"the benchmark client's own CPU per open, {clients} clients, {name}", opens),
    }
    if path == "json":
        figures[f"{key}.assembled"] = single(found.assembled, "", f"studies assembled, {clients} clients", opens)
        figures[f"{key}.served"] = single(found.served, "", f"stored answers served, {clients} clients", opens)
    return figures, latencies


def ratio(figures: dict[str, Any], key: str, label: str, ours: str, theirs: str) -> None:
    mine, other = figures.get(ours, {}).get("median"), figures.get(theirs, {}).get("median")
    value = mine / other if mine is not None and other else None
    figures[key] = single(value, "×", label)


def add_ratios(figures: dict[str, Any], clients: Sequence[int]) -> None:
    ratio(figures, "ratio.cpu", "Orthanc CPU per spaced open, ohif-dicom-json / DICOMweb",
          "spaced.json.cpu", "spaced.dicomweb.cpu")
    ratio(figures, "ratio.latency", "spaced-open latency, ohif-dicom-json / DICOMweb",
          "spaced.json.latency", "spaced.dicomweb.latency")
    for count in clients:
        ratio(figures, f"ratio.rate_c{count}", f"opens per second, {count} clients, ohif-dicom-json / DICOMweb",
              f"c{count}.json.rate", f"c{count}.dicomweb.rate")
        ratio(figures, f"ratio.p95_c{count}", f"p95 latency, {count} clients, ohif-dicom-json / DICOMweb",
              f"c{count}.json.p95", f"c{count}.dicomweb.p95")


# --- One run --------------------------------------------------------------------------------------------


def measure_size(server: OrthancServer, size: int, studies: Sequence[Study], args: argparse.Namespace,
                 idle: float) -> tuple[dict[str, Any], dict[str, list[float]]]:
    figures: dict[str, Any] = {}
    samples: dict[str, list[float]] = {}
    for path in PATHS:
        log(f"{size} instances, {PATHS[path]}: {args.spaced_opens} spaced opens, {args.spacing} s apart "
            f"(about {args.spaced_opens * args.spacing:.0f} s)")
        found = spaced_opens(server, OPENERS[path], studies, args.spaced_opens, args.spacing)
        more, raw = spaced_figures(path, found, idle)
        figures.update(more)
        samples.update(raw)
        log(f"  CPU {more[f'spaced.{path}.cpu']['median']:.1f} ms per open (net), "
            f"latency {more[f'spaced.{path}.latency']['median']:.1f} ms")
    for clients in args.clients:
        for path in PATHS:
            log(f"{size} instances, {PATHS[path]}: {clients} clients for {args.duration:.0f} s")
            loaded = concurrent_opens(server, OPENERS[path], studies, clients, duration=args.duration,
                                      settle=args.spacing, seed=size + clients)
            more, latencies = loaded_figures(path, clients, loaded, idle)
            figures.update(more)
            samples[f"c{clients}.{path}.latency"] = [round(value, 2) for value in latencies]
            log(f"  {more[f'c{clients}.{path}.rate']['median']:.1f} opens/s, "
                f"p95 {more[f'c{clients}.{path}.p95']['median']:.1f} ms, "
                f"CPU {more[f'c{clients}.{path}.cpu']['median']:.1f} ms per open")
    add_ratios(figures, args.clients)
    return figures, samples


def measure_memory(server: OrthancServer, studies: Sequence[Study], args: argparse.Namespace) -> dict[str, Any]:
    first = min(args.memory_first, args.memory_opens)
    log(f"Memory: {args.memory_opens:,} ohif-dicom-json opens, {args.memory_clients} clients, "
        f"{len(studies)} studies")
    before = rss_megabytes(server)
    found = concurrent_opens(server, open_json, studies, args.memory_clients, opens=first, seed=1,
                             progress=1000)
    after_first = rss_megabytes(server)
    log(f"  VmRSS {after_first:.1f} MB after {first:,} opens")
    rest = concurrent_opens(server, open_json, studies, args.memory_clients, opens=args.memory_opens - first,
                            seed=2, progress=1000) if args.memory_opens > first else None
    after_all = rss_megabytes(server)
    log(f"  VmRSS {after_all:.1f} MB after {args.memory_opens:,} opens")
    assembled = found.assembled + (rest.assembled if rest else 0)
    return {
        "rss_before": single(before, "MB", "Orthanc VmRSS before the memory run"),
        "rss_first": single(after_first, "MB", f"Orthanc VmRSS after {first:,} ohif-dicom-json opens", first),
        "rss_last": single(after_all, "MB", f"Orthanc VmRSS after {args.memory_opens:,} ohif-dicom-json opens",
                           args.memory_opens),
        "growth": single(after_all - after_first, "MB", f"VmRSS growth from {first:,} to "
                         f"{args.memory_opens:,} opens", args.memory_opens),
        "assembled": single(assembled, "", "studies assembled during the memory run", args.memory_opens),
    }


def run(args: argparse.Namespace, folder: Path) -> tuple[result_files.Cases, dict[str, dict[str, list[float]]],
                                                          Environment, bool, str | None]:
    """The figures, their samples, the environment, whether DICOMweb had a cache, and which other Orthanc
    loaded the studies when a kept storage was copied."""
    copied = copy_kept_storage(args, folder)
    if copied is None:
        loaded, loaded_by = load_into(folder, args)
        keep_storage(args, folder, loaded, loaded_by)
        loaded_elsewhere = None
    else:
        loaded, loaded_elsewhere = copied
    analyze_index(folder)
    log("Starting Orthanc on that storage, with the DICOMweb plugin")
    with running(OrthancServer(folder, plugins=(PYTHON_PLUGIN, DICOMWEB_PLUGIN),
                               configuration={"DicomWeb": {"Enable": True}, "StableAge": args.stable_age}),
                 timeout=600) as server:
        environment = Environment()
        environment.note_versions(server)
        if loaded_elsewhere == environment.orthanc_version:
            loaded_elsewhere = None
        studies, cached = prepare(server, loaded)
        with measuring_alone(server, args.measure_lock) as elsewhere:
            log(f"Idle CPU over {args.idle:.0f} s")
            idle = idle_rate(server, args.idle)
            log(f"  {idle * 1000:.1f} ms per second")
            figures: result_files.Cases = {"idle": {"cpu": single(idle * 1000, "ms/s", "Orthanc CPU while idle")}}
            samples: dict[str, dict[str, list[float]]] = {}
            for size in args.sizes:
                figures[str(size)], samples[str(size)] = measure_size(server, size, studies[size], args, idle)
            every = [study for found in studies.values() for study in found]
            figures["memory"] = measure_memory(server, every, args)
        figures["idle"]["elsewhere"] = single(elsewhere.cores, "cores", "the rest of the machine while measuring")
    return figures, samples, environment, cached, loaded_elsewhere


# --- Report and result ------------------------------------------------------------------------------------


def text(found: dict[str, Any] | None, digits: int = 1) -> str:
    if not found or found.get("median") is None:
        return "–"
    unit = found.get("unit") or ""
    value = f"{found['median']:,.{2 if unit == '×' else digits}f}"
    return value + ("×" if unit == "×" else f" {unit}" if unit else "")


def report(args: argparse.Namespace, figures: result_files.Cases, environment: Environment,
           cached: bool) -> list[str]:
    cache = "its metadata cache filled" if cached else "no metadata cache (measured uncached)"
    lines = report_header(f"What an open costs the server, Debian {environment.record()['debian_release']}",
                          environment, command_line(args))
    lines += [f"DICOMweb {environment.dicomweb_version}: {cache}. Orthanc idle: "
              f"{text(figures['idle']['cpu'])}. CPU figures are net of idle.", ""]
    rows = [("Orthanc CPU per spaced open", "spaced.{}.cpu", "ratio.cpu"),
            ("spaced-open latency (median)", "spaced.{}.latency", "ratio.latency")]
    for clients in args.clients:
        rows += [(f"opens/s, {clients} clients", f"c{clients}.{{}}.rate", f"ratio.rate_c{clients}"),
                 (f"p50, {clients} clients", f"c{clients}.{{}}.p50", ""),
                 (f"p95, {clients} clients", f"c{clients}.{{}}.p95", f"ratio.p95_c{clients}"),
                 (f"Orthanc CPU per open, {clients} clients", f"c{clients}.{{}}.cpu", "")]
    sizes = [str(size) for size in args.sizes]
    lines += ["| measure | " + " | ".join(f"{size}: ohif-dicom-json | {size}: DICOMweb | {size}: ratio"
                                           for size in sizes) + " |",
              "|---|" + "---:|" * (3 * len(sizes))]
    for label, key, ratio_key in rows:
        cells = []
        for size in sizes:
            case = figures[size]
            cells += [text(case.get(key.format("json"))), text(case.get(key.format("dicomweb"))),
                      text(case.get(ratio_key)) if ratio_key else ""]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    assembled = ", ".join(f"{size}: {text(figures[size].get(key), 0)}" for size in sizes
                          for key in ("spaced.json.assembled", *(f"c{n}.json.assembled" for n in args.clients)))
    memory = figures["memory"]
    lines += ["", f"Studies assembled during the ohif-dicom-json cases (spaced, then each client count): "
              f"{assembled}.", "",
              f"Memory: VmRSS {text(memory['rss_first'])} after {memory['rss_first']['n']:,} opens, "
              f"{text(memory['rss_last'])} after {memory['rss_last']['n']:,}: growth {text(memory['growth'])}; "
              f"studies assembled {text(memory['assembled'], 0)}.", ""]
    return lines


def command_line(args: argparse.Namespace) -> str:
    return (f".venv/bin/python -m bench.{BENCH} --studies {args.studies} "
            f"--sizes {','.join(map(str, args.sizes))} --spaced-opens {args.spaced_opens} "
            f"--spacing {args.spacing:g} --duration {args.duration:g} --clients {','.join(map(str, args.clients))} "
            f"--memory-opens {args.memory_opens} --memory-first {args.memory_first} "
            f"--memory-clients {args.memory_clients}")


def write_result(args: argparse.Namespace, figures: result_files.Cases,
                 samples: dict[str, dict[str, list[float]]], environment: Environment, cached: bool,
                 loaded_by: str | None) -> None:
    record = {**environment.record(), "dicomweb_cache": cached}
    notes = [] if cached else [f"DICOMweb {environment.dicomweb_version} has no metadata cache (1.15 and later "
                               "have one): its path is measured uncached."]
    notes.append("Orthanc's SQLite index was analysed (ANALYZE) before the measured Orthanc started.")
    if loaded_by is not None:
        notes.append(f"The studies were loaded by Orthanc {loaded_by} (a kept storage, --loaded-storage) and "
                     f"opened by Orthanc {environment.orthanc_version}, which measured them.")
    result_files.write(
        args, bench=BENCH, title="What an open costs the server: ohif-dicom-json vs DICOMweb",
        command=command_line(args),
        parameters={"studies": args.studies, "sizes": args.sizes, "spaced_opens": args.spaced_opens,
                    "spacing": args.spacing, "duration": args.duration, "clients": args.clients,
                    "memory_opens": args.memory_opens, "memory_first": args.memory_first,
                    "memory_clients": args.memory_clients, "idle_seconds": args.idle, "stable_age": args.stable_age,
                    "upload_clients": args.upload_clients, "accept_encoding": HEADERS["Accept-Encoding"],
                    "dicomweb_cached": cached, "targets": {key: list(value) for key, value in TARGETS.items()}},
        figures=figures, samples=samples, environment=record, notes=notes,
    )


def numbers(kind: type[int] | type[float]) -> Callable[[str], list[Any]]:
    return lambda value: [kind(item) for item in value.split(",") if item.strip()]


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{BENCH}", description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=50, help="distinct studies of each size (50)")
    parser.add_argument("--sizes", type=numbers(int), default=[500, 2000], help="instances per study (500,2000)")
    parser.add_argument("--spaced-opens", type=int, default=20, help="spaced opens per size and path (20)")
    parser.add_argument("--spacing", type=float, default=1.5, help="seconds between spaced opens (1.5)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per concurrent case (20)")
    parser.add_argument("--clients", type=numbers(int), default=[8, 32], help="concurrent clients (8,32)")
    parser.add_argument("--memory-opens", type=int, default=10000, help="ohif-dicom-json opens for memory (10000)")
    parser.add_argument("--memory-first", type=int, default=1000, help="opens after which VmRSS is first read "
                        "(1000)")
    parser.add_argument("--memory-clients", type=int, default=32, help="clients of the memory run (32)")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle CPU measured first (30)")
    parser.add_argument("--stable-age", type=int, default=2, help="Orthanc's StableAge (2)")
    parser.add_argument("--upload-clients", type=int, default=4, help="parallel upload clients (4)")
    parser.add_argument("--workdir", type=Path, default=None, help="where Orthanc keeps its storage")
    parser.add_argument("--loaded-storage", type=Path, default=None,
                        help="a folder where the loaded storage is kept, or copied from when it holds one loaded "
                        "with the same --studies and --sizes (by this or an older release)")
    parser.add_argument("--measure-lock", type=Path, default=None,
                        help="a file that runs preparing at the same time share: they measure one after the other, "
                        "each once the machine is quiet")
    result_files.add_arguments(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    measured = len(args.sizes) * (2 * args.spaced_opens * args.spacing
                                  + len(args.clients) * 2 * (args.duration + args.spacing))
    log(f"Measuring takes about {measured / 60:.1f} min after the studies are loaded, plus the memory run")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ohif-bench-open-cost-", dir=args.workdir) as folder:
        figures, samples, environment, cached, loaded_by = run(args, Path(folder))
    log(f"Done in {(time.monotonic() - started) / 60:.1f} min")
    publish(report(args, figures, environment, cached))
    write_result(args, figures, samples, environment, cached, loaded_by)
    return 0


if __name__ == "__main__":
    sys.exit(main())
