"""What a running BackfillOnStartup costs viewers and ingestion, side by side.

Run from the repository root (this is not a pytest test)::

    .venv/bin/python -m bench.bench_backfill [--backlog 4000] [--rounds 5] [--results-dir bench/results]

Two servers get the same data with Preload off: a backlog of studies without
summaries, and one "viewer" study whose summaries are stored. Both are then
restarted with Preload on, one of them with ``"BackfillOnStartup": true``.
While that one's backfill runs, rounds alternate between the two servers,
in pairs measured back to back (the order swapped every time), so that the
load of a shared machine weighs on both alike: the viewer study's
ohif-dicom-json, then the upload of a new study from parallel clients. Only
rounds that ended while the backfill was still running count. Figures are
medians, with min and max, and the median of the paired ratios "with
backfill / without".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

from bench import results as result_files
from bench.bench_core import Environment, cpu_seconds, log, publish, timed_get, upload_all
from harness.orthanc_server import OrthancServer
from ohif_plugin import __version__ as PLUGIN_VERSION
from ohif_plugin.demo.samples import StudySpec, ct_series, to_bytes

STUDY_SIZE = 100
"""Instances per backlog study."""
BACKFILL_TIMEOUT = 1800.0


def study_files(count: int) -> list[bytes]:
    return [to_bytes(dataset) for dataset in ct_series(StudySpec(), count)]


def seed(server: OrthancServer, backlog: list[list[bytes]], viewer: list[bytes], clients: int) -> str:
    for files in backlog:
        upload_all(server.url, files, clients)
    viewer_study = upload_all(server.url, viewer, clients).study_id
    server.study_json(viewer_study).raise_for_status()  # the viewer study has its summaries
    return viewer_study


def backfill_state(server: OrthancServer) -> dict[str, Any]:
    answer = server.get("/ohif/api/status")
    answer.raise_for_status()
    return dict(answer.json()["Backfill"])


PAIR = ("without", "with")


def measure_round(
    servers: dict[str, OrthancServer], viewer_studies: dict[str, str], batches: dict[str, list[bytes]],
    requests_per_round: int, clients: int, samples: dict[str, dict[str, list[float]]], swap: bool,
) -> None:
    """Pairs of measures, back to back, alternating which server goes first."""
    sessions = {key: requests.Session() for key in PAIR}
    for number in range(requests_per_round):
        for key in PAIR if number % 2 == 0 else PAIR[::-1]:
            url = f"{servers[key].url}/studies/{viewer_studies[key]}/ohif-dicom-json"
            samples[key]["latency"].append(timed_get(sessions[key], url)[0])
    for session in sessions.values():
        session.close()
    for key in PAIR[::-1] if swap else PAIR:
        samples[key]["ingestion"].append(upload_all(servers[key].url, batches[key], clients).rate)


def describe(values: Sequence[float], digits: int) -> str:
    return " | ".join(f"{value:.{digits}f}" for value in (statistics.median(values), min(values), max(values)))


def report_section(args: argparse.Namespace, results: dict[str, Any]) -> list[str]:
    without, with_backfill = results["without"], results["with"]
    rows = [
        ("ohif-dicom-json of a stored study", "s", "latency", 3),
        ("Ingestion, 4 clients", "inst/s", "ingestion", 0),
    ]
    lines = [
        f"## backfill impact, backlog of {args.backlog} instances, {results['rounds']} rounds",
        "",
        "`.venv/bin/python -m bench.bench_backfill` (see its docstring): two servers with the same data,",
        "one running `BackfillOnStartup` over the backlog, measured alternately in the same run.",
        f"The viewer study has {args.viewer_instances} instances (summaries stored); each round fetches its",
        f"ohif-dicom-json {args.requests} times and uploads a new study of {args.upload} instances.",
        f"Only rounds that ended while the backfill was running count ({results['rounds']} of {args.rounds}).",
        "",
        f"- OHIF plugin {PLUGIN_VERSION}, Python {sys.version.split()[0]}, nproc 2, shared machine",
        "",
        "| Measure | Unit | Without backfill: median | min | max | With backfill: median | min | max "
        "| Paired ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, unit, key, digits in rows:
        ratio = statistics.median(b / a for a, b in zip(without[key], with_backfill[key], strict=True))
        lines.append(
            f"| {label} | {unit} | {describe(without[key], digits)} | {describe(with_backfill[key], digits)} "
            f"| {ratio:.2f} |"
        )
    backfill = results["backfill"]
    lines += [
        "",
        f"The backfill itself: {backfill['InstancesChecked']} instances checked, {backfill['SummariesComputed']} "
        f"summaries computed in {backfill['Seconds']:.1f} s ({backfill['InstancesChecked'] / backfill['Seconds']:.0f} "
        f"instances/s, including the rounds' load); Orthanc CPU time over the whole measurement: "
        f"{results['cpu_without']:.1f} s without, {results['cpu_with']:.1f} s with the backfill.",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_backfill", description=__doc__.split("\n")[0])
    parser.add_argument("--backlog", type=int, default=4000, help="instances without summaries (4000)")
    parser.add_argument("--viewer-instances", type=int, default=500, help="instances of the viewer study (500)")
    parser.add_argument("--upload", type=int, default=400, help="instances uploaded per round (400)")
    parser.add_argument("--requests", type=int, default=5, help="ohif-dicom-json requests per round (5)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (5)")
    parser.add_argument("--clients", type=int, default=4, help="parallel upload clients (4)")
    result_files.add_arguments(parser)
    args = parser.parse_args(argv)

    log("Generating files...")
    backlog = [study_files(STUDY_SIZE) for _ in range(max(1, args.backlog // STUDY_SIZE))]
    viewer = study_files(args.viewer_instances)
    batches = [study_files(args.upload) for _ in range(2 * args.rounds)]
    samples: dict[str, dict[str, list[float]]] = {"without": {"latency": [], "ingestion": []},
                                                  "with": {"latency": [], "ingestion": []}}
    with tempfile.TemporaryDirectory(prefix="ohif-bench-backfill-") as folder:
        servers = {
            "without": OrthancServer(Path(folder) / "without", ohif={"Preload": False}),
            "with": OrthancServer(Path(folder) / "with", ohif={"Preload": False}),
        }
        try:
            viewer_studies = {}
            for key, server in servers.items():
                log(f"Seeding the server {key} backfill...")
                server.start()
                viewer_studies[key] = seed(server, backlog, viewer, args.clients)
                server.stop()
            servers["without"].config["OHIF"] = {"Preload": True}
            servers["with"].config["OHIF"] = {"Preload": True, "BackfillOnStartup": True}
            for server in servers.values():
                server.start()
            environment = Environment()
            environment.note_versions(servers["with"])
            cpu_start = {key: cpu_seconds(server) for key, server in servers.items()}
            counted = 0
            for number in range(args.rounds):
                round_samples: dict[str, dict[str, list[float]]] = {key: {"latency": [], "ingestion": []}
                                                                   for key in PAIR}
                round_batches = {key: batches[2 * number + position] for position, key in enumerate(PAIR)}
                measure_round(servers, viewer_studies, round_batches, args.requests, args.clients, round_samples,
                              swap=number % 2 == 1)
                running = backfill_state(servers["with"])["State"] == "running"
                log(f"Round {number + 1}: backfill {'running' if running else 'done'}: {round_samples}")
                if running:
                    counted += 1
                    for key, values in round_samples.items():
                        for measure, found in values.items():
                            samples[key][measure] += found
            deadline = time.monotonic() + BACKFILL_TIMEOUT
            while (state := backfill_state(servers["with"]))["State"] == "running" and time.monotonic() < deadline:
                time.sleep(0.5)
            results: dict[str, Any] = {
                **samples, "rounds": counted, "backfill": state,
                "cpu_without": cpu_seconds(servers["without"]) - cpu_start["without"],
                "cpu_with": cpu_seconds(servers["with"]) - cpu_start["with"],
            }
        finally:
            for server in servers.values():
                server.kill()
    if counted == 0:
        log("The backfill ended before the first round did: use a larger --backlog")
        return 1
    publish(report_section(args, results))
    write_result(args, results, environment)
    return 0


def write_result(args: argparse.Namespace, results: dict[str, Any], environment: Environment) -> None:
    measures = {"latency": ("s", "ohif-dicom-json of a stored study"), "ingestion": ("inst/s", "ingestion")}
    figures: result_files.Cases = {key: result_files.figures_of(results[key], measures) for key in PAIR}
    figures["paired ratio"] = {
        key: {"label": f"{label}, with backfill / without", "unit": "×",
              "median": statistics.median(b / a for a, b in zip(results["without"][key], results["with"][key],
                                                                strict=True)),
              "min": None, "max": None, "n": len(results["without"][key])}
        for key, (_, label) in measures.items()
    }
    backfill = results["backfill"]
    figures["backfill"] = {
        "checked": {"label": "instances checked", "unit": "", "median": backfill["InstancesChecked"], "min": None,
                    "max": None, "n": 1},
        "computed": {"label": "summaries computed", "unit": "", "median": backfill["SummariesComputed"],
                     "min": None, "max": None, "n": 1},
        "seconds": {"label": "backfill duration", "unit": "s", "median": backfill["Seconds"], "min": None,
                    "max": None, "n": 1},
        "cpu_without": {"label": "Orthanc CPU over the measurement, without backfill", "unit": "s",
                        "median": results["cpu_without"], "min": None, "max": None, "n": 1},
        "cpu_with": {"label": "Orthanc CPU over the measurement, with backfill", "unit": "s",
                     "median": results["cpu_with"], "min": None, "max": None, "n": 1},
    }
    result_files.write(
        args, bench="bench_backfill", title=f"backfill impact, backlog of {args.backlog} instances",
        command=f".venv/bin/python -m bench.bench_backfill --backlog {args.backlog} --rounds {args.rounds}",
        parameters={"backlog": args.backlog, "viewer_instances": args.viewer_instances, "upload": args.upload,
                    "requests": args.requests, "rounds": args.rounds, "rounds_counted": results["rounds"],
                    "clients": args.clients},
        figures=figures, samples={key: results[key] for key in PAIR}, environment=environment.record(),
    )


if __name__ == "__main__":
    sys.exit(main())
