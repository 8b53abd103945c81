"""Synthetic multi-frame images, encapsulated PDF and video instances, for the tests.

Every frame differs visibly from the others (a bright bar that moves, a
frame number written in blocks), so that a test can tell that the viewer
shows another frame, not the first one again.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import MPEG4HP41

from tests.support.dicom_factory import StudySpec, generate_uid, series_dataset

ULTRASOUND_MULTI_FRAME = "1.2.840.10008.5.1.4.1.1.3.1"
ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"
ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
VIDEO_PHOTOGRAPHIC = "1.2.840.10008.5.1.4.1.1.77.1.4.1"

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


def frame_pixels(frames: int, size: int) -> np.ndarray:
    """``frames`` square 8-bit frames: a dim ramp, a bright bar at a place that moves, blocks counting the frame."""
    rows = np.arange(size, dtype=np.int32)[:, None]
    columns = np.arange(size, dtype=np.int32)[None, :]
    ramp = ((rows + columns) * 60 // (2 * size)).astype(np.uint8)
    stack = np.repeat(ramp[None, :, :], frames, axis=0)
    bar = max(2, size // frames)
    block = max(2, size // 16)
    for index in range(frames):
        top = (index * size) // frames
        stack[index, top : top + bar, :] = 250
        for count in range(index + 1):  # frame number as blocks along the bottom edge
            left = 1 + count * (block + 1)
            if left + block < size:
                stack[index, size - block - 1 : size - 1, left : left + block] = 200
    return stack


def _set_pixel_module(ds: Dataset, size: int, samples: int) -> None:
    ds.Rows = size
    ds.Columns = size
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0


def ultrasound_multiframe(study: StudySpec, frames: int = 12, size: int = 96) -> Dataset:
    """An RGB Ultrasound Multi-frame Image, 25 frames per second."""
    ds = series_dataset(study, ULTRASOUND_MULTI_FRAME, "US", 20, "Cine loop")
    _set_pixel_module(ds, size, samples=3)
    ds.NumberOfFrames = frames
    ds.FrameTime = "40"
    ds.FrameIncrementPointer = 0x00181063  # FrameTime
    gray = frame_pixels(frames, size)
    rgb = np.stack([gray, gray // 2, gray], axis=-1)  # magenta-ish, still never blank
    ds.PixelData = rgb.astype(np.uint8).tobytes()
    return ds


@dataclass(frozen=True)
class EnhancedGeometry:
    """Where the frames of an enhanced instance are: one slice every ``spacing`` mm along z."""

    origin: tuple[float, float, float] = (-48.0, -48.0, 10.0)
    spacing: float = 3.0
    pixel_spacing: tuple[float, float] = (1.0, 1.0)
    slice_thickness: float = 3.0
    orientation: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

    def position(self, index: int) -> list[float]:
        x, y, z = self.origin
        return [x, y, z + self.spacing * index]


def _item(**values: object) -> Dataset:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def enhanced_instance(
    study: StudySpec,
    frames: int = 10,
    size: int = 64,
    *,
    sop_class: str = ENHANCED_MR,
    geometry: EnhancedGeometry | None = None,
    orientation_per_frame: bool = False,
) -> Dataset:
    """An Enhanced MR (or CT) image: a stack of axial frames described by functional groups only.

    Like real enhanced objects, it has no top-level ImagePositionPatient,
    ImageOrientationPatient or PixelSpacing: they are in the shared and
    per-frame functional groups.
    """
    geometry = geometry or EnhancedGeometry()
    modality = "CT" if sop_class == ENHANCED_CT else "MR"
    ds = series_dataset(study, sop_class, modality, 30, f"Enhanced {modality}")
    ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    ds.FrameOfReferenceUID = generate_uid()
    ds.NumberOfFrames = frames
    ds.ContentQualification = "PRODUCT"
    _set_pixel_module(ds, size, samples=1)
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    ds.WindowCenter = "1024"
    ds.WindowWidth = "2048"
    measures = _item(PixelSpacing=list(geometry.pixel_spacing), SliceThickness=geometry.slice_thickness)
    orientation = _item(ImageOrientationPatient=list(geometry.orientation))
    shared = _item(
        PixelMeasuresSequence=Sequence([measures]),
        PixelValueTransformationSequence=Sequence(
            [_item(RescaleIntercept="0", RescaleSlope="1", RescaleType="US")]
        ),
        FrameVOILUTSequence=Sequence([_item(WindowCenter="1024", WindowWidth="2048")]),
    )
    if not orientation_per_frame:
        shared.PlaneOrientationSequence = Sequence([orientation])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per_frame = []
    for index in range(frames):
        item = _item(
            FrameContentSequence=Sequence(
                [_item(FrameAcquisitionNumber=index + 1, InStackPositionNumber=index + 1, StackID="1")]
            ),
            PlanePositionSequence=Sequence([_item(ImagePositionPatient=geometry.position(index))]),
        )
        if orientation_per_frame:
            item.PlaneOrientationSequence = Sequence([_item(ImageOrientationPatient=list(geometry.orientation))])
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = (frame_pixels(frames, size).astype(np.uint16) * 8).tobytes()
    return ds


def minimal_pdf(text: str = "OHIF PDF test") -> bytes:
    """A one-page PDF showing ``text`` in big black letters (ASCII only), with a correct xref table."""
    stream = f"BT /F1 36 Tf 72 700 Td ({text}) Tj ET\n0 0 1 rg 72 400 300 200 re f\n".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(output)
    output += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    output += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    output += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(output)


def encapsulated_pdf(study: StudySpec, document: bytes, title: str = "Report") -> Dataset:
    ds = series_dataset(study, ENCAPSULATED_PDF, "DOC", 40, "PDF report")
    ds.DocumentTitle = title
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.BurnedInAnnotation = "YES"
    ds.ConceptNameCodeSequence = Sequence([])
    # An odd length is padded by one byte in DICOM; OB values are padded with 0x00.
    ds.EncapsulatedDocument = document + (b"\x00" if len(document) % 2 else b"")
    ds.EncapsulatedDocumentLength = len(document)
    return ds


def h264_mp4(frames: int = 50, size: int = 128, rate: int = 25) -> bytes:
    """An H.264 High profile MP4 (moov first, so it plays while downloading) of a moving test pattern."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "video.mp4"
        subprocess.run(
            [
                FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                "-i", f"testsrc=size={size}x{size}:rate={rate}",
                "-frames:v", str(frames), "-c:v", "libx264", "-profile:v", "high", "-level", "4.1",
                "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path),
            ],
            check=True,
        )
        return path.read_bytes()


def video_instance(study: StudySpec, video: bytes, frames: int, size: int, rate: int = 25) -> Dataset:
    """A Video Photographic Image whose pixel data is ``video`` (MP4), MPEG-4 AVC/H.264 High Profile / Level 4.1.

    The whole MP4 file is the single fragment of the encapsulated pixel data,
    as DICOM video objects made from MP4 files commonly are.
    """
    ds = series_dataset(study, VIDEO_PHOTOGRAPHIC, "XC", 50, "Video")
    ds.file_meta.TransferSyntaxUID = MPEG4HP41
    ds.Rows = size
    ds.Columns = size
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_PARTIAL_420"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = frames
    ds.FrameTime = str(1000 / rate)
    ds.CineRate = rate
    ds.FrameIncrementPointer = 0x00181063
    ds.LossyImageCompression = "01"
    ds.PixelData = encapsulate([video + (b"\x00" if len(video) % 2 else b"")])
    ds["PixelData"].VR = "OB"
    return ds

