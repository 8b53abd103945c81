"""Run one task per study on N threads, stoppable by Ctrl-C, with progress.

The threads are daemons: after Ctrl-C the tasks in flight get a short grace
period to finish (so that their results count), then they are abandoned and
the report is printed. Nothing is lost by abandoning one: the server finishes
or drops that request on its own, and the next run picks the study up again.
"""

from __future__ import annotations

import enum
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ohif_plugin.cli.progress import ProgressBar

GRACE_SECONDS = 3.0
"""How long tasks in flight may finish after Ctrl-C."""
POLL_SECONDS = 0.1


class Result(enum.Enum):
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    study_id: str
    result: Result
    instances: int = 0
    changed: int = 0
    """Instances whose summary was written or deleted by this task."""
    reason: str = ""


class Fatal(Exception):
    """An error that ends the whole run (Orthanc unreachable, credentials refused, plugin missing)."""


class End(enum.Enum):
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    FATAL = "fatal"


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)
    end: End = End.COMPLETED
    fatal: str = ""
    seconds: float = 0.0

    def count(self, result: Result) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result is result)

    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.result is Result.FAILED]


def run_tasks(
    study_ids: Sequence[str], task: Callable[[str], Outcome], jobs: int, progress: ProgressBar
) -> Run:
    """Run ``task`` on every study with ``jobs`` threads; Ctrl-C ends the run as INTERRUPTED."""
    todo: queue.Queue[str] = queue.Queue()
    for study_id in study_ids:
        todo.put(study_id)
    results: queue.Queue[Outcome | Fatal] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            try:
                study_id = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results.put(task(study_id))
            except Fatal as error:
                results.put(error)
                return
            except Exception as error:  # one study's surprise must not end the run
                results.put(Outcome(study_id, Result.FAILED, reason=f"{type(error).__name__}: {error}"))

    threads = [threading.Thread(target=work, name=f"ohif-task-{number}", daemon=True) for number in range(jobs)]
    run = Run()
    started = time.monotonic()

    def collect(item: Outcome | Fatal) -> None:
        if isinstance(item, Fatal):
            stop.set()
            if run.end is not End.FATAL:
                run.end, run.fatal = End.FATAL, str(item)
            return
        run.outcomes.append(item)
        progress.tally.studies_done += 1
        progress.tally.instances_done += item.instances

    try:
        for thread in threads:
            thread.start()
        while len(run.outcomes) < len(study_ids) and run.end is End.COMPLETED:
            try:
                collect(results.get(timeout=POLL_SECONDS))
            except queue.Empty:
                if not any(thread.is_alive() for thread in threads) and results.empty():
                    break
            progress.update()
    except KeyboardInterrupt:
        stop.set()
        run.end = End.INTERRUPTED
        _collect_in_flight(threads, results, collect)
    run.seconds = time.monotonic() - started
    progress.finish()
    return run


def _collect_in_flight(
    threads: list[threading.Thread], results: queue.Queue[Outcome | Fatal], collect: Callable[[Outcome | Fatal], None]
) -> None:
    """Give the tasks in flight a moment to finish; a second Ctrl-C abandons them at once."""
    deadline = time.monotonic() + GRACE_SECONDS
    try:
        while time.monotonic() < deadline and any(thread.is_alive() for thread in threads):
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        pass
    while True:
        try:
            item = results.get_nowait()
        except queue.Empty:
            return
        if isinstance(item, Outcome):
            collect(item)
