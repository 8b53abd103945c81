"""Running one task per study, with every outcome collected (ohif_plugin.cli.runner)."""

from __future__ import annotations

import io

from ohif_plugin.cli.progress import ProgressBar, Tally
from ohif_plugin.cli.runner import End, Fatal, Outcome, Result, run_tasks


def _quiet_progress(total: int) -> ProgressBar:
    return ProgressBar(Tally(total), io.StringIO(), "test")


def test_the_runner_collects_every_outcome_and_a_surprise_fails_one_study_only() -> None:
    def task(study_id: str) -> Outcome:
        if study_id == "odd":
            raise ValueError("surprise")
        return Outcome(study_id, Result.SKIPPED if study_id.startswith("s") else Result.DONE, 2)

    run = run_tasks(["a", "skip", "odd", "b"], task, 3, _quiet_progress(4))
    assert run.end is End.COMPLETED
    assert (run.count(Result.DONE), run.count(Result.SKIPPED), run.count(Result.FAILED)) == (2, 1, 1)
    assert run.failures()[0].reason == "ValueError: surprise"


def test_a_fatal_error_ends_the_run() -> None:
    def task(study_id: str) -> Outcome:
        raise Fatal("Orthanc is unreachable")

    run = run_tasks(["a", "b", "c"], task, 1, _quiet_progress(3))
    assert run.end is End.FATAL
    assert run.fatal == "Orthanc is unreachable"
