"""One instance's summary from its DICOM bytes: the fast reader where it is sure, else pydicom."""

from __future__ import annotations

from ohif_plugin.summaries.codec import Summary
from ohif_plugin.summaries.dataset import summarize_dicom
from ohif_plugin.summaries.fast_header import fast_summary


def summarize(data: bytes) -> Summary:
    """The summary of a DICOM file (or of its bytes up to the pixel data)."""
    summary = fast_summary(data)
    return summary if summary is not None else summarize_dicom(data)
