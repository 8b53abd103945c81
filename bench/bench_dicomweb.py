"""The study's metadata for OHIF: the plugin's ohif-dicom-json next to DICOMweb with its metadata cache.

Run from the repository root (not a pytest test), once per Debian release::

    [OHIF_DEBIAN_ROOT=/var/cache/ohif-plugin/debian-roots/trixie] \\
        .venv/bin/python -m bench.bench_dicomweb [--runs 5] [--viewer-runs 3] [--results-dir bench/results]

One Orthanc with the plugin (Preload on, the default) and DICOMweb, SQLite,
receives each study (64x64 CT: 2,000 instances in one series, 10,000 in one
series, 2,000 in 8 series). Once every summary is stored, the study's answer
stored by the plugin when Orthanc found the study stable (``StableAge`` 2 s
here), and DICOMweb's cache filled (``POST /studies/{id}/update-dicomweb-cache``,
DICOMweb 1.15 and later), the first display is timed, then the viewer's study
metadata is fetched both ways, alternately:

- ohif-dicom-json: ``GET /studies/{id}/ohif-dicom-json``;
- DICOMweb, as OHIF asks: a QIDO study query, a QIDO series query, then
  ``/series/{uid}/metadata`` for each series.

Both with ``Accept-Encoding: gzip, deflate, br``; each figure is the median
of the runs, with min and max. An open of a stored answer starts no
background work; before each request the bench still waits until the plugin
reports no answer waiting to be stored (``StoredAnswers.QueueLength`` 0 in
``/ohif/api/status``), and reports how long that wait took. OHIF is also
opened ``--viewer-runs`` times (3 by default) with each data source, in
headless Chromium from Orthanc Explorer's button, on the 2,000-instance
study: the time to the first image drawn, and to every image of the stack
received.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import results as result_files
from bench.bench_core import (
    Environment,
    log,
    publish,
    report_header,
    timed,
    upload_all,
    wait_for_summaries,
)
from harness.orthanc_server import DICOMWEB_PLUGIN, PYTHON_PLUGIN, RELEASE, OrthancServer
from ohif_plugin.demo.samples import StudySpec, ct_series, to_bytes

HEADERS = {"Accept-Encoding": "gzip, deflate, br"}
CACHE_TIMEOUT = 600.0
STABLE_AGE = 2
"""Orthanc's StableAge: seconds after its last instance that a study is stable (60 by default)."""
IMAGES_TIMEOUT = float(os.environ.get("OHIF_BENCH_IMAGES_TIMEOUT", "300"))
"""Seconds to wait for every image of the stack in the viewer."""


@dataclass(frozen=True)
class Shape:
    label: str
    instances: int
    series: int


SHAPES = (Shape("2,000 instances, 1 series", 2000, 1), Shape("10,000 instances, 1 series", 10000, 1),
          Shape("2,000 instances, 8 series", 2000, 8))


def study_files(shape: Shape) -> list[bytes]:
    spec = StudySpec(patient_name="Bench^DICOMweb")
    per_series = shape.instances // shape.series
    return [to_bytes(dataset) for number in range(1, shape.series + 1)
            for dataset in ct_series(spec, per_series, series_number=number)]


@contextlib.contextmanager
def running(folder: Path, data_source: str) -> Iterator[OrthancServer]:
    server = OrthancServer(folder, plugins=(PYTHON_PLUGIN, DICOMWEB_PLUGIN), ohif={"DataSource": data_source},
                           configuration={"DicomWeb": {"Enable": True}, "StableAge": STABLE_AGE})
    server.start(timeout=60)
    try:
        yield server
    finally:
        server.stop()


def get_all(session: requests.Session, url: str) -> bytes:
    answer = session.get(url, headers=HEADERS, timeout=600)
    answer.raise_for_status()
    return answer.content


def fill_dicomweb_cache(server: OrthancServer, study_id: str) -> bool:
    """Whether this DICOMweb has the metadata cache (1.15 and later); it is filled when True."""
    answer = server.session.post(f"{server.url}/studies/{study_id}/update-dicomweb-cache", timeout=CACHE_TIMEOUT)
    if answer.status_code == 404:
        return False
    answer.raise_for_status()
    series = server.get(f"/studies/{study_id}").json()["Series"]
    deadline = time.monotonic() + CACHE_TIMEOUT
    while not all("4301" in server.get(f"/series/{item}/attachments").json() for item in series):
        if time.monotonic() > deadline:
            raise TimeoutError("DICOMweb's metadata cache was not filled")
        time.sleep(0.2)
    return True


def wait_for_stored_answer(server: OrthancServer, study_id: str) -> None:
    """Until the answer that the study's becoming stable stored is there and every check done."""
    deadline = time.monotonic() + 120 + STABLE_AGE
    while "4202" not in server.get(f"/studies/{study_id}/attachments").json():
        if time.monotonic() > deadline:
            raise TimeoutError("the study's answer was not stored")
        time.sleep(0.1)
    server.wait_until_stored_answers_done(timeout=120)


def list_study(session: requests.Session, server: OrthancServer, study_id: str, extended_find: bool) -> None:
    """The requests the plugin makes to check a stored answer's ETag (``OrthancInstanceStore.study_listing``)."""
    if extended_find:
        get_all(session, f"{server.url}/studies/{study_id}/metadata/LastUpdate")
        query = {"Level": "Series", "ParentStudy": study_id, "Query": {}, "ResponseContent": ["Children", "Metadata"]}
        session.post(f"{server.url}/tools/find", json=query, timeout=600).raise_for_status()
    else:
        study = session.get(f"{server.url}/studies/{study_id}", timeout=600).json()
        for series_id in study["Series"]:
            get_all(session, f"{server.url}/series/{series_id}")


def measure_shape(server: OrthancServer, shape: Shape, runs: int) -> dict[str, object]:
    files = study_files(shape)
    log(f"{shape.label}: uploading")
    upload = upload_all(server.url, files, clients=4)
    wait_for_summaries(server.url, upload.instance_ids)
    cached = fill_dicomweb_cache(server, upload.study_id)
    study_uid = server.get(f"/studies/{upload.study_id}").json()["MainDicomTags"]["StudyInstanceUID"]
    dicom_web = f"{server.url}/dicom-web"
    extended_find = server.get("/system").json().get("Capabilities", {}).get("HasExtendedFind") is True
    with requests.Session() as session:
        wait_for_stored_answer(server, upload.study_id)

        def ohif_dicom_json() -> None:
            get_all(session, f"{server.url}/studies/{upload.study_id}/ohif-dicom-json")

        first_seconds = timed(ohif_dicom_json)

        def dicomweb() -> None:
            get_all(session, f"{dicom_web}/studies?StudyInstanceUID={study_uid}")
            series = requests.get(f"{dicom_web}/studies/{study_uid}/series", headers=HEADERS, timeout=600).json()
            for item in series:
                get_all(session, f"{dicom_web}/studies/{study_uid}/series/{item['0020000E']['Value'][0]}/metadata")

        dicomweb()  # warm, as the JSON was
        json_seconds, check_seconds, dicomweb_seconds, listing_seconds, read_seconds = [], [], [], [], []
        for _ in range(runs):
            # Where a stored answer's time goes, asked from outside: the ETag's listing, the read.
            listing_seconds.append(timed(lambda: list_study(session, server, upload.study_id, extended_find)))
            read_seconds.append(timed(lambda: get_all(session, f"{server.url}/studies/{upload.study_id}"
                                                                 "/attachments/4202/data")))
            # An answer still waiting to be stored (work holding the GIL) would be timed as part
            # of the next request; a stored answer sent starts none, so this wait is short.
            server.wait_until_stored_answers_done(timeout=120)
            json_seconds.append(timed(ohif_dicom_json))
            check_seconds.append(timed(lambda: server.wait_until_stored_answers_done(timeout=120)))
            dicomweb_seconds.append(timed(dicomweb))
    server.session.delete(f"{server.url}/studies/{upload.study_id}", timeout=600).raise_for_status()
    return {"shape": shape, "first": first_seconds, "json": json_seconds, "check": check_seconds,
            "dicomweb": dicomweb_seconds, "listing": listing_seconds, "read": read_seconds, "cached": cached}


def viewer_open(folder: Path, data_source: str, files: list[bytes], runs: int) -> list[dict[str, float]]:
    """Seconds from the click in Orthanc Explorer to the first image, and to every image received.

    One server, ``runs`` opens, each in a new browser context (an empty cache).
    """
    from playwright.sync_api import Response, sync_playwright

    from harness.chromium import (
        CHROMIUM,
        CHROMIUM_FLAGS,
        NO_TOUR,
        click_viewer_button,
        open_explorer_study,
        wait_until_drawn,
    )

    opens = []
    with running(folder, data_source) as server, sync_playwright() as playwright:
        upload = upload_all(server.url, files, clients=4)
        fill_dicomweb_cache(server, upload.study_id)
        if data_source == "dicom-json":  # with dicom-web, the plugin stores no summaries
            wait_for_summaries(server.url, upload.instance_ids)
            wait_for_stored_answer(server, upload.study_id)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(runs):
            server.wait_until_stored_answers_done(timeout=120)
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(NO_TOUR)
            page = context.new_page()
            open_explorer_study(page, server, upload.study_id)
            images: list[float] = []

            def on_response(response: Response, images: list[float] = images) -> None:
                if "/frames/" in response.url or response.url.endswith("/file"):
                    images.append(time.monotonic())

            context.on("response", on_response)
            viewer, start = click_viewer_button(page)
            wait_until_drawn(viewer)
            first = time.monotonic() - start
            deadline = time.monotonic() + IMAGES_TIMEOUT
            while len(images) < len(files) and time.monotonic() < deadline:
                viewer.wait_for_timeout(200)
            everything = (images[-1] - start) if len(images) >= len(files) else float("nan")
            opens.append({"first": first, "all": everything, "images": float(len(images))})
            log(f"  {data_source}: first image {first:.2f} s, every image {everything:.1f} s")
            context.close()
        browser.close()
    return opens


def describe(values: Sequence[float]) -> str:
    return f"{statistics.median(values) * 1000:,.0f} ms ({min(values) * 1000:,.0f}–{max(values) * 1000:,.0f})"


def describe_seconds(values: Sequence[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} s ({min(values):.{digits}f}–{max(values):.{digits}f})"


def report(results: list[dict[str, object]], viewer: dict[str, list[dict[str, float]]], runs: int,
           environment: Environment) -> list[str]:
    lines = report_header(f"ohif-dicom-json vs DICOMweb's metadata cache, Debian {RELEASE}", environment,
                          "python -m bench.bench_dicomweb")
    lines += [f"Medians of {runs} runs (min–max), `Accept-Encoding: gzip, deflate, br`, Preload on.", "",
              "Before each request the stored-answer queue is let empty (an open of a stored answer adds "
              "nothing to it); \"check after\" is the time until the status said so (polled every 50 ms).", "",
              "\"First display\" is the study's first request, answered from what its becoming stable stored.", "",
              "| study | first display | ohif-dicom-json (stored answer) | DICOMweb, OHIF's requests | ratio "
              "| check after |",
              "|---|---|---|---|---|---|"]
    for result in results:
        shape, json_seconds, check_seconds, first_seconds = result["shape"], result["json"], result["check"], \
            result["first"]
        dicomweb_seconds = result["dicomweb"]
        assert isinstance(shape, Shape) and isinstance(json_seconds, list) and isinstance(dicomweb_seconds, list)
        assert isinstance(check_seconds, list) and isinstance(first_seconds, float)
        cache = "cached" if result["cached"] else "no cache (DICOMweb before 1.15)"
        ratio = statistics.median(json_seconds) / statistics.median(dicomweb_seconds)
        lines.append(f"| {shape.label} | {first_seconds * 1000:,.0f} ms | {describe(json_seconds)} "
                     f"| {describe(dicomweb_seconds)}, {cache} "
                     f"| **{ratio:.2f}** | {describe(check_seconds)} |")
    lines += ["", "Where a stored answer's time goes, the same requests asked over HTTP: the listing that "
              "its ETag is checked against, and the read of the study's attachment 4202.", "",
              "| study | listing | attachment read |", "|---|---|---|"]
    for result in results:
        shape, listing_seconds, read_seconds = result["shape"], result["listing"], result["read"]
        assert isinstance(shape, Shape) and isinstance(listing_seconds, list) and isinstance(read_seconds, list)
        lines.append(f"| {shape.label} | {describe(listing_seconds)} | {describe(read_seconds)} |")
    if viewer:
        opens = len(next(iter(viewer.values())))
        lines += ["", f"OHIF opened from Orthanc Explorer (headless Chromium, empty cache), 2,000 instances, "
                  f"medians of {opens} opens (min–max):", "",
                  "| data source | first image drawn | every image received |", "|---|---|---|"]
        for source, figures in viewer.items():
            first = [figure["first"] for figure in figures]
            every = [figure["all"] for figure in figures]
            received = f"{describe_seconds(every)}" if not any(map(math.isnan, every)) else \
                f"not all within {IMAGES_TIMEOUT:.0f} s ({min(figure['images'] for figure in figures):.0f} images)"
            lines.append(f"| {source} | {describe_seconds(first, 2)} | {received} |")
    return [*lines, ""]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_dicomweb", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--viewer-runs", type=int, default=3, help="full opens in Chromium per data source "
                        "(3; 0 skips them)")
    result_files.add_arguments(parser)
    args = parser.parse_args(argv)
    environment = Environment()
    with tempfile.TemporaryDirectory(prefix="ohif-bench-dicomweb-") as folder:
        with running(Path(folder) / "json", "dicom-json") as server:
            environment.note_versions(server)
            results = [measure_shape(server, shape, args.runs) for shape in SHAPES]
        viewer = {}
        if args.viewer_runs:
            files = study_files(SHAPES[0])
            for source in ("dicom-json", "dicom-web"):
                log(f"viewer with {source}")
                viewer[source] = viewer_open(Path(folder) / f"viewer-{source}", source, files, args.viewer_runs)
    publish(report(results, viewer, args.runs, environment))
    write_result(args, results, viewer, environment)
    return 0


SHAPE_MEASURES = {
    "json": ("ms", "ohif-dicom-json, stored answer"),
    "dicomweb": ("ms", "DICOMweb, OHIF's requests"),
    "check": ("ms", "background check after"),
    "listing": ("ms", "listing the ETag is checked against"),
    "read": ("ms", "attachment 4202 read"),
    "first": ("ms", "first display"),
}
VIEWER_MEASURES = {"first": ("s", "first image drawn"), "all": ("s", "every image received")}


def write_result(args: argparse.Namespace, results: list[dict[str, object]],
                 viewer: dict[str, list[dict[str, float]]], environment: Environment) -> None:
    figures: result_files.Cases = {}
    samples: dict[str, dict[str, list[float]]] = {}
    cached = {}
    for result in results:
        shape = result["shape"]
        assert isinstance(shape, Shape)
        case = f"{shape.instances}x{shape.series}"
        cached[case] = bool(result["cached"])
        samples[case] = {}
        for key in SHAPE_MEASURES:
            found = result[key]
            values = [found] if isinstance(found, float) else found
            assert isinstance(values, list)
            samples[case][key] = [value * 1000 for value in values]
        figures[case] = result_files.figures_of(samples[case], SHAPE_MEASURES)
        json_median, dicomweb_median = figures[case]["json"]["median"], figures[case]["dicomweb"]["median"]
        figures[case]["ratio"] = {"label": "ohif-dicom-json / DICOMweb", "unit": "×",
                                  "median": json_median / dicomweb_median, "min": None, "max": None, "n": None}
    for source, opens in viewer.items():
        case = f"viewer {source}"
        samples[case] = {key: [found[key] for found in opens] for key in VIEWER_MEASURES}
        figures[case] = result_files.figures_of(samples[case], VIEWER_MEASURES)
    result_files.write(
        args, bench="bench_dicomweb", title="ohif-dicom-json vs DICOMweb's metadata cache; the full open",
        command=f".venv/bin/python -m bench.bench_dicomweb --runs {args.runs} --viewer-runs {args.viewer_runs}",
        parameters={"runs": args.runs, "viewer_runs": args.viewer_runs, "viewer_instances": SHAPES[0].instances,
                    "accept_encoding": HEADERS.get("Accept-Encoding"), "dicomweb_cached": cached},
        figures=figures, samples=samples, environment=environment.record(),
    )


if __name__ == "__main__":
    sys.exit(main())
