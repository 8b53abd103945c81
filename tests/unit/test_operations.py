"""The pure parts of the operations tools: pace, backfill, progress, selection, runner, status, reports."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest

from ohif_plugin.background.backfill import Backfill, Pace
from ohif_plugin.study_json.counters import Counters
from ohif_plugin.study_json.summary_cache import SummaryCache
from ohif_plugin.cli.main import EXIT_ERROR, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, configuration_block, report
from ohif_plugin.configuration import KNOWN_KEYS, ConfigurationError, default_section, parse_settings
from ohif_plugin.cli.progress import ProgressBar, Tally, duration, eta_seconds, render
from ohif_plugin.cli.runner import End, Fatal, Outcome, Result, Run, run_tasks
from ohif_plugin.web.status import PreloadState, metric_values, ohif_version, status_answer
from ohif_plugin.cli.selection import SelectionError, parse_since
from ohif_plugin.summaries.codec import decode_summary
from tests.dicom_factory import StudySpec, ct_series, to_bytes
from tests.unit.test_cache import MemoryStore

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

WAIT = 10.0  # seconds; only reached when something is wrong


# --- configuration -----------------------------------------------------------


def test_backfill_on_startup_is_off_by_default_and_only_with_dicom_json() -> None:
    assert parse_settings({}).backfills is False
    assert parse_settings({"OHIF": {"BackfillOnStartup": True}}).backfills is True
    assert parse_settings({"OHIF": {"BackfillOnStartup": True, "DataSource": "dicom-web"}}).backfills is False


@pytest.mark.parametrize("value", ["true", 1, None, [True]])
def test_backfill_on_startup_must_be_a_boolean(value: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_settings({"OHIF": {"BackfillOnStartup": value}})
    assert '"OHIF"."BackfillOnStartup" must be true or false' in str(caught.value)


def test_the_default_section_has_every_known_key_and_parses_to_the_defaults() -> None:
    section = default_section()
    assert tuple(section) == KNOWN_KEYS
    assert parse_settings({"OHIF": section}) == parse_settings({})


def test_the_printed_configuration_is_json_with_both_plugin_keys() -> None:
    block = json.loads(json.dumps(configuration_block()))
    assert block["PythonScript"] == block["Python"]["Path"]
    assert Path(block["PythonScript"]).is_absolute() and Path(block["PythonScript"]).is_file()


# --- backfill ----------------------------------------------------------------


def _store_with_studies(sizes: list[int]) -> MemoryStore:
    store = MemoryStore()
    for number, size in enumerate(sizes):
        ids = []
        for index, dataset in enumerate(ct_series(StudySpec(), size)):
            instance_id = f"study{number}-instance{index}"
            store.files[instance_id] = to_bytes(dataset)
            ids.append(instance_id)
        store.studies[f"study{number}"] = ids
    return store


QUICK = Pace(busy_fraction=1.0, burst_seconds=0.0, max_instances_per_second=1e9, min_pause_seconds=0.0)


def test_the_pace_sleeps_in_chunks_long_enough_for_orthanc_to_stop() -> None:
    pace = Pace(busy_fraction=0.2, burst_seconds=0.05, max_instances_per_second=500, min_pause_seconds=0.15)
    assert pace.pause_after_burst(0.05, 10) == pytest.approx(0.2)  # 20 % busy
    assert pace.pause_after_burst(0.001, 400) == pytest.approx(0.799)  # at most 500 instances/s
    assert pace.pause_after_burst(0.0, 1) == pytest.approx(0.15)  # never shorter than the quiet Orthanc needs


def test_backfill_computes_missing_and_stale_summaries_and_keeps_valid_ones() -> None:
    store = _store_with_studies([3, 2])
    cache = SummaryCache(store)
    valid = cache.summary_of("study0-instance0")
    store.metadata["study0-instance1"] = b"stale"
    store.writes.clear()
    store.studies["deleted"] = ["gone"]  # an instance deleted meanwhile is not a failure
    backfill = Backfill(cache, store, lambda: ["study0", "study1", "deleted", "unknown"], QUICK)
    backfill.run()

    status = backfill.status()
    assert status["State"] == "finished"
    assert status["StudiesTotal"] == status["StudiesDone"] == 4
    assert status["InstancesChecked"] == 6
    assert status["SummariesComputed"] == 4
    assert status["Failed"] == 0
    assert sorted(store.writes) == ["study0-instance1", "study0-instance2", "study1-instance0", "study1-instance1"]
    assert decode_summary(store.metadata["study0-instance0"]) == valid
    assert all(decode_summary(store.metadata[instance]) is not None for instance in store.writes)


def test_backfill_counts_an_unreadable_instance_as_failed_and_goes_on() -> None:
    store = _store_with_studies([2])
    store.files["study0-instance0"] = b"not DICOM"
    cache = SummaryCache(store)
    backfill = Backfill(cache, store, lambda: ["study0"], QUICK)
    backfill.run()
    assert backfill.status()["Failed"] == 1
    assert backfill.status()["SummariesComputed"] == 1
    assert cache.counters.failed == 1


def test_backfill_stops_between_two_instances() -> None:
    store = _store_with_studies([5])
    started, release = threading.Event(), threading.Event()
    reads = store.read_dicom

    def slow_read(instance_id: str) -> bytes:
        started.set()
        assert release.wait(WAIT)
        return reads(instance_id)

    store.read_dicom = slow_read  # type: ignore[method-assign]
    backfill = Backfill(SummaryCache(store), store, lambda: ["study0"], QUICK)
    backfill.start()
    assert started.wait(WAIT)
    stopper = threading.Thread(target=backfill.stop, args=(WAIT,))
    stopper.start()
    release.set()
    stopper.join(WAIT)
    assert backfill.status()["State"] == "stopped"
    assert backfill.status()["InstancesChecked"] == 1


def test_a_failing_study_list_ends_the_backfill_as_failed() -> None:
    def broken() -> list[str]:
        raise RuntimeError("REST API down")

    store = MemoryStore()
    backfill = Backfill(SummaryCache(store), store, broken, QUICK)
    backfill.start()
    assert backfill.stop(WAIT)
    assert backfill.status()["State"] == "failed"


# --- progress ----------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (45.4, "45s"), (185, "3m05s"), (7620, "2h07m")])
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_eta_by_instances_when_their_total_is_known_else_by_studies() -> None:
    assert eta_seconds(Tally(10, 1000, studies_done=1, instances_done=250), 5.0) == pytest.approx(15.0)
    assert eta_seconds(Tally(10, None, studies_done=2, instances_done=250), 5.0) == pytest.approx(20.0)
    assert eta_seconds(Tally(10, None), 5.0) is None


def test_the_progress_line_shows_studies_instances_rate_and_eta() -> None:
    line = render(Tally(4, 400, studies_done=1, instances_done=100), 10.0, "preload")
    assert line == (
        "preload [######------------------] 1/4 studies, 100/400 instances, 10 instances/s, "
        "elapsed 10s, ETA 30s"
    )


def test_the_progress_bar_writes_full_lines_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    now = [0.0]
    bar = ProgressBar(Tally(2), stream, "clear-cache", clock=lambda: now[0])
    bar.update()
    bar.update()  # too soon: nothing drawn
    now[0] = 1.0
    bar.tally.studies_done = 2
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert "\r" not in stream.getvalue()
    assert "2/2 studies" in lines[-1]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_redraws_one_line_on_a_terminal() -> None:
    stream = Terminal()
    now = [0.0]
    bar = ProgressBar(Tally(3), stream, "preload", clock=lambda: now[0])
    for step in range(1, 4):
        now[0] = step * 1.0
        bar.tally.studies_done = step
        bar.update()
    bar.finish()
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert text.count("\r") == 4  # three updates and the final state
    assert text.rstrip().endswith("ETA 0s")


# --- selection ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-31", "20240531T000000"),
        ("20240531", "20240531T000000"),
        ("2024-05-31T13:45", "20240531T134500"),
        ("2024-05-31 13:45:07", "20240531T134507"),
        ("20240531T134507", "20240531T134507"),
        ("2024-05-31T13:45:07+02:00", "20240531T114507"),
    ],
)
def test_since_accepts_dates_and_orthanc_timestamps(text: str, expected: str) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "31/05/2024", ""])
def test_since_rejects_anything_else(text: str) -> None:
    with pytest.raises(SelectionError, match="is not a date"):
        parse_since(text)


# --- runner and reports --------------------------------------------------------


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


@pytest.mark.parametrize(
    ("run", "status"),
    [
        (Run([Outcome("a", Result.DONE, 3), Outcome("b", Result.SKIPPED, 2)]), EXIT_OK),
        (Run([Outcome("a", Result.DONE, 3), Outcome("b", Result.FAILED, 2, reason="broken")]), EXIT_FAILED),
        (Run([Outcome("a", Result.DONE, 3)], End.INTERRUPTED), EXIT_INTERRUPTED),
        (Run([], End.FATAL, "credentials refused"), EXIT_ERROR),
    ],
)
def test_the_report_and_its_exit_status(run: Run, status: int) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    assert report(run, "preload", stdout, stderr) == status
    done, skipped, failed = run.count(Result.DONE), run.count(Result.SKIPPED), run.count(Result.FAILED)
    assert stdout.getvalue().startswith(f"{done} studies summaries computed, {skipped} skipped")
    assert f"{failed} failed" in stdout.getvalue()
    if failed:
        assert "failed: study b: broken" in stderr.getvalue()


def test_the_clear_cache_report_counts_the_summaries_deleted() -> None:
    stdout = io.StringIO()
    run = Run([Outcome("a", Result.DONE, 3, changed=2), Outcome("b", Result.DONE, 2, changed=1)])
    report(run, "clear-cache-dry-run", stdout, io.StringIO())
    assert "2 studies looked at" in stdout.getvalue()
    assert stdout.getvalue().rstrip().endswith("3 summaries that would be deleted")


# --- status ------------------------------------------------------------------


def test_the_ohif_version_comes_from_the_bundle_stamp(tmp_path: Path) -> None:
    assert ohif_version(tmp_path) is None
    (tmp_path / ".ohif-version").write_text("version=3.13.2\nintegrity=sha512-x\n")
    assert ohif_version(tmp_path) == "3.13.2"


def test_the_status_answer_and_its_metrics() -> None:
    counters = Counters(computed=5, reused=7, failed=1, studies=3, study_hits=2, stored_answers=1)
    answer = status_answer(
        plugin_version="1.0", ohif="3.13.2", data_source="dicom-json", seconds_since_start=12.3456,
        counters=counters, preload=PreloadState(True, 4, 9), backfill=None,
    )
    assert answer["SinceStart"] == {"Seconds": 12.346, "SummariesComputed": 5, "SummariesReused": 7,
                                    "SummariesFailed": 1, "StudiesServed": 3, "StudyCacheHits": 2,
                                    "StoredAnswersServed": 1}
    assert answer["Preload"] == {"Enabled": True, "QueueLength": 4, "Dropped": 9}
    assert answer["StoredAnswers"] == {"QueueLength": 0}
    metrics = dict(metric_values(answer))
    assert metrics == {
        "ohif_summaries_computed": 5, "ohif_summaries_reused": 7, "ohif_summaries_failed": 1,
        "ohif_studies_served": 3, "ohif_study_cache_hits": 2, "ohif_stored_answers_served": 1,
        "ohif_preload_queue_length": 4, "ohif_stored_answers_queue_length": 0,
        "ohif_preload_dropped": 9,
    }
    answer["Backfill"] = {"StudiesTotal": 10, "StudiesDone": 4, "SummariesComputed": 30}
    assert dict(metric_values(answer))["ohif_backfill_studies_done"] == 4

