"""Each benchmark run as one JSON file under ``bench/results/``, read by :mod:`bench.render_performance`.

A result file holds::

    {
      "schema": 1,
      "bench": "bench_dicomweb",          # the tool (or "cpp_plugin" for the C++ plugin's reference)
      "variant": null,                    # a second axis of the same bench, e.g. "storage on disk"
      "title": "...",
      "release": "bookworm",              # Debian release of the Orthanc measured
      "ended_utc": "2026-12-06T08:08:00Z",
      "record": true,                     # false: a smoke run, never a figure of record
      "transcribed_from": null,           # or where the figures were copied from
      "command": ".venv/bin/python -m bench.bench_dicomweb --runs 5",
      "commit": "abc1234...",             # the plugin's git commit (with "+dirty" if modified)
      "environment": {"debian_release": ..., "orthanc": ..., "orthanc_python": ..., "embedded_python": ...,
                      "dicomweb": ..., "cpu_count": ..., "cpu_model": ..., "ram_gib": ..., "machine": ...,
                      "client_python": ..., "load_average_end": [...]},
      "parameters": {...},
      "figures": {"<case>": {"<measure>": {"label": ..., "unit": ..., "median": ..., "min": ..., "max": ...,
                                           "n": ...}}},
      "samples": {"<case>": {"<measure>": [...]}},
      "notes": ["..."]
    }

Figures keep the unit they were measured in ("s", "ms", "inst/s", "×", "MB", "KB"); ``min``, ``max``
and ``n`` are null where a source gave only a median.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.orthanc_server import PYTHON_PLUGIN, RELEASE, embedded_python

SCHEMA = 1
REPOSITORY = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPOSITORY / "bench" / "results"

Figure = dict[str, Any]
Cases = dict[str, dict[str, Figure]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every bench tool shares for where its result goes."""
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="folder to write the result file into (bench/results)")
    parser.add_argument("--no-record", action="store_true",
                        help="mark the run as not a figure of record (a smoke run, a trial)")
    parser.add_argument("--no-output", action="store_true", help="print the results only, write no file")


def figure(values: Sequence[float], unit: str, label: str) -> Figure:
    """Median, min and max of a measure's samples."""
    finite = [value for value in values if value == value]  # NaN: not measured in that run
    if not finite:
        return {"label": label, "unit": unit, "median": None, "min": None, "max": None, "n": len(values)}
    return {"label": label, "unit": unit, "median": statistics.median(finite), "min": min(finite),
            "max": max(finite), "n": len(values)}


def figures_of(samples: Mapping[str, Sequence[float]], measures: Mapping[str, tuple[str, str]]) -> dict[str, Figure]:
    """The figures of one case; ``measures`` maps a sample key to its (unit, label)."""
    return {key: figure(samples[key], *measures[key]) for key in measures if samples.get(key)}


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor() or "?")
    meminfo = Path("/proc/meminfo").read_text()
    ram_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    return {
        "cpu_count": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "ram_gib": round(ram_kb / 1024 / 1024, 1),
        "machine": platform.machine(),
        "client_python": platform.python_version(),
        "load_average_end": [round(value, 2) for value in os.getloadavg()],
    }


def environment_record(orthanc: str | None, orthanc_python: str | None, dicomweb: str | None) -> dict[str, Any]:
    """The software measured (as the server said) and the machine it ran on."""
    return {
        "debian_release": RELEASE,
        "orthanc": orthanc,
        "orthanc_python": orthanc_python,
        "embedded_python": embedded_python(PYTHON_PLUGIN),
        "dicomweb": dicomweb,
        **machine(),
    }


def git_commit() -> str | None:
    """The plugin's commit, with ``+dirty`` when the working tree differs from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPOSITORY,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def file_name(bench: str, release: str, ended: datetime.datetime, variant: str | None = None) -> str:
    slug = f"-{variant.replace(' ', '-')}" if variant else ""
    return f"{bench}{slug}-{release}-{ended.strftime('%Y%m%dT%H%M%SZ')}.json"


def write(
    args: argparse.Namespace,
    *,
    bench: str,
    title: str,
    command: str,
    parameters: Mapping[str, Any],
    figures: Cases,
    samples: Mapping[str, Mapping[str, Sequence[float]]],
    environment: Mapping[str, Any],
    notes: Sequence[str] = (),
    variant: str | None = None,
) -> Path | None:
    """Write one run's result file (unless ``--no-output``); its path."""
    ended = utc_now()
    result = {
        "schema": SCHEMA,
        "bench": bench,
        "variant": variant,
        "title": title,
        "release": environment.get("debian_release", RELEASE),
        "ended_utc": ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "record": not args.no_record,
        "transcribed_from": None,
        "command": command,
        "commit": git_commit(),
        "environment": dict(environment),
        "parameters": dict(parameters),
        "figures": figures,
        "samples": {case: {key: [None if value != value else value for value in values]
                           for key, values in measures.items()}
                    for case, measures in samples.items()},
        "notes": list(notes),
    }
    if args.no_output:
        return None
    folder: Path = args.results_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(bench, str(result["release"]), ended, variant)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    print(f"Result written to {path}", flush=True)
    return path
