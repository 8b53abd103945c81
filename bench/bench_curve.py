"""The study-size curve: ingestion and ohif-dicom-json for 500, 2,000 and 10,000 instances.

Run from the repository root (not a pytest test)::

    .venv/bin/python -m bench.bench_curve [--sizes 500,2000,10000] [--runs 5] [--results-dir bench/results]

Each size is measured as :mod:`bench.bench_core` does (fresh servers per run,
plain Orthanc side by side). The run is written as one result file
(:mod:`bench.results`, one case per size) and printed as a table and an ASCII
chart of the time per instance, which stays flat when the ratios hold as the
study grows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence

from bench import results as result_files
from bench.bench_core import CORE_UNITS, Samples, cpp_reference, log, measure, publish, report_header

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
    references = cpp_reference()
    for size, samples in results.items():
        reference = references.get(str(size), {})
        cells = [form.format(median(samples, key)) for key, _, form in COLUMNS]
        cells.append(f"{reference['json.with_summaries']:.3f} / {reference['json.none']:.2f}"
                     if "json.with_summaries" in reference and "json.none" in reference else "")
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
    result_files.add_arguments(parser)
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
    publish(lines)
    measures = {key: CORE_UNITS[key] for key in CORE_UNITS if not key.startswith("py.")}
    result_files.write(
        args, bench="bench_curve", title=f"study-size curve, {args.runs} runs per size",
        command=f".venv/bin/python -m bench.bench_curve --sizes {args.sizes} --runs {args.runs}",
        parameters={"sizes": sizes, "runs": args.runs, "clients": args.clients},
        figures={str(size): result_files.figures_of(samples, measures) for size, samples in results.items()},
        samples={str(size): {key: samples[key] for key in measures if key in samples}
                 for size, samples in results.items()},
        environment=environment.record(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
