"""Per-instance summaries (metadata 4202): the tag table, computing them from DICOM, and the codec.

A summary is the JSON object that holds, for one instance, what the viewer
needs of it: the reference's tags, typed by its rules, and extensions for
objects those tags do not describe (multi-frame images, video, documents,
segmentations, structured reports).
"""

from ohif_plugin.summaries.codec import METADATA_KEY, SUMMARY_VERSION, Summary, decode_summary, encode_summary
from ohif_plugin.summaries.compute import summarize
from ohif_plugin.summaries.dataset import SummaryError

__all__ = [
    "METADATA_KEY",
    "SUMMARY_VERSION",
    "Summary",
    "SummaryError",
    "decode_summary",
    "encode_summary",
    "summarize",
]
