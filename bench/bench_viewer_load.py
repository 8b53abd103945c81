"""First viewer load, as a user gets it: requests, bytes on the wire, time to first image.

Run on demand: ``.venv/bin/python -m bench.bench_viewer_load [--runs 5] [--results-dir bench/results]``.
A fresh browser context (empty cache) opens the study from Orthanc Explorer's
button each run, with Orthanc's HttpCompressionEnabled both true and false.
Bytes are the transfer sizes of the Resource Timing API (encoded bodies and headers),
next to the decoded body sizes of the same answers; CPU is the Orthanc
process's user + system time from opening Orthanc Explorer to the network
going idle in the viewer. Each load is printed as it ends (on stderr), then the
medians as a Markdown table: OHIF loads a varying number of its lazy chunks
before the network goes idle, so the study answer's own bytes are given apart.
Every load is kept in the run's result file (:mod:`bench.results`).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

from bench import results as result_files
from bench.bench_core import Environment, cpu_seconds
from harness.chromium import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    click_viewer_button,
    open_explorer_study,
    upload_study,
    wait_until_drawn,
)
from harness.orthanc_server import OrthancServer
from ohif_plugin.codings import is_variant_file
from ohif_plugin.demo import samples as factory


def one_load(browser: Browser, server: OrthancServer, study_id: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    cpu = cpu_seconds(server)
    open_explorer_study(page, server, study_id)
    viewer, start = click_viewer_button(page)
    wait_until_drawn(viewer)
    elapsed = time.monotonic() - start
    viewer.wait_for_load_state("networkidle")
    entries = resource_entries(viewer)
    cpu_used = cpu_seconds(server) - cpu
    # The same viewer again in the same browser: what still reaches the server (and Python).
    again = context.new_page()
    again.goto(viewer.url)
    wait_until_drawn(again)
    again.wait_for_load_state("networkidle")
    reached = [entry for entry in resource_entries(again) if entry["size"] > 0]
    context.close()
    study = [entry for entry in entries if STUDY_ROUTE.search(entry["name"])]
    return {
        "seconds": elapsed,
        "requests": len(entries),
        "scripts": sum(1 for entry in entries if SCRIPT.search(entry["name"])),
        "study_bytes": sum(entry["size"] for entry in study),
        "bytes": sum(entry["size"] for entry in entries),
        "decoded": sum(entry["decoded"] for entry in entries),
        "cpu": cpu_used,
        "again": len(reached),
        "again_python": sum(1 for entry in reached if PYTHON_ROUTE.search(entry["name"])),
    }


PYTHON_ROUTE = re.compile(r"/ohif(/|$)|/ohif-dicom-json")
"""The plugin's routes: each request there runs a Python callback."""
STUDY_ROUTE = re.compile(r"/ohif-dicom-json")
"""The study's answer, the one part of the load that depends on the study."""
SCRIPT = re.compile(r"\.js(\?|$)")
"""OHIF's code chunks: how many load before the network goes idle varies from load to load."""


def resource_entries(page: Page) -> list[dict[str, Any]]:
    """Resource Timing of the page and everything it loaded (transfer size 0: from the browser's cache)."""
    entries: list[dict[str, Any]] = page.evaluate(
        "() => performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))"
        ".map(e => ({name: e.name, size: e.transferSize, decoded: e.decodedBodySize}))"
    )
    return entries


LOAD_MEASURES = {
    "seconds": ("s", "click to first image"),
    "cpu": ("s", "Orthanc CPU per load"),
    "requests": ("", "requests"),
    "scripts": ("", "of them, OHIF's scripts"),
    "bytes": ("B", "bytes on the wire"),
    "decoded": ("B", "same, decoded"),
    "study_bytes": ("B", "study answer on the wire"),
    "again": ("", "next load: requests reaching Orthanc"),
    "again_python": ("", "next load: of them, Python"),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    result_files.add_arguments(parser)
    arguments = parser.parse_args(argv)
    environment = Environment()
    all_loads: dict[str, list[dict[str, float]]] = {}
    bundle = Path("static/ohif-dist")
    raw_bundle = sum(path.stat().st_size for path in bundle.rglob("*") if path.is_file() and not is_variant_file(path))
    print(f"raw bundle on disk: {raw_bundle / 1e6:.1f} MB ({arguments.runs} runs, medians)")
    print("| HttpCompressionEnabled | click to first image | Orthanc CPU per load | requests (scripts) "
          "| bytes on the wire | same, decoded | wire / decoded | study answer on the wire "
          "| next load: requests reaching Orthanc (of them, Python) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for compression in (True, False):
            with tempfile.TemporaryDirectory() as folder:
                server = OrthancServer(Path(folder), configuration={"HttpCompressionEnabled": compression})
                server.start()
                environment.note_versions(server)
                spec = factory.StudySpec(patient_name="Bench^Viewer")
                study_id = upload_study(server, list(factory.study_files(spec, {"Axial": 24}, size=256)))
                loads = []
                for _ in range(arguments.runs):
                    loads.append(one_load(browser, server, study_id))
                    load = loads[-1]
                    print(f"  compression {str(compression).lower()}: {load['seconds']:.2f} s, "
                          f"{load['requests']:.0f} requests ({load['scripts']:.0f} scripts), "
                          f"{load['bytes'] / 1e6:.2f} MB, study answer {load['study_bytes'] / 1e3:.1f} kB",
                          file=sys.stderr, flush=True)
                server.stop()
            all_loads[f"HttpCompressionEnabled {str(compression).lower()}"] = loads
            def median(key: str, loads: list[dict[str, float]] = loads) -> float:
                return statistics.median(load[key] for load in loads)

            print(
                f"| {str(compression).lower()} | {median('seconds'):.2f} s | {median('cpu'):.2f} s | "
                f"{median('requests'):.0f} ({median('scripts'):.0f}) | {median('bytes') / 1e6:.2f} MB | "
                f"{median('decoded') / 1e6:.2f} MB | {median('bytes') / median('decoded'):.2f} | "
                f"{median('study_bytes') / 1e3:.1f} kB | {median('again'):.0f} ({median('again_python'):.0f}) |",
                flush=True,
            )
        browser.close()
    samples = {case: {key: [float(load[key]) for load in loads] for key in LOAD_MEASURES}
               for case, loads in all_loads.items()}
    result_files.write(
        arguments, bench="bench_viewer_load", title="first viewer load (24 instances, 256×256)",
        command=f".venv/bin/python -m bench.bench_viewer_load --runs {arguments.runs}",
        parameters={"runs": arguments.runs, "instances": 24, "raw_bundle_bytes": raw_bundle},
        figures={case: result_files.figures_of(found, LOAD_MEASURES) for case, found in samples.items()},
        samples=samples, environment=environment.record(),
    )


if __name__ == "__main__":
    main()
