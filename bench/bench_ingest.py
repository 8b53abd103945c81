"""Ingestion with Preload on against plain Orthanc, in enough paired rounds for the medians to hold.

Run from the repository root (not a pytest test), once per Debian release::

    [OHIF_DEBIAN_ROOT=/var/cache/ohif-plugin/debian-roots/trixie] \\
        .venv/bin/python -m bench.bench_ingest [--sizes 2000,10000] [--rounds 9] [--results-dir bench/results]

Upload rates swing from one server to the next (disk write-back, the other
core), often more than the plugin's cost. So each
round starts a fresh plain Orthanc, a fresh Orthanc with the plugin (Preload
on, the default) and a second fresh plain Orthanc, one after the other, and
the ratios to the first plain one are taken within the round; the order
rotates from round to round, so that drift counts against each kind equally.
The second plain Orthanc is the control: its ratio, which would be 1.00×
without noise, tells how far the rounds' medians can be trusted. Reported
per size: the median upload rate of each kind, the median of the per-round
ratios (with min and max), and Orthanc's CPU time per instance during the
upload. The rate until every
summary is stored is given as well: the preload worker waits for uploads to
pause, so it comes after the upload and is not part of ingestion. How many
summaries it wrote while the upload went on (the status's count when the
upload ended) says whether it kept out of the way.

``--workdir /dev/shm`` keeps the storage in memory: without the disk's
write-back, the rounds spread far less, and the plugin's own cost (CPU, the
only one it adds) weighs more in the ratio, not less.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bench import results as result_files
from bench.bench_core import (
    PLAIN,
    PRELOAD,
    Environment,
    cpu_seconds,
    generate_files,
    log,
    publish,
    report_header,
    running,
    upload_all,
    wait_for_summaries,
)

Samples = dict[str, list[float]]

MEASURES = {
    "rate.plain": ("inst/s", "plain Orthanc"),
    "rate.preload": ("inst/s", "Preload on"),
    "rate.control": ("inst/s", "plain Orthanc again (control)"),
    "rate.summaries": ("inst/s", "Preload on, until every summary stored"),
    "ratio.upload": ("×", "Preload on / plain"),
    "ratio.control": ("×", "plain again / plain"),
    "ratio.cpu": ("×", "Orthanc CPU per instance, Preload on / plain"),
    "ratio.summaries": ("×", "until every summary stored / plain"),
    "cpu.plain": ("ms", "Orthanc CPU per instance, plain"),
    "cpu.preload": ("ms", "Orthanc CPU per instance, Preload on"),
    "cpu.control": ("ms", "Orthanc CPU per instance, plain again"),
    "during": ("", "summaries written during the upload"),
}

CONTROL = replace(PLAIN, key="control", label="plain Orthanc again")
"""The same plain Orthanc a second time in each round: what the rounds' noise alone makes of a ratio."""


def one_round(round_number: int, files: Sequence[bytes], clients: int, workdir: Path, samples: Samples,
              environment: Environment) -> None:
    kinds = (PLAIN, PRELOAD, CONTROL)
    shift = round_number % len(kinds)  # each kind takes each place in turn
    for kind in kinds[shift:] + kinds[:shift]:
        with running(kind, workdir) as server:
            cpu_at_start = cpu_seconds(server)
            upload = upload_all(server.url, files, clients)
            samples[f"rate.{kind.key}"].append(upload.rate)
            samples[f"cpu.{kind.key}"].append((cpu_seconds(server) - cpu_at_start) * 1000 / len(files))
            if kind is PRELOAD:
                samples["during"].append(server.get("/ohif/api/status").json()["SinceStart"]["SummariesComputed"])
                environment.note_versions(server)
                all_stored = wait_for_summaries(server.url, upload.instance_ids)
                samples["rate.summaries"].append(len(files) / (all_stored - upload.started))
    samples["ratio.upload"].append(samples["rate.preload"][-1] / samples["rate.plain"][-1])
    samples["ratio.control"].append(samples["rate.control"][-1] / samples["rate.plain"][-1])
    samples["ratio.summaries"].append(samples["rate.summaries"][-1] / samples["rate.plain"][-1])
    samples["ratio.cpu"].append(samples["cpu.preload"][-1] / samples["cpu.plain"][-1])
    log(f"  round {round_number + 1}: plain {samples['rate.plain'][-1]:.0f}, Preload on "
        f"{samples['rate.preload'][-1]:.0f} inst/s ({samples['ratio.upload'][-1]:.2f}×), plain again "
        f"{samples['rate.control'][-1]:.0f} ({samples['ratio.control'][-1]:.2f}×)")


def spread(values: Sequence[float], digits: int, unit: str = "") -> str:
    return (f"{statistics.median(values):,.{digits}f}{unit} "
            f"({min(values):,.{digits}f}–{max(values):,.{digits}f})")


def report(results: dict[int, Samples], rounds: int, clients: int, storage: str,
           environment: Environment) -> list[str]:
    lines = report_header(f"ingestion, Preload on vs plain Orthanc, {rounds} paired rounds", environment,
                          "python -m bench.bench_ingest")
    lines += [f"{clients} upload clients, synthetic 64×64 CT, {storage}; medians (min–max) over the rounds; "
              "ratios taken within each round.", "",
              "| instances | plain (inst/s) | Preload on (inst/s) | Preload on / plain | plain again / plain "
              "| Orthanc CPU per instance, Preload on / plain | summaries written during the upload "
              "| until every summary stored / plain |",
              "|---|---|---|---|---|---|---|---|"]
    for size, samples in results.items():
        lines.append(f"| {size:,} | {spread(samples['rate.plain'], 0)} | {spread(samples['rate.preload'], 0)} "
                     f"| **{spread(samples['ratio.upload'], 2, '×')}** | {spread(samples['ratio.control'], 2, '×')} "
                     f"| {spread(samples['ratio.cpu'], 2, '×')} "
                     f"| {spread(samples['during'], 0)} | {spread(samples['ratio.summaries'], 2, '×')} |")
    return [*lines, ""]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_ingest", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,10000", help="instances per study, comma-separated")
    parser.add_argument("--rounds", type=int, default=9, help="paired rounds per size (9)")
    parser.add_argument("--clients", type=int, default=4, help="parallel upload clients (4)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the servers keep their storage, e.g. /dev/shm (default: the system's temp folder)")
    result_files.add_arguments(parser)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    environment = Environment()
    results: dict[int, Samples] = {}
    with tempfile.TemporaryDirectory(prefix="ohif-bench-ingest-", dir=args.workdir) as folder:
        for size in sizes:
            log(f"{size} instances: generating")
            files = generate_files(size)
            samples: Samples = defaultdict(list)
            for round_number in range(args.rounds):
                one_round(round_number, files, args.clients, Path(folder), samples, environment)
            results[size] = samples
    storage = f"storage in {args.workdir}" if args.workdir else f"storage in {tempfile.gettempdir()}"
    publish(report(results, args.rounds, args.clients, storage, environment))
    command = f".venv/bin/python -m bench.bench_ingest --sizes {args.sizes} --rounds {args.rounds}"
    if args.workdir:
        command += f" --workdir {args.workdir}"
    result_files.write(
        args, bench="bench_ingest", title=f"ingestion, Preload on vs plain Orthanc, {args.rounds} paired rounds",
        command=command,
        parameters={"sizes": sizes, "rounds": args.rounds, "clients": args.clients, "storage": storage},
        figures={str(size): result_files.figures_of(samples, MEASURES) for size, samples in results.items()},
        samples={str(size): {key: samples[key] for key in MEASURES if key in samples}
                 for size, samples in results.items()},
        environment=environment.record(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
