"""Datasets as naturalized JSON, the shape dcmjs's naturalizeDataset gives OHIF."""

from __future__ import annotations

import base64
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from ohif_plugin.summaries.naturalize import INLINE_BINARY_LIMIT, bulk_data_url, naturalize_dataset, naturalize_elements


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = meaning
    return item


def test_single_values_are_unwrapped_and_several_make_a_list() -> None:
    ds = Dataset()
    ds.Modality = "SR"
    ds.ImageType = ["DERIVED", "PRIMARY"]
    assert naturalize_dataset(ds) == {"Modality": "SR", "ImageType": ["DERIVED", "PRIMARY"]}


def test_number_strings_and_binary_numbers_are_json_numbers() -> None:
    ds = Dataset()
    ds.InstanceNumber = "7"
    ds.SliceThickness = "2.5"
    ds.PixelSpacing = ["0.5", "0.25"]
    ds.Rows = 64
    ds.add_new(0x00700022, "FL", [1.5, 2.0, 3.25, 4.0])  # GraphicData
    assert naturalize_dataset(ds) == {
        "InstanceNumber": 7,
        "SliceThickness": 2.5,
        "PixelSpacing": [0.5, 0.25],
        "Rows": 64,
        "GraphicData": [1.5, 2.0, 3.25, 4.0],
    }


def test_sequences_are_lists_even_with_one_item() -> None:
    ds = Dataset()
    ds.ConceptNameCodeSequence = Sequence([_code("126000", "Imaging Measurement Report")])
    assert naturalize_dataset(ds) == {
        "ConceptNameCodeSequence": [
            {"CodeValue": "126000", "CodingSchemeDesignator": "DCM", "CodeMeaning": "Imaging Measurement Report"}
        ]
    }


def test_person_names_are_objects_with_their_components() -> None:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PersonName = "Yamada^Tarou=山田^太郎"
    assert naturalize_dataset(ds)["PersonName"] == [{"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎"}]


def test_empty_elements_are_null_and_private_tags_are_left_out() -> None:
    ds = Dataset()
    ds.StudyID = ""
    ds.ContentSequence = Sequence()
    block = ds.private_block(0x0011, "TEST", create=True)
    block.add_new(0x01, "LO", "hidden")
    assert naturalize_dataset(ds) == {"StudyID": None, "ContentSequence": []}


def test_small_binary_values_are_inline_and_large_ones_are_paths_under_the_instance() -> None:
    item = Dataset()
    item.add_new(0x00189219, "OB", b"\x01\x02")
    item.add_new(0x0040A160, "UT", "text")
    large = Dataset()
    large.add_new(0x00660023, "OF", b"\x00" * (INLINE_BINARY_LIMIT + 4))  # TrianglePointIndexList-like
    ds = Dataset()
    ds.ContentSequence = Sequence([item, large])
    naturalized = naturalize_dataset(ds)
    first, second = naturalized["ContentSequence"]
    assert base64.b64decode(next(iter(first.values()))["InlineBinary"]) == b"\x01\x02"
    assert next(iter(second.values())) == {"BulkDataURI": "0040-a730/1/0066-0023"}


def test_omitted_keywords_are_left_out_at_any_depth() -> None:
    contour = Dataset()
    contour.ContourGeometricType = "CLOSED_PLANAR"
    contour.NumberOfContourPoints = 1
    contour.ContourData = ["1", "2", "3"]
    roi = Dataset()
    roi.ReferencedROINumber = 1
    roi.ContourSequence = Sequence([contour])
    ds = Dataset()
    ds.ROIContourSequence = Sequence([roi])
    ds.ContourData = ["4", "5", "6"]
    naturalized = naturalize_elements(ds, ["ROIContourSequence"], omit=frozenset({"ContourData"}))
    assert naturalized == {
        "ROIContourSequence": [
            {
                "ReferencedROINumber": 1,
                "ContourSequence": [{"ContourGeometricType": "CLOSED_PLANAR", "NumberOfContourPoints": 1}],
            }
        ]
    }


def test_bulk_data_paths_become_urls_with_the_query() -> None:
    fields: dict[str, Any] = {
        "ContentSequence": [{"TextValue": "kept"}, {"Waveform": {"BulkDataURI": "0040-a730/1/5400-0100"}}],
        "Other": {"InlineBinary": "AQI="},
    }
    resolved = bulk_data_url(fields, "../instances/abc", "token=x%20y")
    assert resolved["ContentSequence"][1]["Waveform"] == {
        "BulkDataURI": "../instances/abc/content/0040-a730/1/5400-0100?token=x%20y"
    }
    assert resolved["ContentSequence"][0] is fields["ContentSequence"][0]
    assert resolved["Other"] is fields["Other"]
    assert fields["ContentSequence"][1]["Waveform"] == {"BulkDataURI": "0040-a730/1/5400-0100"}  # not changed


def test_fields_without_bulk_data_are_returned_as_they_are() -> None:
    fields = {"SegmentSequence": [{"SegmentNumber": 1}]}
    assert bulk_data_url(fields, "../instances/abc", "") is fields
