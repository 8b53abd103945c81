"""The studies of :mod:`bench.bench_open_cost`: generated, loaded into an Orthanc without DICOMweb until
every summary and every study's answer is stored (that Orthanc stopped once, after the first studies, to
gather SQLite's statistics), and that storage kept for the next release's run.

Loading is most of a run's time: the plugin summarizes every instance as it arrives, on one core. The
storage a run loaded can be kept (``--loaded-storage``) and copied by the run on another release, whose
Orthanc opens an older release's database as it does on an upgrade; what is measured (the restarted Orthanc,
its DICOMweb cache, its opens) is that release's own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

from bench.bench_core import log, upload_all
from bench.bench_dicomweb import wait_for_stored_answer
from harness.orthanc_server import PYTHON_PLUGIN, OrthancServer
from ohif_plugin.demo.samples import StudySpec, ct_series, to_bytes

SUMMARY_TIMEOUT = 1800.0
STORAGE = "storage"
"""The folder, within an :class:`OrthancServer`'s, that holds its database and files."""
LOADED = "loaded.json"
"""Beside a kept storage: what was loaded into it, by which Orthanc."""


def status(server: OrthancServer) -> dict[str, Any]:
    found: dict[str, Any] = server.get("/ohif/api/status").json()
    return found


def study_files(instances: int, number: int) -> list[bytes]:
    spec = StudySpec(patient_id=f"OPEN-{number:04d}", patient_name=f"Bench^Open{number:04d}",
                     study_description=f"Open cost, {instances} instances")
    return [to_bytes(dataset) for dataset in ct_series(spec, instances)]


def load_studies(server: OrthancServer, plan: Sequence[tuple[int, int]], clients: int) -> dict[int, list[str]]:
    """Upload the studies of ``plan`` (size, number), the next one generated while the current one is sent."""
    total = sum(size for size, _ in plan)
    loaded: dict[int, list[str]] = {}
    started = time.monotonic()
    sent = 0
    with ThreadPoolExecutor(1) as generator:
        upcoming: Future[list[bytes]] = generator.submit(study_files, *plan[0])
        for index, (size, _) in enumerate(plan):
            files = upcoming.result()
            if index + 1 < len(plan):
                upcoming = generator.submit(study_files, *plan[index + 1])
            keep_pace_with_preload(server, sent)
            loaded.setdefault(size, []).append(upload_all(server.url, files, clients).study_id)
            sent += size
            if (index + 1) % 5 == 0 or index + 1 == len(plan):
                elapsed = time.monotonic() - started
                log(f"  uploaded {index + 1}/{len(plan)} studies, {sent:,}/{total:,} instances, "
                    f"{sent / elapsed:.0f} inst/s, about {(total - sent) * elapsed / sent:.0f} s to go")
    return loaded


PRELOAD_BACKLOG = 5_000
"""Instances sent and not yet summarized above which the next study waits: every instance is summarized
as it arrives, as in normal operation, and none is dropped from the preload queue (which would leave it to
its first display). Each study is then sent at once, so that it becomes stable once, when it is complete:
a study sent in parts, with waits longer than ``StableAge`` between them, becomes stable after each part,
and the stable-time work (the plugin's stored answer) is done again each time."""


def keep_pace_with_preload(server: OrthancServer, sent: int) -> None:
    """Wait while more than :data:`PRELOAD_BACKLOG` of the ``sent`` instances have no summary yet, or the
    preload queue holds more than that.

    Both: Orthanc hands new instances to the plugin from its change queue, which can lag behind the upload,
    so the preload queue can look short while thousands of instances are still to come into it; and a study
    that became stable has its summaries made with its answer, ahead of the preload, whose queue then holds
    instances that only need a look."""
    while True:
        found = status(server)
        if max(sent - found["SinceStart"]["SummariesComputed"], found["Preload"]["QueueLength"]) <= PRELOAD_BACKLOG:
            return
        time.sleep(1.0)


def wait_for_every_summary(server: OrthancServer, total: int) -> None:
    """Until the preload queue is empty and at least ``total`` summaries were computed, none failed."""
    deadline = time.monotonic() + SUMMARY_TIMEOUT
    while True:
        found = status(server)
        since = found["SinceStart"]
        if since["SummariesFailed"]:
            raise RuntimeError(f"{since['SummariesFailed']} summaries failed")
        if found["Preload"]["Dropped"]:
            raise RuntimeError(f"the preload queue dropped {found['Preload']['Dropped']} instance(s)")
        if found["Preload"]["QueueLength"] == 0 and since["SummariesComputed"] >= total:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{since['SummariesComputed']}/{total} summaries after {SUMMARY_TIMEOUT:.0f} s")
        time.sleep(1.0)


def load(server: OrthancServer, plan: Sequence[tuple[int, int]], clients: int) -> dict[int, list[str]]:
    """The studies of ``plan`` uploaded, summarized and their answers stored; their Orthanc IDs by size."""
    total = sum(size for size, _ in plan)
    log(f"Uploading {len(plan)} studies ({total:,} instances, {clients} clients)")
    loaded = load_studies(server, plan, clients)
    log("Waiting for every summary")
    wait_for_every_summary(server, total)
    log("Waiting for every study's stored answer")
    for ids in loaded.values():
        for study_id in ids:
            wait_for_stored_answer(server, study_id)
    return loaded


ANALYZED_AFTER = 10
"""Studies loaded before the loading Orthanc is stopped once for :func:`analyze_index`, so that the rest
load at a rate that does not fall as the index grows."""


def load_into(folder: Path, args: argparse.Namespace) -> tuple[dict[int, list[str]], str]:
    """``--studies`` studies of each of ``--sizes`` loaded by an Orthanc without DICOMweb: their Orthanc IDs
    by size, and that Orthanc's version."""
    plan = [(size, index * args.studies + number) for index, size in enumerate(args.sizes)
            for number in range(args.studies)]
    log(f"Loading {args.studies} studies of each of {', '.join(map(str, args.sizes))} instances")
    loaded: dict[int, list[str]] = {size: [] for size in args.sizes}
    version = "?"
    for part in (plan[:ANALYZED_AFTER], plan[ANALYZED_AFTER:]):
        if not part:
            continue
        if (folder / STORAGE / "index").exists():
            analyze_index(folder)
        server = OrthancServer(folder, plugins=(PYTHON_PLUGIN,), configuration={"StableAge": args.stable_age})
        with running(server, timeout=60):
            for size, ids in load(server, part, args.upload_clients).items():
                loaded[size] += ids
            version = str(server.get("/system").json()["Version"])
    return loaded, version


@contextmanager
def running(server: OrthancServer, timeout: float) -> Iterator[OrthancServer]:
    """``server`` started; the end of its log shown if the work fails; stopped (killed when it does not stop)."""
    server.start(timeout=timeout)
    try:
        yield server
    except Exception:
        log(f"the end of Orthanc's log:\n{server.log_tail()}")
        raise
    finally:
        with suppress(RuntimeError):  # OrthancServer.stop has killed it
            server.stop(timeout=120)


def copy_kept_storage(args: argparse.Namespace, folder: Path) -> tuple[dict[int, list[str]], str] | None:
    """The storage kept in ``--loaded-storage``, when it holds one loaded with this run's ``--studies`` and
    ``--sizes``, copied into ``folder``: its study IDs by size and the Orthanc that loaded it."""
    if args.loaded_storage is None or not (args.loaded_storage / LOADED).is_file():
        return None
    kept = json.loads((args.loaded_storage / LOADED).read_text())
    if kept["studies"] != args.studies or kept["sizes"] != args.sizes:
        raise SystemExit(f"{args.loaded_storage} holds {kept['studies']} studies of each of {kept['sizes']} "
                         f"instances, not {args.studies} of each of {args.sizes}: empty it or choose another folder")
    log(f"Copying the studies loaded in {args.loaded_storage}")
    shutil.copytree(args.loaded_storage / STORAGE, folder / STORAGE)
    return {int(size): ids for size, ids in kept["ids"].items()}, str(kept["loaded_by"])


def keep_storage(args: argparse.Namespace, folder: Path, loaded: dict[int, list[str]], loaded_by: str) -> None:
    """``folder``'s storage (its Orthanc stopped) copied to ``--loaded-storage``, when given."""
    if args.loaded_storage is None:
        return
    log(f"Keeping the loaded storage in {args.loaded_storage}")
    shutil.rmtree(args.loaded_storage / STORAGE, ignore_errors=True)
    shutil.copytree(folder / STORAGE, args.loaded_storage / STORAGE)
    record = {"studies": args.studies, "sizes": args.sizes, "loaded_by": loaded_by,
              "ids": {str(size): ids for size, ids in loaded.items()}}
    (args.loaded_storage / LOADED).write_text(json.dumps(record, indent=1))


def analyze_index(folder: Path) -> None:
    """SQLite's statistics gathered in the stopped Orthanc's index (``ANALYZE``), as an administrator can.

    Without them, Orthanc 1.12 and 1.13 look an instance up through the index of resource types, that is
    through every instance: each instance lookup then costs in proportion to the instances stored, and
    filling DICOMweb's metadata cache, a lookup per instance, would take longer than the whole measurement
    many times over. Both paths are measured on the analysed index."""
    log("Gathering SQLite's statistics in Orthanc's index (ANALYZE)")
    with closing(sqlite3.connect(folder / STORAGE / "index")) as connection:
        connection.execute("ANALYZE")
