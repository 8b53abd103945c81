"""The study answer, ``GET /studies/{id}/ohif-dicom-json``: OHIF's "DICOM JSON" for one study.

- :mod:`~ohif_plugin.study_json.assembly`: the answer's shape, from instance summaries;
- :mod:`~ohif_plugin.study_json.summary_cache`: each instance's stored summary, or one computed and stored;
- :mod:`~ohif_plugin.study_json.listing`: the study's instances now, and the ETag made from them;
- :mod:`~ohif_plugin.study_json.endpoint`: the HTTP answer (ETag, 304, content coding, stored answers);
- :mod:`~ohif_plugin.study_json.stored_answer`: the format of the answer stored with the study;
- :mod:`~ohif_plugin.study_json.counters`: what was served, for the status.
"""

from ohif_plugin.study_json.counters import Counters
from ohif_plugin.study_json.endpoint import StudyAnswers
from ohif_plugin.study_json.listing import StudyListing
from ohif_plugin.study_json.summary_cache import Assembly, InstanceGone, InstanceStore, SummaryCache

__all__ = ["Assembly", "Counters", "InstanceGone", "InstanceStore", "StudyAnswers", "StudyListing", "SummaryCache"]
