"""What the plugin counted since start-up, for its status answer and Orthanc's metrics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Counters:
    """Since start-up. Updated under the GIL, so plain integers are enough."""

    computed: int = 0
    reused: int = 0
    failed: int = 0
    studies: int = 0
    """Studies answered (unknown studies excluded)."""
    study_hits: int = 0
    """Studies answered entirely from stored summaries: nothing computed, nothing failed."""
    assemblies: int = 0
    """Studies assembled from their summaries, for a request or in the background."""
    stored_answers: int = 0
    """Studies answered with their stored answer (:mod:`ohif_plugin.study_json.stored_answer`): no summary read."""
