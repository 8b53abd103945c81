"""The plugin's status answer and its metrics (ohif_plugin.web.status)."""

from __future__ import annotations

from pathlib import Path

from ohif_plugin.study_json.counters import Counters
from ohif_plugin.web.status import PreloadState, metric_values, ohif_version, status_answer


def test_the_ohif_version_comes_from_the_bundle_stamp(tmp_path: Path) -> None:
    assert ohif_version(tmp_path) is None
    (tmp_path / ".ohif-version").write_text("version=3.13.2\nintegrity=sha512-x\n")
    assert ohif_version(tmp_path) == "3.13.2"


def test_the_status_answer_and_its_metrics() -> None:
    counters = Counters(computed=5, reused=7, failed=1, studies=3, study_hits=2, stored_answers=1, assemblies=6)
    answer = status_answer(
        plugin_version="1.0", ohif="3.13.2", data_source="dicom-json", seconds_since_start=12.3456,
        counters=counters, preload=PreloadState(True, 4, 9), backfill=None,
    )
    assert answer["SinceStart"] == {"Seconds": 12.346, "SummariesComputed": 5, "SummariesReused": 7,
                                    "SummariesFailed": 1, "StudiesServed": 3, "StudyCacheHits": 2,
                                    "StoredAnswersServed": 1, "StudiesAssembled": 6}
    assert answer["Preload"] == {"Enabled": True, "QueueLength": 4, "Dropped": 9}
    assert answer["StoredAnswers"] == {"QueueLength": 0}
    metrics = dict(metric_values(answer))
    assert metrics == {
        "ohif_summaries_computed": 5, "ohif_summaries_reused": 7, "ohif_summaries_failed": 1,
        "ohif_studies_served": 3, "ohif_study_cache_hits": 2, "ohif_stored_answers_served": 1,
        "ohif_studies_assembled": 6,
        "ohif_preload_queue_length": 4, "ohif_stored_answers_queue_length": 0,
        "ohif_preload_dropped": 9,
    }
    answer["Backfill"] = {"StudiesTotal": 10, "StudiesDone": 4, "SummariesComputed": 30}
    assert dict(metric_values(answer))["ohif_backfill_studies_done"] == 4
