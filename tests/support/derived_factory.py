"""Derived objects over a generated CT series: SEG and SR made with highdicom, RTSTRUCT with pydicom.

Each object refers to the CT instances it is given, so a study made of the
series and the object opens in the viewer with the object drawn on the images.
"""

from __future__ import annotations

from dataclasses import dataclass

import highdicom
import numpy as np
from highdicom import sr
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from tests.support import dicom_factory as factory

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
COMPREHENSIVE_SR_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.88.33"
RT_STRUCTURE_SET_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"

SEGMENT_RGB = (255, 0, 0)
"""The display colour of the SEG's segment: pure red, absent from the grey CT."""
RT_ROI_RGB = (0, 255, 0)
"""The display colour of the RTSTRUCT's ROI: pure green."""

LENGTH_MM = 10.0
"""The length measurement of the SR, in mm."""


@dataclass(frozen=True)
class Square:
    """A square region of the images, in pixel indices (row, column of its top-left corner)."""

    slices: tuple[int, ...]
    row: int
    column: int
    size: int
    shift: int = 0
    """Columns the square moves to the right from one slice to the next, so that slices differ."""

    def column_on(self, index: int) -> int:
        return self.column + self.shift * (index - self.slices[0])


SEGMENTED = Square(slices=(2, 3, 4), row=16, column=8, size=16, shift=16)
CONTOURED = Square(slices=(2, 3, 4), row=8, column=36, size=20)


def segmentation(images: list[Dataset], region: Square = SEGMENTED) -> Dataset:
    """A binary SEG with one red segment: a square on ``region.slices`` of ``images``."""
    rows, columns = int(images[0].Rows), int(images[0].Columns)
    mask = np.zeros((len(images), rows, columns), dtype=bool)
    for index in region.slices:
        column = region.column_on(index)
        mask[index, region.row : region.row + region.size, column : column + region.size] = True
    description = highdicom.seg.SegmentDescription(
        segment_number=1,
        segment_label="Lesion",
        segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=codes.SCT.Neoplasm,
        algorithm_type=highdicom.seg.SegmentAlgorithmTypeValues.MANUAL,
        display_color=highdicom.color.CIELabColor(53.24, 80.09, 67.20),  # sRGB (255, 0, 0)
    )
    seg = highdicom.seg.Segmentation(
        source_images=images,
        pixel_array=mask,
        segmentation_type=highdicom.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[description],
        series_instance_uid=generate_uid(),
        series_number=20,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="OHIF plugin tests",
        manufacturer_model_name="derived_factory",
        software_versions="1",
        device_serial_number="1",
        series_description="Lesion segmentation",
    )
    return seg


def measurement_report(images: list[Dataset], index: int = 3) -> Dataset:
    """A TID 1500 Comprehensive SR with one length measurement (a two-point polyline) on slice ``index``."""
    image = images[index]
    spacing = float(image.PixelSpacing[0])
    start = (16.0, 32.0)
    end = (start[0] + LENGTH_MM / spacing, start[1])
    region = sr.ImageRegion(
        graphic_type=sr.GraphicTypeValues.POLYLINE,
        graphic_data=np.array([start, end]),
        source_image=sr.SourceImageForRegion(
            referenced_sop_class_uid=image.SOPClassUID,
            referenced_sop_instance_uid=image.SOPInstanceUID,
        ),
    )
    length = sr.Measurement(
        name=codes.SCT.Length,
        value=LENGTH_MM,
        unit=codes.UCUM.Millimeter,
    )
    group = sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=sr.TrackingIdentifier(uid=generate_uid(), identifier="Length 1"),
        referenced_region=region,
        finding_type=codes.SCT.Lesion,
        measurements=[length],
    )
    observer = sr.ObserverContext(
        observer_type=codes.DCM.Person,
        observer_identifying_attributes=sr.PersonObserverIdentifyingAttributes(name="Reader^Test"),
    )
    report = sr.MeasurementReport(
        observation_context=sr.ObservationContext(observer_person_context=observer),
        procedure_reported=codes.LN.CTUnspecifiedBodyRegion,
        imaging_measurements=[group],
    )
    document = sr.ComprehensiveSR(
        evidence=[image],
        content=report[0],
        series_instance_uid=generate_uid(),
        series_number=30,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="OHIF plugin tests",
        is_complete=True,
        series_description="Measurements",
    )
    return document


def _contour_points(image: Dataset, region: Square) -> list[float]:
    """The corners of ``region`` on ``image`` in patient coordinates (axial images, no rotation)."""
    x0, y0, z = (float(value) for value in image.ImagePositionPatient)
    row_spacing, column_spacing = (float(value) for value in image.PixelSpacing)
    corners = [
        (region.column, region.row),
        (region.column + region.size, region.row),
        (region.column + region.size, region.row + region.size),
        (region.column, region.row + region.size),
    ]
    points: list[float] = []
    for column, row in corners:
        points += [x0 + column * column_spacing, y0 + row * row_spacing, z]
    return points


def structure_set(images: list[Dataset], region: Square = CONTOURED) -> Dataset:
    """An RT Structure Set with one green ROI: a closed square contour on ``region.slices``."""
    first = images[0]
    sop_uid = generate_uid()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(RT_STRUCTURE_SET_SOP_CLASS)
    ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    for keyword in ("PatientName", "PatientID", "PatientSex", "StudyInstanceUID", "StudyDate", "StudyTime",
                    "AccessionNumber", "StudyDescription"):
        if keyword in first:
            setattr(ds, keyword, first[keyword].value)
    ds.SOPClassUID = RT_STRUCTURE_SET_SOP_CLASS
    ds.SOPInstanceUID = sop_uid
    ds.Modality = "RTSTRUCT"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 40
    ds.SeriesDescription = "Structures"
    ds.InstanceNumber = 1
    ds.StructureSetLabel = "Test structures"
    ds.StructureSetDate = "20240102"
    ds.StructureSetTime = "120000"

    contour_images = Sequence()
    for image in images:
        item = Dataset()
        item.ReferencedSOPClassUID = image.SOPClassUID
        item.ReferencedSOPInstanceUID = image.SOPInstanceUID
        contour_images.append(item)
    series = Dataset()
    series.SeriesInstanceUID = first.SeriesInstanceUID
    series.ContourImageSequence = contour_images
    study = Dataset()
    study.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    study.ReferencedSOPInstanceUID = first.StudyInstanceUID
    study.RTReferencedSeriesSequence = Sequence([series])
    frame_of_reference = Dataset()
    frame_of_reference.FrameOfReferenceUID = first.FrameOfReferenceUID
    frame_of_reference.RTReferencedStudySequence = Sequence([study])
    ds.ReferencedFrameOfReferenceSequence = Sequence([frame_of_reference])

    roi = Dataset()
    roi.ROINumber = 1
    roi.ReferencedFrameOfReferenceUID = first.FrameOfReferenceUID
    roi.ROIName = "Target"
    roi.ROIGenerationAlgorithm = "MANUAL"
    ds.StructureSetROISequence = Sequence([roi])

    contours = Sequence()
    for index in region.slices:
        image = images[index]
        reference = Dataset()
        reference.ReferencedSOPClassUID = image.SOPClassUID
        reference.ReferencedSOPInstanceUID = image.SOPInstanceUID
        contour = Dataset()
        contour.ContourImageSequence = Sequence([reference])
        contour.ContourGeometricType = "CLOSED_PLANAR"
        points = _contour_points(image, region)
        contour.NumberOfContourPoints = len(points) // 3
        contour.ContourData = [f"{value:g}" for value in points]
        contours.append(contour)
    roi_contour = Dataset()
    roi_contour.ROIDisplayColor = list(RT_ROI_RGB)
    roi_contour.ReferencedROINumber = 1
    roi_contour.ContourSequence = contours
    ds.ROIContourSequence = Sequence([roi_contour])

    observation = Dataset()
    observation.ObservationNumber = 1
    observation.ReferencedROINumber = 1
    observation.RTROIInterpretedType = "GTV"
    observation.ROIInterpreter = ""
    ds.RTROIObservationsSequence = Sequence([observation])
    return ds


@dataclass
class DerivedStudy:
    """A CT series with a SEG, an SR and an RTSTRUCT that refer to it."""

    images: list[Dataset]
    segmentation: Dataset
    report: Dataset
    structure_set: Dataset

    def files(self) -> list[bytes]:
        derived = [self.segmentation, self.report, self.structure_set]
        return [factory.to_bytes(ds) for ds in self.images] + [factory.to_bytes(ds) for ds in derived]


TYPE_2_DEFAULTS = {
    "PatientBirthDate": "",
    "StudyID": "1",
    "ReferringPhysicianName": "",
    "Manufacturer": "",
}
"""Attributes highdicom copies from the source images, which the CT factory leaves out."""


def ct_images(spec: factory.StudySpec, slices: int = 8) -> list[Dataset]:
    """A CT series complete enough to derive objects from."""
    images = factory.ct_series(spec, slices, series_description="CT for derived objects")
    for image in images:
        for keyword, value in TYPE_2_DEFAULTS.items():
            if keyword not in image:
                setattr(image, keyword, value)
    return images


def derived_study(spec: factory.StudySpec | None = None, slices: int = 8) -> DerivedStudy:
    spec = spec or factory.StudySpec(patient_name="Derived^Objects")
    images = ct_images(spec, slices)
    return DerivedStudy(images, segmentation(images), measurement_report(images), structure_set(images))
