"""The study-size curve: ingestion and ohif-dicom-json for 500, 2,000 and 10,000 instances.

Run from the repository root (not a pytest test)::

    .venv/bin/python -m bench.bench_curve [--sizes 500,2000,10000] [--runs 5] [--output docs/benchmarks.md]

Each size is measured as :mod:`bench.bench_core` does (fresh servers per run,
plain Orthanc side by side), and the results are appended to the output as
one table and an ASCII chart of the time per instance, which stays flat when
the ratios hold as the study grows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.bench_core import DEFAULT_OUTPUT, Samples, log, measure, publish, report_header

JSON_REFERENCE = {500: (0.120, 0.430), 2000: (0.370, 1.36)}
"""The C++ plugin's ohif-dicom-json, with every summary and with none (s)."""

COLUMNS = (
    ("ingest.plain", "plain ingestion (inst/s)", "{:,.0f}"),
    ("ingest.preload_ratio", "Preload on / plain", "{:.2f}×"),
    ("json.with_summaries", "dicom-json, summaries stored (s)", "{:.3f}"),
    ("orthanc.expand", "Orthanc instances?expand (s)", "{:.3f}"),
    ("json.with_summaries_ratio", "dicom-json / expand", "{:.2f}×"),
    ("json.none", "dicom-json, no summary (s)", "{:.3f}"),
    ("json.not_modified", "304 (ms)", "{:.1f}"),
)

CHART = (
    ("json.with_summaries", "summaries stored"),
    ("json.none", "no summary"),
    ("orthanc.expand", "Orthanc ?expand"),
)
CHART_WIDTH = 50


def median(samples: Samples, key: str) -> float:
    values = samples.get(key)
    return statistics.median(values) if values else float("nan")


def table(results: dict[int, Samples]) -> list[str]:
    lines = [
        "| instances | " + " | ".join(label for _, label, _ in COLUMNS) + " | C++ summaries / none (s) |",
        "| ---: | " + " | ".join("---:" for _ in COLUMNS) + " | ---: |",
    ]
    for size, samples in results.items():
        reference = JSON_REFERENCE.get(size)
        cells = [form.format(median(samples, key)) for key, _, form in COLUMNS]
        cells.append(f"{reference[0]:.3f} / {reference[1]:.2f}" if reference else "")
        lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    return lines


def chart(results: dict[int, Samples]) -> list[str]:
    """Milliseconds per instance: flat bars mean linear scaling."""
    per_instance = {
        (size, key): median(samples, key) * 1000 / size for size, samples in results.items() for key, _ in CHART
    }
    largest = max((value for value in per_instance.values() if value == value), default=1.0) or 1.0
    lines = ["```", "ms per instance (median)"]
    for key, label in CHART:
        lines.append(f"{label}:")
        for size in results:
            value = per_instance[(size, key)]
            bar = "#" * max(1, round(CHART_WIDTH * value / largest)) if value == value else ""
            lines.append(f"  {size:>6,}  {bar:<{CHART_WIDTH}}  {value:.3f}")
    lines.append("```")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_curve", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="500,2000,10000", help="study sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--no-output", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    results: dict[int, Samples] = {}
    environment = None
    for size in sizes:
        samples, environment, _ = measure(size, args.runs, args.clients, python=False)
        results[size] = samples
        log(f"{size} instances done")
    assert environment is not None
    lines = [
        *report_header(
            f"study-size curve ({', '.join(f'{size:,}' for size in sizes)} instances), {args.runs} runs",
            environment,
            f".venv/bin/python -m bench.bench_curve --sizes {args.sizes} --runs {args.runs}",
        ),
        *table(results),
        "",
        *chart(results),
        "",
    ]
    publish(lines, args.output, args.no_output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
