"""Orthanc's memory over many requests to the plugin, next to plain Orthanc.

Run from the repository root (not a pytest test)::

    .venv/bin/python -m bench.bench_memory [--requests 10000] [--results-dir bench/results]

This starts one Orthanc with the plugin and one without,
sends each series of requests one after the other on one connection, and
reads the process's resident memory (VmRSS) before, during and after.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import requests

from bench import results as result_files
from bench.bench_core import Environment, log, publish, report_header
from harness.orthanc_server import OrthancServer
from ohif_plugin.configuration import DEFAULT_BUNDLE_FOLDER
from ohif_plugin.demo.samples import StudySpec, ct_series, to_bytes

CHROMIUM = {"Accept-Encoding": "gzip, deflate, br, zstd"}
STUDY_INSTANCES = 100
CHECKPOINTS = 5


def resident_megabytes(server: OrthancServer) -> float:
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def viewer_paths() -> list[str]:
    """Files of a first viewer load: the page, its configuration, and a few bundle files of each size."""
    bundle = sorted(DEFAULT_BUNDLE_FOLDER.glob("*.bundle.*.js"), key=lambda path: path.stat().st_size)
    picked = [bundle[0], bundle[len(bundle) // 2], bundle[-1]]
    return ["/ohif/viewer", "/ohif/app-config.js", *(f"/ohif/{path.name}" for path in picked)]


Series = tuple[str, Callable[[requests.Session], requests.Response]]


def run_series(server: OrthancServer, name: str, send: Callable[[requests.Session], requests.Response],
               count: int, readings_of: dict[str, list[float]]) -> list[str]:
    with requests.Session() as session:
        for _ in range(200):  # warm up: caches filled, connection open
            send(session).close()
        readings = [resident_megabytes(server)]
        for done in range(1, count + 1):
            answer = send(session)
            if answer.status_code not in (200, 304):
                raise RuntimeError(f"{name}: HTTP {answer.status_code}")
            answer.close()
            if done % (count // CHECKPOINTS) == 0:
                readings.append(resident_megabytes(server))
    readings_of[name] = readings
    growth = readings[-1] - readings[0]
    log(f"  {name}: {readings[0]:.1f} -> {readings[-1]:.1f} MB")
    steps = " → ".join(f"{value:.1f}" for value in readings)
    return [f"| {name} | {count:,} | {readings[0]:.1f} | {readings[-1]:.1f} | {growth:+.1f} | "
            f"{growth * 1024 / count:+.2f} | {steps} |"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_memory", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="requests per series (10000)")
    result_files.add_arguments(parser)
    args = parser.parse_args(argv)
    rows: list[str] = []
    readings: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="ohif-memory-") as folder:
        plain = OrthancServer(Path(folder) / "plain", plugins=(), with_plugin_script=False).start()
        plugin = OrthancServer(Path(folder) / "plugin").start()
        try:
            files = [to_bytes(ds) for ds in ct_series(StudySpec(), STUDY_INSTANCES)]
            ids = plugin.upload_all(files)
            plugin.wait_for_metadata(ids)
            study = plugin.study_json(plugin.study_of(ids[0]))
            study.raise_for_status()
            url = f"{plugin.url}/studies/{plugin.study_of(ids[0])}/ohif-dicom-json"
            etag = requests.get(url, headers=CHROMIUM, timeout=60, stream=True).headers["ETag"]
            assets = itertools.cycle(viewer_paths())
            series: list[tuple[OrthancServer, str, Callable[[requests.Session], requests.Response]]] = [
                (plain, "plain Orthanc: GET /app/explorer.html (built in)",
                 lambda s: s.get(f"{plain.url}/app/explorer.html", headers=CHROMIUM, timeout=60)),
                (plugin, "plugin: viewer files (page, app-config.js, bundle files)",
                 lambda s: s.get(plugin.url + next(assets), headers=CHROMIUM, timeout=60, stream=True)),
                (plugin, f"plugin: ohif-dicom-json, {STUDY_INSTANCES} instances (200, assembled)",
                 lambda s: s.get(url, headers=CHROMIUM, timeout=60, stream=True)),
                (plugin, "plugin: ohif-dicom-json, If-None-Match (304)",
                 lambda s: s.get(url, headers={**CHROMIUM, "If-None-Match": etag}, timeout=60)),
                (plugin, "plugin: viewer file, If-None-Match (304)",
                 lambda s: s.get(f"{plugin.url}/ohif/viewer", headers={**CHROMIUM, "If-None-Match": index_etag},
                                 timeout=60)),
            ]
            index_etag = requests.get(f"{plugin.url}/ohif/viewer", timeout=60).headers["ETag"]
            environment = Environment()
            environment.note_versions(plugin)
            for server, name, send in series:
                rows += run_series(server, name, send, args.requests, readings)
        finally:
            plain.stop()
            plugin.stop()
    command = ".venv/bin/python -m bench.bench_memory"
    if args.requests != 10_000:
        command += f" --requests {args.requests}"
    lines = [
        *report_header(f"Orthanc's resident memory over {args.requests:,} requests per series",
                       environment, command),
        "| series | requests | RSS before (MB) | RSS after (MB) | growth (MB) | growth per request (KB) | "
        "RSS at each fifth (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        *rows,
        "",
    ]
    publish(lines)
    figures: result_files.Cases = {}
    for name, found in readings.items():
        growth = found[-1] - found[0]
        figures[name] = {
            "rss_before": {"label": "RSS before", "unit": "MB", "median": found[0], "min": None, "max": None,
                           "n": 1},
            "rss_after": {"label": "RSS after", "unit": "MB", "median": found[-1], "min": None, "max": None,
                          "n": 1},
            "growth": {"label": "growth", "unit": "MB", "median": growth, "min": None, "max": None, "n": 1},
            "growth_per_request": {"label": "growth per request", "unit": "KB",
                                   "median": growth * 1024 / args.requests, "min": None, "max": None, "n": 1},
        }
    result_files.write(
        args, bench="bench_memory", title=f"Orthanc's resident memory over {args.requests:,} requests per series",
        command=command, parameters={"requests": args.requests, "study_instances": STUDY_INSTANCES,
                                     "checkpoints": CHECKPOINTS},
        figures=figures, samples={name: {"rss_mb": found} for name, found in readings.items()},
        environment=environment.record(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
