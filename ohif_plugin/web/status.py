"""What GET /ohif/api/status answers, and the same figures as Orthanc metrics.

"Since start" counters, all per Orthanc process:

- ``SummariesComputed``: summaries computed and stored (at ingestion, on
  display, by the backfill);
- ``SummariesReused``: valid stored summaries read while answering a study;
- ``SummariesFailed``: instances that could not be summarized;
- ``StudiesServed``: studies in ohif-dicom-json answers (200 or 304);
- ``StudyCacheHits``: those answered without computing anything: a 304, or
  an answer assembled entirely from stored summaries (nothing computed,
  nothing failed).
- ``StoredAnswersServed``: those sent from the study's stored answer,
  without reading any summary.
- ``StudiesAssembled``: studies assembled from their summaries, for a
  request or in the background; an open of an unchanged study adds none.

``StoredAnswers.QueueLength``: studies whose answer waits to be stored (after
an assembly, or when the study became stable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ohif_plugin.study_json.counters import Counters

STAMP_NAME = ".ohif-version"
"""Written by scripts/build_ohif_dist.sh in the bundle folder: ``version=3.13.2`` and more."""


def ohif_version(bundle_folder: Path) -> str | None:
    """The OHIF release of the bundle, from its build stamp; None if unknown."""
    try:
        text = (bundle_folder / STAMP_NAME).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "version" and value.strip():
            return value.strip()
    return None


@dataclass(frozen=True)
class PreloadState:
    enabled: bool
    queue_length: int
    dropped: int


def status_answer(
    *,
    plugin_version: str,
    ohif: str | None,
    data_source: str,
    seconds_since_start: float,
    counters: Counters,
    preload: PreloadState,
    backfill: dict[str, Any] | None,
    refresh_pending: int = 0,
) -> dict[str, Any]:
    return {
        "PluginVersion": plugin_version,
        "OhifVersion": ohif,
        "DataSource": data_source,
        "Preload": {"Enabled": preload.enabled, "QueueLength": preload.queue_length, "Dropped": preload.dropped},
        "StoredAnswers": {"QueueLength": refresh_pending},
        "SinceStart": {
            "Seconds": round(seconds_since_start, 3),
            "SummariesComputed": counters.computed,
            "SummariesReused": counters.reused,
            "SummariesFailed": counters.failed,
            "StudiesServed": counters.studies,
            "StudyCacheHits": counters.study_hits,
            "StoredAnswersServed": counters.stored_answers,
            "StudiesAssembled": counters.assemblies,
        },
        "Backfill": backfill,
    }


def _path(*keys: str) -> Callable[[dict[str, Any]], float | None]:
    def read(status: dict[str, Any]) -> float | None:
        value: Any = status
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    return read


METRICS: tuple[tuple[str, Callable[[dict[str, Any]], float | None]], ...] = (
    ("ohif_summaries_computed", _path("SinceStart", "SummariesComputed")),
    ("ohif_summaries_reused", _path("SinceStart", "SummariesReused")),
    ("ohif_summaries_failed", _path("SinceStart", "SummariesFailed")),
    ("ohif_studies_served", _path("SinceStart", "StudiesServed")),
    ("ohif_study_cache_hits", _path("SinceStart", "StudyCacheHits")),
    ("ohif_stored_answers_served", _path("SinceStart", "StoredAnswersServed")),
    ("ohif_studies_assembled", _path("SinceStart", "StudiesAssembled")),
    ("ohif_preload_queue_length", _path("Preload", "QueueLength")),
    ("ohif_preload_dropped", _path("Preload", "Dropped")),
    ("ohif_stored_answers_queue_length", _path("StoredAnswers", "QueueLength")),
    ("ohif_backfill_studies_total", _path("Backfill", "StudiesTotal")),
    ("ohif_backfill_studies_done", _path("Backfill", "StudiesDone")),
    ("ohif_backfill_summaries_computed", _path("Backfill", "SummariesComputed")),
)
"""Orthanc metric name, and where its value is in the status answer."""


def metric_values(status: dict[str, Any]) -> list[tuple[str, float]]:
    """The metrics that have a value (the backfill ones only when a backfill was set up)."""
    values = []
    for name, read in METRICS:
        value = read(status)
        if value is not None:
            values.append((name, value))
    return values

