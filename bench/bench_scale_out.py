"""The study JSON served by a second server sharing a PostgreSQL index, next to one SQLite server.

Run from the repository root (this is not a pytest test)::

    .venv/bin/python -m bench.bench_scale_out [--instances 2000] [--requests 5] [--results-dir bench/results]

SQLite: one server with the plugin (Preload on) receives the study, and once
every summary is stored answers ``ohif-dicom-json``. PostgreSQL: servers A and
B share a throw-away PostgreSQL cluster (``harness/postgres.py``) and one storage
folder; A receives the study, and once every summary is stored (written by A),
B answers ``ohif-dicom-json`` (and A too, for comparison). Each figure is the
median, min and max of ``--requests`` requests, one after the other.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
import requests

from bench import results as result_files
from bench.bench_core import (
    Environment,
    cpu_seconds,
    generate_files,
    log,
    per_request_ms,
    publish,
    timed_get,
    upload_all,
    wait_for_summaries,
)
from harness.orthanc_server import OrthancServer
from harness.postgres import PostgresCluster

CLIENTS = 4


@dataclass(frozen=True)
class Timing:
    label: str
    seconds: list[float]
    cpu: list[float]
    database_cpu: list[float]
    metadata_ms: float
    """One GET /instances/{id}/metadata?expand from outside, sequential: the plugin's per-instance call."""


def postgres_cpu_seconds(postgres: PostgresCluster | None) -> float:
    """User and system CPU time of the PostgreSQL server and its backends (0 without PostgreSQL)."""
    if postgres is None:
        return 0.0
    postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat_path in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_path.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(stat_path.parent.name) == postmaster or int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def time_study_json(
    server: OrthancServer, study_id: str, count: int, requests_count: int, postgres: PostgresCluster | None = None
) -> tuple[list[float], list[float], list[float]]:
    """Wall time, Orthanc CPU time and PostgreSQL CPU time of each request; checks every instance is there."""
    seconds, cpu, database_cpu = [], [], []
    with requests.Session() as session:
        for _ in range(requests_count):
            before = cpu_seconds(server), postgres_cpu_seconds(postgres)
            elapsed, content = timed_get(session, f"{server.url}/studies/{study_id}/ohif-dicom-json")
            cpu.append(cpu_seconds(server) - before[0])
            database_cpu.append(postgres_cpu_seconds(postgres) - before[1])
            seconds.append(elapsed)
            answer = orjson.loads(content)
            instances = sum(len(series["instances"]) for study in answer["studies"] for series in study["series"])
            if instances != count:
                raise RuntimeError(f"the answer has {instances} instances, not {count}")
    return seconds, cpu, database_cpu


def metadata_cost(server: OrthancServer, instance_ids: Sequence[str]) -> float:
    with requests.Session() as session:
        return per_request_ms(
            lambda instance_id: session.get(f"{server.url}/instances/{instance_id}/metadata?expand", timeout=30),
            instance_ids[:300],
        )


@contextmanager
def started(*servers: OrthancServer) -> Iterator[None]:
    try:
        for server in servers:
            server.start()
        yield
    finally:
        for server in servers:
            server.stop()


def versions(server: OrthancServer, postgres: PostgresCluster) -> str:
    orthanc = server.get("/system").json()["Version"]
    index_plugin = server.get("/plugins/postgresql-index").json()["Version"]
    database = postgres.sql("SHOW server_version", "postgres").strip()
    return f"Orthanc {orthanc}, PostgreSQL index plugin {index_plugin}, PostgreSQL {database}"


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def measure(files: list[bytes], requests_count: int, workdir: Path, notes: list[str],
            environment: Environment) -> list[Timing]:
    timings = []
    notes.append(f"load average at the start: {load_average()}")
    single = OrthancServer(workdir / "sqlite")
    with started(single):
        log("SQLite: uploading")
        upload = upload_all(single.url, files, CLIENTS)
        wait_for_summaries(single.url, upload.instance_ids)
        measured = time_study_json(single, upload.study_id, len(files), requests_count)
        timings.append(Timing("SQLite, one server", *measured, metadata_cost(single, upload.instance_ids)))

    with PostgresCluster() as postgres:
        database = postgres.create_database("orthanc")
        options = postgres.orthanc_options(database, workdir / "shared-storage")
        a = OrthancServer(workdir / "a", **options)
        b = OrthancServer(workdir / "b", **options)
        with started(a, b):
            notes.append(versions(a, postgres))
            environment.note_versions(a)
            log("PostgreSQL: uploading through A")
            upload = upload_all(a.url, files, CLIENTS)
            wait_for_summaries(b.url, upload.instance_ids)
            measured = time_study_json(b, upload.study_id, len(files), requests_count, postgres)
            timings.append(Timing("PostgreSQL, server B (summaries written by A)", *measured,
                                  metadata_cost(b, upload.instance_ids)))
            measured = time_study_json(a, upload.study_id, len(files), requests_count, postgres)
            timings.append(Timing("PostgreSQL, server A (which ingested)", *measured,
                                  metadata_cost(a, upload.instance_ids)))
    notes.append(f"load average at the end: {load_average()}")
    return timings


def report(timings: list[Timing], instances: int, requests_count: int, notes: list[str]) -> list[str]:
    lines = [
        f"## scale-out, study JSON on a second server ({instances} instances, "
        f"median of {requests_count} requests)",
        "",
        "`.venv/bin/python -m bench.bench_scale_out`: the same synthetic CT study (64×64), uploaded by "
        f"{CLIENTS} clients, every summary stored before timing (Preload on the receiving server). "
        "PostgreSQL 15 on loopback (the test cluster of `harness/postgres.py`: fsync off, 1 index "
        "connection per Orthanc), one shared storage folder. CPU columns are medians; "
        "\"PostgreSQL CPU\" is the server and all its backends.",
        "",
        f"- nproc {len(os.sched_getaffinity(0))}; " + "; ".join(notes),
        "- measured on a shared machine, while other engineers ran test suites and benchmarks: expect noise "
        "in the wall times; the CPU times are steadier",
        "",
        "| Server answering GET /studies/{id}/ohif-dicom-json | Median s | Min s | Max s "
        "| Orthanc CPU s | PostgreSQL CPU s | GET metadata?expand from outside, ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for timing in timings:
        lines.append(
            f"| {timing.label} | {statistics.median(timing.seconds):.3f} | {min(timing.seconds):.3f} "
            f"| {max(timing.seconds):.3f} | {statistics.median(timing.cpu):.2f} "
            f"| {statistics.median(timing.database_cpu):.2f} | {timing.metadata_ms:.3f} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_scale_out", description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=5)
    result_files.add_arguments(parser)
    arguments = parser.parse_args(argv)
    files = generate_files(arguments.instances)
    with tempfile.TemporaryDirectory(prefix="bench-scale-out-") as workdir:
        notes: list[str] = []
        environment = Environment()
        timings = measure(files, arguments.requests, Path(workdir), notes, environment)
    publish(report(timings, arguments.instances, arguments.requests, notes))
    measures = {"seconds": ("s", "GET /studies/{id}/ohif-dicom-json"), "cpu": ("s", "Orthanc CPU"),
                "database_cpu": ("s", "PostgreSQL CPU")}
    figures: result_files.Cases = {}
    samples: dict[str, dict[str, list[float]]] = {}
    for timing in timings:
        samples[timing.label] = {"seconds": timing.seconds, "cpu": timing.cpu, "database_cpu": timing.database_cpu}
        figures[timing.label] = {
            **result_files.figures_of(samples[timing.label], measures),
            "metadata_ms": {"label": "GET metadata?expand from outside", "unit": "ms", "median": timing.metadata_ms,
                            "min": None, "max": None, "n": None},
        }
    result_files.write(
        arguments, bench="bench_scale_out", title="scale-out: the study JSON on a second server (PostgreSQL)",
        command=(f".venv/bin/python -m bench.bench_scale_out --instances {arguments.instances} "
                 f"--requests {arguments.requests}"),
        parameters={"instances": arguments.instances, "requests": arguments.requests, "clients": CLIENTS},
        figures=figures, samples=samples, notes=notes,
        environment=environment.record(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
