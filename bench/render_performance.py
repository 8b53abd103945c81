"""Render docs/performance.md and its plots from the result files in bench/results/.

Run from the repository root::

    .venv/bin/python -m bench.render_performance           # write docs/performance.md and docs/images/*.png
    .venv/bin/python -m bench.render_performance --check   # exit 1 if docs/performance.md is out of date

The figure of record of each benchmark, Debian release and variant is the newest result file of that
kind (by ``ended_utc``, then file name) whose ``"record"`` is not false. The output depends on the result
files only, so the same files render the same document.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPOSITORY / "bench" / "results"
OUTPUT = REPOSITORY / "docs" / "performance.md"
COMMAND = ".venv/bin/python -m bench.render_performance"
RELEASES = ("bookworm", "trixie", "forky")
"""Debian releases in the order the tables list them (others follow, by name)."""
SHAPES = {"2000x1": "2,000 instances, 1 series", "10000x1": "10,000 instances, 1 series",
          "2000x8": "2,000 instances, 8 series"}
PLOTS = {
    "study_json": "images/performance-study-json.png",
    "ingestion": "images/performance-ingestion.png",
    "full_open": "images/performance-full-open.png",
    "open_cost": "images/performance-open-cost.png",
}

Result = dict[str, Any]
Kind = tuple[str, str, str]
"""(bench, variant, release)."""


# --- Choosing the figures of record ---------------------------------------------------------------


def load(folder: Path) -> list[Result]:
    results = []
    for path in sorted(folder.glob("*.json")):
        result = json.loads(path.read_text())
        result["_file"] = path.name
        results.append(result)
    return results


def release_order(release: str) -> tuple[int, str]:
    return (RELEASES.index(release) if release in RELEASES else len(RELEASES), release)


def of_record(results: Iterable[Result]) -> dict[Kind, Result]:
    """The newest result of each kind, leaving out those marked ``"record": false``."""
    chosen: dict[Kind, Result] = {}
    for result in sorted(results, key=lambda found: (found.get("ended_utc") or "", found["_file"])):
        if result.get("record") is False:
            continue
        chosen[(result["bench"], result.get("variant") or "", result["release"])] = result
    return chosen


def of_bench(chosen: dict[Kind, Result], bench: str, variant: str = "") -> list[Result]:
    found = [result for (name, kind, _), result in chosen.items() if name == bench and kind == variant]
    return sorted(found, key=lambda result: release_order(result["release"]))


# --- Formatting -------------------------------------------------------------------------------------


def number(value: float | None, unit: str = "") -> str:
    """Ratios with two decimals; other figures with at most four significant digits, as short as they go."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "×":
        return f"{value:.2f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{float(f'{value:.4g}'):g}"


def cell(figure: dict[str, Any] | None, with_unit: bool = True) -> str:
    if not figure:
        return ""
    unit = figure.get("unit") or ""
    text = number(figure.get("median"), unit)
    if unit == "×":
        text += "×"
    elif with_unit and unit:
        text += f" {unit}"
    low, high = figure.get("min"), figure.get("max")
    if figure.get("median") is None and low is not None and high is not None:
        return f"{number(low, unit)}–{number(high, unit)}" + (f" {unit}" if with_unit and unit else "")
    if low is not None and high is not None and (low != high or low != figure.get("median")):
        text += f" ({number(low, unit)}–{number(high, unit)})"
    return text


def link(result: Result) -> str:
    return f"[{result['_file']}](../bench/results/{result['_file']})"


def when(result: Result) -> str:
    ended = result.get("ended_utc")
    return ended.replace("T", " ").replace(":00Z", " UTC").replace("Z", " UTC") if ended else "undated"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], right: int = 1) -> list[str]:
    """A Markdown table; columns from ``right`` on are aligned right."""
    lines = ["| " + " | ".join(headers) + " |",
             "| " + " | ".join("---" if column < right else "---:" for column in range(len(headers))) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def figure_of(result: Result | None, case: str, key: str) -> dict[str, Any] | None:
    if result is None:
        return None
    found: dict[str, Any] | None = result["figures"].get(case, {}).get(key)
    return found


def median(result: Result | None, case: str, key: str) -> float | None:
    found = figure_of(result, case, key)
    return None if found is None else found.get("median")


def versions(result: Result) -> str:
    environment = result.get("environment", {})
    parts = [f"Orthanc {environment['orthanc']}"] if environment.get("orthanc") else []
    if environment.get("orthanc_python"):
        parts.append(f"orthanc-python {environment['orthanc_python']}")
    if environment.get("embedded_python"):
        parts.append(f"Python {environment['embedded_python']}")
    if environment.get("dicomweb"):
        parts.append(f"DICOMweb {environment['dicomweb']}")
    return ", ".join(parts) or "versions not recorded"


def sources(results: Iterable[Result]) -> list[str]:
    return ["Result files: " + "; ".join(
        f"{result['release']}{' (' + result['variant'] + ')' if result.get('variant') else ''}: {link(result)}"
        for result in results) + ".", ""]


# --- Sections -----------------------------------------------------------------------------------------


METHOD = """\
## Method

Every benchmark is a tool in `bench/` run by hand from the repository root, not by CI; each run
writes one result file to `bench/results/` (`--results-dir` elsewhere, `--no-record` for a run that
must never be a figure of record, such as a smoke run with a small study). A result file holds the
environment (Debian release, Orthanc, orthanc-python, the embedded Python, the DICOMweb plugin, CPU
count and model), the plugin's git commit, the parameters, the figures (median, min, max, number
of samples) and the raw samples. Files transcribed from the former lab notebook say so in
`transcribed_from` and hold only what it stated (medians and ranges, raw samples where it had them).

- **What is timed.** Wall time of HTTP requests from a client on the same machine, until the last
  byte of the answer is received (decoding afterwards). `ohif-dicom-json` is asked as Chromium asks
  (`Accept-Encoding` with `gzip, deflate, br`, and `zstd` where Chromium sends it). DICOMweb is timed as
  OHIF asks it: QIDO study, QIDO series, then `/series/{uid}/metadata` of each series, with its
  metadata cache filled where the DICOMweb plugin has one (1.15 and later).
- **Fresh servers.** Each run starts Orthanc servers with their own empty storage (SQLite unless
  stated), built by `harness/orthanc_server.py` with the Debian release's own packages
  (`OHIF_DEBIAN_ROOT` chroots another release); the disk is flushed before each server.
  Studies are synthetic CT series (64×64, about 9 KB a file) uploaded by 4 parallel clients.
- **The control Orthanc.** Ingestion is compared within one run, never across runs: plain Orthanc
  (no Python plugin) and Orthanc with the plugin (Preload on) receive the same files, the order
  rotating from round to round, and a second plain Orthanc ("plain again") in each round shows what
  the rounds' noise alone makes of a ratio.
- **CPU time** is the Orthanc process's user + system time read from `/proc/<pid>/stat`, less
  sensitive than wall time to other load on the machine.
- **Medians.** Each figure is the median of the runs (rounds, opens), with min and max in
  parentheses; ratios are taken within a run, then their median is given.
- **The full open** is OHIF opened from Orthanc Explorer in headless Chromium with an empty cache,
  from the click to the first image drawn and to every image of the study received.
- **The C++ plugin's figures** are its recorded medians on the same kind of machine (2 cores, SQLite,
  synthetic 64×64 CT, 4 clients), kept as a reference series.

Only compare figures within one result file: the machines and their load differ between files.
"""


def section_index(chosen: dict[Kind, Result]) -> list[str]:
    rows = []
    for (bench, variant, release), result in sorted(
            chosen.items(), key=lambda item: (item[0][0], item[0][1], release_order(item[0][2]))):
        origin = "transcribed" if result.get("transcribed_from") else "measured"
        rows.append([bench + (f" ({variant})" if variant else ""), release, when(result), origin,
                     (result.get("commit") or "–")[:12], link(result)])
    return ["## The figures of record", "",
            "The newest result file of each benchmark, release and variant:", "",
            *table(["benchmark", "Debian", "ended", "origin", "commit", "result file"], rows, right=6)]


def section_study_json(chosen: dict[Kind, Result]) -> list[str]:
    found = of_bench(chosen, "bench_dicomweb")
    if not found:
        return []
    rows = []
    for result in found:
        cached = result.get("parameters", {}).get("dicomweb_cached", {})
        for case, label in SHAPES.items():
            if case not in result["figures"]:
                continue
            dicomweb = cell(figure_of(result, case, "dicomweb"))
            dicomweb += ", cached" if cached.get(case) else ", no cache (DICOMweb before 1.15)"
            rows.append([result["release"], label, cell(figure_of(result, case, "first")),
                         cell(figure_of(result, case, "json")), dicomweb,
                         f"**{cell(figure_of(result, case, 'ratio'))}**", cell(figure_of(result, case, "check"))])
    lines = ["## The viewer's study metadata: ohif-dicom-json vs DICOMweb", "",
             "`bench.bench_dicomweb`: the study's stored answer (`ohif-dicom-json`) against OHIF's DICOMweb "
             "requests. \"First display\" is the study's first request; \"check after\" is the background "
             "check that follows each stored answer sent (off the request path), let finish before the "
             "next timed request.", "",
             *table(["Debian", "study", "first display", "ohif-dicom-json (stored answer)",
                     "DICOMweb, OHIF's requests", "ratio", "check after"], rows, right=2),
             f"![Study size against the time of the study's metadata]({PLOTS['study_json']})", ""]
    cpp = chosen.get(("cpp_plugin", "", "bookworm"))
    cpp_2000 = median(cpp, "2000", "json.with_summaries")
    if cpp is not None and cpp_2000:
        rows = []
        for result in found:
            ours = figure_of(result, "2000x1", "json")
            if ours and ours.get("median") is not None:
                seconds = ours["median"] / (1000 if ours["unit"] == "ms" else 1)
                rows.append([result["release"], cell(ours), f"{number(cpp_2000)} s", f"{seconds / cpp_2000:.2f}"])
        lines += ["Against the C++ plugin's recorded study JSON at 2,000 instances "
                  f"({link(cpp)}):", "",
                  *table(["Debian", "ohif-dicom-json (stored answer)", "C++ plugin", "ratio"], rows, right=1)]
    rows = []
    for result in found:
        for case, label in SHAPES.items():
            if figure_of(result, case, "listing"):
                rows.append([result["release"], label, cell(figure_of(result, case, "listing")),
                             cell(figure_of(result, case, "read"))])
    lines += ["### Where a stored answer's time goes", "",
              "The same requests asked over HTTP (each adds about one HTTP round trip): the listing that the "
              "answer's ETag is checked against, and the read of the study's attachment 4202.", "",
              *table(["Debian", "study", "listing", "attachment read"], rows, right=2)]
    rows = []
    for result in found:
        for source in ("dicom-json", "dicom-web"):
            case = f"viewer {source}"
            if case in result["figures"]:
                opens = figure_of(result, case, "first") or {}
                rows.append([result["release"], source, cell(figure_of(result, case, "first")),
                             cell(figure_of(result, case, "all")), str(opens.get("n") or "–")])
    if rows:
        instances = found[0].get("parameters", {}).get("viewer_instances", 2000)
        lines += ["### The full open in Chromium", "",
                  f"OHIF opened from Orthanc Explorer (headless Chromium, empty cache), {instances:,} instances, "
                  "per data source:", "",
                  *table(["Debian", "data source", "first image drawn", "every image received", "opens"], rows,
                         right=2),
                  f"![The full open per release and data source]({PLOTS['full_open']})", ""]
    return [*lines, *sources(found)]


OPEN_COST_COMMAND = ".venv/bin/python -m bench.bench_open_cost"
OPEN_COST_TARGETS = {"cpu": "≤ 0.25", "latency": "≤ 0.2", "rate": "≥ 3", "p95": "≤ 0.5", "assembled": "0",
                     "growth": "≤ 50 MB"}
"""The targets of the issue "What an open costs the server", shown next to the figures (not asserted)."""


def open_cost_rows(result: Result) -> list[list[str]]:
    """One row per measure: for each study size, ohif-dicom-json, DICOMweb and their ratio; then the target."""
    parameters = result.get("parameters", {})
    sizes = [str(size) for size in parameters.get("sizes", [])]
    clients = parameters.get("clients", [])
    measures: list[tuple[str, str, str, str]] = [
        ("Orthanc CPU per spaced open (net of idle)", "spaced.{}.cpu", "ratio.cpu", "cpu"),
        ("spaced-open latency, median", "spaced.{}.latency", "ratio.latency", "latency"),
    ]
    for count in clients:
        measures += [(f"opens/s, {count} clients", f"c{count}.{{}}.rate", f"ratio.rate_c{count}", "rate"),
                     (f"p50 latency, {count} clients", f"c{count}.{{}}.p50", "", ""),
                     (f"p95 latency, {count} clients", f"c{count}.{{}}.p95", f"ratio.p95_c{count}", "p95"),
                     (f"Orthanc CPU per open, {count} clients (net of idle)", f"c{count}.{{}}.cpu", "", "")]
    rows = []
    for label, key, ratio_key, target in measures:
        row = [label]
        for size in sizes:
            row += [cell(figure_of(result, size, key.format("json"))),
                    cell(figure_of(result, size, key.format("dicomweb"))),
                    f"**{cell(figure_of(result, size, ratio_key))}**" if ratio_key else ""]
        rows.append([*row, OPEN_COST_TARGETS.get(target, "")])
    row = ["studies assembled during the ohif-dicom-json opens (spaced and concurrent)"]
    for size in sizes:
        found = [median(result, size, key) for key in ("spaced.json.assembled",
                                                       *(f"c{count}.json.assembled" for count in clients))]
        known = [value for value in found if value is not None]
        row += [number(sum(known)) if known else "–", "", ""]
    rows.append([*row, OPEN_COST_TARGETS["assembled"]])
    return rows


def section_open_cost(chosen: dict[Kind, Result]) -> list[str]:
    found = of_bench(chosen, "bench_open_cost")
    lines = ["## What an open costs the server", "",
             "`bench.bench_open_cost`: one Orthanc (SQLite, Preload on, DICOMweb loaded and enabled) holding "
             "distinct studies of each size (64×64 CT, one series), every summary and every study's answer "
             "stored, DICOMweb's metadata cache filled where it has one. Each study size is opened both ways in "
             "the same Orthanc: ohif-dicom-json (`GET /studies/{id}/ohif-dicom-json`) and OHIF's DICOMweb "
             "requests (QIDO study, QIDO series, `/series/{uid}/metadata`). *Spaced opens*: distinct studies "
             "opened one at a time, each from a new connection, with Orthanc's CPU time (the whole process, "
             "its background threads included) read before and after each, less what Orthanc uses idle. "
             "*Concurrent*: clients each opening random studies of that size for a fixed time. *Memory*: "
             "Orthanc's VmRSS over many ohif-dicom-json opens of random studies of every size. Ratios are "
             "ohif-dicom-json / DICOMweb; the targets are the issue's, not asserted.", ""]
    if not found:
        return [*lines, f"No figure of record yet: run `{OPEN_COST_COMMAND}` once per release "
                "(`OHIF_DEBIAN_ROOT` for trixie and forky), then render this page again.", ""]
    for result in found:
        parameters = result.get("parameters", {})
        sizes = [int(size) for size in parameters.get("sizes", [])]
        cached = " DICOMweb's metadata cache filled." if parameters.get("dicomweb_cached") else ""
        notes = [f"- {note}" for note in result.get("notes", [])]  # an uncached DICOMweb, who loaded the studies
        busy = result["figures"]["idle"].get("elsewhere")
        elsewhere = f" The rest of the machine while measuring: {cell(busy)}." if busy else ""
        headers = ["measure"]
        for size in sizes:
            headers += [f"{size:,}: ohif-dicom-json", f"{size:,}: DICOMweb", f"{size:,}: ratio"]
        memory = result["figures"].get("memory", {})
        memory_rows = [[figure["label"], cell(figure), OPEN_COST_TARGETS["growth"] if key == "growth" else ""]
                       for key in ("rss_first", "rss_last", "growth", "assembled")
                       if (figure := memory.get(key))]
        lines += [f"### {result['release']}", "",
                  f"{versions(result)}.{cached} {parameters.get('studies', '?')} studies of each "
                  f"size; {parameters.get('spaced_opens', '?')} spaced opens {parameters.get('spacing', '?')} s "
                  f"apart; {parameters.get('duration', '?')} s per concurrent case. Orthanc idle: "
                  f"{cell(figure_of(result, 'idle', 'cpu'))}.{elsewhere}", "", *([*notes, ""] if notes else []),
                  *table([*headers, "target (ratio)"], open_cost_rows(result)),
                  f"Memory, {parameters.get('memory_clients', '?')} clients:", "",
                  *table(["measure", "value", "target"], memory_rows),
                  f"Ended {when(result)}.", ""]
    return [*lines, f"![Orthanc CPU per spaced open and opens per second, ohif-dicom-json vs DICOMweb]"
            f"({PLOTS['open_cost']})", "", *sources(found)]


INGEST_COLUMNS = (
    ("rate.plain", "plain"), ("rate.preload", "Preload on"), ("ratio.upload", "Preload on / plain"),
    ("ratio.control", "plain again / plain"), ("ratio.cpu", "Orthanc CPU per instance, Preload on / plain"),
    ("ratio.summaries", "until every summary stored / plain"),
)


def section_ingestion(chosen: dict[Kind, Result]) -> list[str]:
    variants = sorted({variant for bench, variant, _ in chosen if bench == "bench_ingest"})
    every = [result for variant in variants for result in of_bench(chosen, "bench_ingest", variant)]
    if not every:
        return []
    rows = []
    for result in every:
        storage = result.get("parameters", {}).get("storage", "")
        for case in sorted(result["figures"], key=int):
            row = [result["release"], storage.removeprefix("storage "), f"{int(case):,}"]
            row += [cell(figure_of(result, case, key), with_unit=key.startswith("rate.")) for key, _ in INGEST_COLUMNS]
            row[5] = f"**{row[5]}**"
            rows.append(row)
    return ["## Ingestion with Preload on, against plain Orthanc", "",
            "`bench.bench_ingest`: paired rounds, each a fresh plain Orthanc, a fresh Orthanc with the plugin "
            "and a second plain Orthanc as control, in rotating order; 4 upload clients; ratios within each "
            "round.", "",
            *table(["Debian", "storage", "instances", *(label for _, label in INGEST_COLUMNS)], rows, right=2),
            f"![Ingestion, Preload on / plain, per release]({PLOTS['ingestion']})", "",
            *sources(every)]


def transposed(title: str, intro: str, found: Sequence[Result], case_of: dict[str, str]) -> list[str]:
    """One row per measure, one column per release: for results with one case and many measures."""
    keys: list[str] = []
    labels: dict[str, str] = {}
    for result in found:
        for key, figure in result["figures"].get(case_of[result["_file"]], {}).items():
            if key not in labels:
                keys.append(key)
                labels[key] = figure["label"]
    rows = [[labels[key], *(cell(figure_of(result, case_of[result["_file"]], key)) for result in found)]
            for key in keys]
    headers = ["measure", *(f"{result['release']} ({versions(result)})" for result in found)]
    return [title, "", intro, "", *table(headers, rows), *sources(found)]


def by_case(title: str, intro: str, result: Result, cases: Sequence[str] | None = None) -> list[str]:
    """One row per case, one column per measure."""
    cases = list(cases or result["figures"])
    keys: list[str] = []
    labels: dict[str, str] = {}
    for case in cases:
        for key, figure in result["figures"][case].items():
            if key not in labels:
                keys.append(key)
                labels[key] = figure["label"] + (f" ({figure['unit']})" if figure.get("unit") else "")
    rows = [[case, *(cell(figure_of(result, case, key), with_unit=False) for key in keys)] for case in cases]
    notes = [f"- {note}" for note in result.get("notes", [])]
    return [title, "", intro, "", *table(["", *(labels[key] for key in keys)], rows),
            *([*notes, ""] if notes else []),
            f"{result['release']}, {versions(result)}; {when(result)}; {link(result)}.", ""]


def section_core(chosen: dict[Kind, Result]) -> list[str]:
    found = of_bench(chosen, "bench_core")
    if not found:
        return []
    return transposed(
        "## Ingestion and ohif-dicom-json assembled anew (bench_core)",
        "`bench.bench_core`: plain Orthanc, the plugin with Preload on and with Preload off, each fresh; "
        "ohif-dicom-json here is the answer assembled anew from the stored summaries (a first request "
        "with a new token), next to Orthanc's own `/studies/{id}/instances?expand`. The pure-Python rows "
        "are the plugin's own code run in the benchmark's interpreter.",
        found, {result["_file"]: str(result["parameters"].get("instances")) for result in found})


def sections_single(chosen: dict[Kind, Result]) -> list[str]:
    lines: list[str] = []
    texts = {
        "bench_curve": ("## The study-size curve (bench_curve)",
                        "`bench.bench_curve`: bench_core's measures at several study sizes (instances per row); "
                        "per-instance costs that stay flat mean linear scaling."),
        "bench_viewer_load": ("## The first viewer load (bench_viewer_load)",
                              "`bench.bench_viewer_load`: a small study (24 instances) opened from Orthanc Explorer "
                              "in a fresh browser context: time to the first image, requests and bytes on the wire."),
        "bench_memory": ("## Memory over many requests (bench_memory)",
                         "`bench.bench_memory`: Orthanc's resident memory (VmRSS) over a series of requests sent "
                         "one after the other on one connection, plugin and plain Orthanc."),
        "bench_scale_out": ("## Scale-out: the study JSON on a second server (bench_scale_out)",
                            "`bench.bench_scale_out`: servers sharing a PostgreSQL index and storage folder; the "
                            "study JSON asked of the server that did not ingest, next to one SQLite server."),
        "bench_backfill": ("## A running backfill's cost (bench_backfill)",
                           "`bench.bench_backfill`: two servers with the same data, one running "
                           "`BackfillOnStartup`, measured alternately in pairs."),
        "cpp_plugin": ("## The C++ plugin's recorded figures",
                       "The reference series the plugin's figures are set against (medians)."),
    }
    for bench, (title, intro) in texts.items():
        for result in of_bench(chosen, bench):
            lines += by_case(title + ("" if result["release"] == "bookworm" else f", {result['release']}"),
                             intro, result)
    return lines


# --- Plots --------------------------------------------------------------------------------------------


def seconds(figure: dict[str, Any] | None, key: str = "median") -> float | None:
    if not figure or figure.get(key) is None:
        return None
    value = float(figure[key])
    return value / 1000 if figure.get("unit") == "ms" else value


def plot_study_json(chosen: dict[Kind, Result], path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    colors = {"bookworm": "tab:red", "trixie": "tab:blue", "forky": "tab:green"}
    for result in of_bench(chosen, "bench_dicomweb"):
        color = colors.get(result["release"], "tab:gray")
        sizes = [size for size, case in ((2000, "2000x1"), (10000, "10000x1")) if case in result["figures"]]
        for key, style, what in (("json", "-o", "ohif-dicom-json"), ("dicomweb", "--s", "DICOMweb")):
            values = [seconds(figure_of(result, f"{size}x1", key)) or math.nan for size in sizes]
            axes.plot(sizes, values, style, color=color, label=f"{what}, {result['release']}")
    cpp = chosen.get(("cpp_plugin", "", "bookworm"))
    if cpp is not None:
        points = sorted((int(case), float(median(cpp, case, "json.with_summaries") or math.nan))
                        for case in cpp["figures"] if case.isdigit())
        axes.plot([size for size, _ in points], [value for _, value in points], "k^:",
                  label="C++ plugin (recorded), bookworm")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("instances in the study (one series)")
    axes.set_ylabel("study metadata, median (s)")
    axes.set_title("The viewer's study metadata: ohif-dicom-json vs DICOMweb")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, ncol=2)
    save(figure, path)


def plot_ingestion(chosen: dict[Kind, Result], path: Path) -> None:
    import matplotlib.pyplot as plt

    found = of_bench(chosen, "bench_ingest")
    figure, axes = plt.subplots(figsize=(7, 4))
    sizes = sorted({int(case) for result in found for case in result["figures"]})
    width = 0.8 / max(1, 2 * len(sizes))
    for index, size in enumerate(sizes):
        for offset, (key, label, hatch) in enumerate((("ratio.upload", "Preload on / plain", ""),
                                                      ("ratio.control", "plain again / plain (control)", "//"))):
            xs, heights, low, high = [], [], [], []
            for position, result in enumerate(found):
                found_figure = figure_of(result, str(size), key)
                if not found_figure or found_figure.get("median") is None:
                    continue
                middle = found_figure["median"]
                xs.append(position + (2 * index + offset - len(sizes) + 0.5) * width)
                heights.append(middle)
                low.append(middle - (found_figure.get("min") if found_figure.get("min") is not None else middle))
                high.append((found_figure.get("max") if found_figure.get("max") is not None else middle) - middle)
            axes.bar(xs, heights, width, yerr=[low, high], capsize=3, hatch=hatch,
                     color=f"C{index}", alpha=0.55 if hatch else 0.9, label=f"{label}, {size:,} instances")
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_xticks(range(len(found)), [result["release"] for result in found])
    axes.set_ylabel("upload rate ratio (median, min–max)")
    storage = sorted({str(result.get("parameters", {}).get("storage", "")) for result in found})
    axes.set_title("Ingestion, paired rounds, " + "; ".join(storage))
    axes.legend(fontsize=7, loc="lower right")
    save(figure, path)


def plot_full_open(chosen: dict[Kind, Result], path: Path) -> None:
    import matplotlib.pyplot as plt

    found = [result for result in of_bench(chosen, "bench_dicomweb") if "viewer dicom-json" in result["figures"]]
    figure, panes = plt.subplots(1, 2, figsize=(8, 4))
    for pane, (key, title) in zip(panes, (("first", "first image drawn"), ("all", "every image received")),
                                  strict=True):
        for offset, source in enumerate(("dicom-json", "dicom-web")):
            xs, heights, low, high = [], [], [], []
            for position, result in enumerate(found):
                found_figure = figure_of(result, f"viewer {source}", key)
                if not found_figure or found_figure.get("median") is None:
                    continue
                middle = found_figure["median"]
                xs.append(position + (offset - 0.5) * 0.38)
                heights.append(middle)
                low.append(middle - (found_figure.get("min") if found_figure.get("min") is not None else middle))
                high.append((found_figure.get("max") if found_figure.get("max") is not None else middle) - middle)
            pane.bar(xs, heights, 0.38, yerr=[low, high], capsize=3, color=f"C{offset}", label=source)
        pane.set_xticks(range(len(found)), [result["release"] for result in found])
        pane.set_title(title)
        pane.set_ylabel("seconds (median, min–max)")
    panes[0].legend(fontsize=8)
    figure.suptitle("OHIF opened in Chromium, per data source")
    save(figure, path)


def plot_open_cost(chosen: dict[Kind, Result], path: Path) -> None:
    import matplotlib.pyplot as plt

    found = of_bench(chosen, "bench_open_cost")
    figure, panes = plt.subplots(1, 2, figsize=(9, 5))
    if not found:
        for pane in panes:
            pane.set_axis_off()
        figure.text(0.5, 0.5, "No figure of record yet", ha="center", va="center", fontsize=12)
        figure.suptitle("What an open costs the server")
        save(figure, path)
        return
    paths = (("json", "ohif-dicom-json"), ("dicomweb", "DICOMweb"))
    sizes = sorted({int(size) for result in found for size in result.get("parameters", {}).get("sizes", [])})
    clients = sorted({int(count) for result in found for count in result.get("parameters", {}).get("clients", [])})
    hatches = ("", "//", "..", "xx", "\\\\", "++")
    for pane, cases, title, unit in (
            (panes[0], [(size, "spaced.{}.cpu", f"{size:,} inst.") for size in sizes],
             "Orthanc CPU per spaced open (net of idle)", "ms"),
            (panes[1], [(size, f"c{count}.{{}}.rate", f"{size:,} inst., {count} clients")
                        for size in sizes for count in clients], "opens per second", "opens/s")):
        bars = 2 * len(cases)
        width = 0.8 / max(1, bars)
        for index, (size, key, label) in enumerate(cases):
            for offset, (name, what) in enumerate(paths):
                xs, heights = [], []
                for position, result in enumerate(found):
                    value = median(result, str(size), key.format(name))
                    if value is not None and value > 0:
                        xs.append(position + (2 * index + offset - bars / 2 + 0.5) * width)
                        heights.append(value)
                pane.bar(xs, heights, width, color=f"C{offset}", hatch=hatches[index % len(hatches)],
                         edgecolor="black", linewidth=0.4, label=f"{what}, {label}")
        pane.set_xticks(range(len(found)), [result["release"] for result in found])
        pane.set_yscale("log")
        pane.set_ylabel(f"{unit} (log scale)")
        pane.set_title(title, fontsize=10)
        pane.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2)
    figure.suptitle("What an open costs the server: ohif-dicom-json vs DICOMweb")
    save(figure, path)


def save(figure: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)


# --- Main ---------------------------------------------------------------------------------------------


def render(results: Sequence[Result]) -> str:
    chosen = of_record(results)
    lines = [
        "# Performance",
        "",
        "<!-- Generated from bench/results/*.json: do not edit. -->",
        f"Generated by `{COMMAND}` from the result files in [`bench/results/`](../bench/results/); "
        "do not edit by hand. After a benchmark run, render again; "
        f"`{COMMAND} --check` fails when this page is out of date with the result files.",
        "",
        METHOD,
        *section_index(chosen),
        *section_study_json(chosen),
        *section_open_cost(chosen),
        *section_ingestion(chosen),
        *section_core(chosen),
        *sections_single(chosen),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def draw(results: Sequence[Result], docs: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "performance"
    chosen = of_record(results)
    paths = {name: docs / relative for name, relative in PLOTS.items()}
    plot_study_json(chosen, paths["study_json"])
    plot_ingestion(chosen, paths["ingestion"])
    plot_full_open(chosen, paths["full_open"])
    plot_open_cost(chosen, paths["open_cost"])
    return list(paths.values())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.render_performance", description=__doc__.split("\n")[0])
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="result files to read (bench/results)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the page to write (docs/performance.md); "
                        "the plots go to images/ beside it")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the page or a plot is missing or the page is out of date")
    args = parser.parse_args(argv)
    results = load(args.results_dir)
    text = render(results)
    if args.check:
        problems = []
        if not args.output.exists() or args.output.read_text() != text:
            problems.append(f"{args.output} is out of date with {args.results_dir}")
        problems += [f"{args.output.parent / relative} is missing" for relative in PLOTS.values()
                     if not (args.output.parent / relative).exists()]
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"Run: {COMMAND}", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    for path in draw(results, args.output.parent):
        print(f"Wrote {path}")
    print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
