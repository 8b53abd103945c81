"""Encapsulated PDF and video instances in the dicom-json answer.

How OHIF 3.13.2 shows them:

- PDF (extensions/dicom-pdf): for SOP class Encapsulated PDF, the viewport is
  an ``<object type="application/pdf">`` whose ``data`` is
  ``dataSource.retrieve.directURL({tag: "EncapsulatedDocument"})``; the
  dicom-json source answers ``instance.EncapsulatedDocument.DirectRetrieveURL``.
  The viewer page is cross-origin isolated (COEP require-corp), so Chromium
  embeds a document only if its answer opts in too: Orthanc's own
  ``/instances/{id}/pdf`` does not, so the plugin serves it again with the
  security headers (``/instances/{id}/ohif-pdf``, see :mod:`ohif_plugin.web.documents`).
- Video (extensions/dicom-video): an instance is a video if its
  TransferSyntaxUID is an MPEG-4 AVC or HEVC one, or its SOP class is Video
  Photographic (or Secondary Capture with 90 frames or more). The ``<video>``
  source is the instance's ``url`` itself (``directURL`` returns ``url`` when
  given one). So a video instance gets a plain URL the browser can play.
  Orthanc's ``/instances/{id}/frames/0/raw`` answers the encapsulated stream
  (an MP4 file, for video made from one), as application/octet-stream,
  which Chromium sniffs and plays. Orthanc 1.10.1 ignores ``Range`` requests
  (on every route), so Chromium cannot seek in it (``video.seekable`` is
  empty): it plays from the start. Serving ranges from the plugin is not
  possible either: orthanc-python 4.0 sends a status other than 200 only
  with a text body (``SendHttpStatus`` takes a ``str``).
"""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
PDF_MIME_TYPE = "application/pdf"

VIDEO_SOP_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.77.1.1.1": "Video Endoscopic Image Storage",
    "1.2.840.10008.5.1.4.1.1.77.1.2.1": "Video Microscopic Image Storage",
    "1.2.840.10008.5.1.4.1.1.77.1.4.1": "Video Photographic Image Storage",
}

VIDEO_TRANSFER_SYNTAXES: dict[str, str] = {
    "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
    "1.2.840.10008.1.2.4.100.1": "Fragmentable MPEG2 Main Profile / Main Level",
    "1.2.840.10008.1.2.4.101": "MPEG2 Main Profile / High Level",
    "1.2.840.10008.1.2.4.101.1": "Fragmentable MPEG2 Main Profile / High Level",
    "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile / Level 4.1",
    "1.2.840.10008.1.2.4.102.1": "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1",
    "1.2.840.10008.1.2.4.103": "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
    "1.2.840.10008.1.2.4.103.1": "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
    "1.2.840.10008.1.2.4.104": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
    "1.2.840.10008.1.2.4.104.1": "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
    "1.2.840.10008.1.2.4.105": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
    "1.2.840.10008.1.2.4.105.1": "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
    "1.2.840.10008.1.2.4.106": "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
    "1.2.840.10008.1.2.4.106.1": "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
    "1.2.840.10008.1.2.4.107": "HEVC/H.265 Main Profile / Level 5.1",
    "1.2.840.10008.1.2.4.108": "HEVC/H.265 Main 10 Profile / Level 5.1",
}

DOCUMENT_FIELDS = ("MIMETypeOfEncapsulatedDocument", "DocumentTitle")


def document_fields(dataset: Dataset) -> dict[str, Any]:
    """MIME type and title of an encapsulated PDF (the document itself stays in Orthanc)."""
    if str(dataset.get("SOPClassUID", "")) != ENCAPSULATED_PDF:
        return {}
    found = {keyword: str(dataset.get(keyword, "")).strip(" \x00") for keyword in DOCUMENT_FIELDS}
    fields = {keyword: value for keyword, value in found.items() if value}
    fields.setdefault("MIMETypeOfEncapsulatedDocument", PDF_MIME_TYPE)
    return fields


def video_fields(dataset: Dataset) -> dict[str, Any]:
    """The transfer syntax of a video instance: what OHIF looks at first to tell a video."""
    meta = getattr(dataset, "file_meta", None)
    transfer_syntax = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    return {"TransferSyntaxUID": transfer_syntax} if transfer_syntax in VIDEO_TRANSFER_SYNTAXES else {}


def is_video(metadata: dict[str, Any]) -> bool:
    return metadata.get("TransferSyntaxUID") in VIDEO_TRANSFER_SYNTAXES


def is_pdf(metadata: dict[str, Any]) -> bool:
    return metadata.get("SOPClassUID") == ENCAPSULATED_PDF


def document_metadata(metadata: dict[str, Any], document_url: str) -> dict[str, Any]:
    """What OHIF's PDF viewport reads: ``EncapsulatedDocument.DirectRetrieveURL``."""
    return metadata | {"EncapsulatedDocument": {"DirectRetrieveURL": document_url}}

