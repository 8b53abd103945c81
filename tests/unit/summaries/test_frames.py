"""Multi-frame images: the summary's compact functional groups, and one answer entry per frame."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pydicom
import pytest

from ohif_plugin.study_json.assembly import InstanceSummary, frame_url, instance_entries
from ohif_plugin.summaries import extensions
from ohif_plugin.summaries.codec import decode_summary, encode_summary
from ohif_plugin.summaries.dataset import summarize_dicom
from ohif_plugin.summaries.extensions import EXTENSIONS_KEY, extensions_of, has_current_extensions
from ohif_plugin.summaries.frames import (
    FRAMES_KEY,
    frame_groups_of,
    functional_groups,
    is_valid_frame_groups,
    multi_frame_fields,
    number_of,
)
from tests.support import dicom_factory as factory
from tests.support import media_factory as media

GEOMETRY = media.EnhancedGeometry()


def _summary_of(ds: pydicom.Dataset) -> dict[str, Any]:
    return summarize_dicom(factory.to_bytes(ds))


def test_an_enhanced_image_keeps_only_the_numbers_of_its_functional_groups() -> None:
    summary = _summary_of(media.enhanced_instance(factory.StudySpec(), frames=4))
    assert summary[EXTENSIONS_KEY][FRAMES_KEY] == {
        "Shared": {
            "PlaneOrientationSequence": {"ImageOrientationPatient": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]},
            "PixelMeasuresSequence": {"PixelSpacing": [1.0, 1.0], "SliceThickness": 3.0},
            "PixelValueTransformationSequence": {"RescaleIntercept": 0.0, "RescaleSlope": 1.0},
            "FrameVOILUTSequence": {"WindowCenter": 1024.0, "WindowWidth": 2048.0},
        },
        "PerFrame": {
            "PlanePositionSequence": {
                "ImagePositionPatient": [GEOMETRY.position(index) for index in range(4)],
            },
        },
    }
    assert decode_summary(encode_summary(summary)) == summary


def test_orientation_given_per_frame_stays_per_frame() -> None:
    ds = media.enhanced_instance(factory.StudySpec(), frames=3, orientation_per_frame=True)
    groups = frame_groups_of(ds)
    assert groups is not None
    assert "PlaneOrientationSequence" not in groups["Shared"]
    assert groups["PerFrame"]["PlaneOrientationSequence"] == {
        "ImageOrientationPatient": [list(GEOMETRY.orientation)] * 3
    }


def test_a_per_frame_sequence_of_the_wrong_length_is_left_out() -> None:
    ds = media.enhanced_instance(factory.StudySpec(), frames=3)
    del ds.PerFrameFunctionalGroupsSequence[2]
    groups = frame_groups_of(ds)
    assert groups is not None
    assert "PerFrame" not in groups
    assert groups["Shared"]["PixelMeasuresSequence"]["SliceThickness"] == 3.0


def test_an_image_without_functional_groups_has_no_frames_key() -> None:
    ds = media.ultrasound_multiframe(factory.StudySpec(), frames=3, size=16)
    assert frame_groups_of(ds) is None
    assert FRAMES_KEY not in extensions_of(ds)
    assert multi_frame_fields(ds) == {"FrameTime": 40.0}


def test_a_single_frame_image_has_no_frame_time() -> None:
    ds = factory.ct_instance(factory.StudySpec(), factory.generate_uid(), 0, size=8)
    ds.FrameTime = "33"
    assert multi_frame_fields(ds) == {}


@pytest.mark.parametrize(
    ("vr", "value", "expected"),
    [
        ("DS", "2.5", 2.5),
        ("DS", ["1", "2.5"], [1.0, 2.5]),
        ("FD", [0.5, 0.25], [0.5, 0.25]),
        ("DS", "", None),
        ("LO", "abc", None),
        ("LO", ["1", "x"], None),
        ("LO", "nan", None),
    ],
)
def test_numbers_are_naturalized_or_left_out(vr: str, value: Any, expected: Any) -> None:
    ds = pydicom.Dataset()
    ds.add_new(0x00280030, vr, value)  # PixelSpacing, whatever VR the file says
    assert number_of(ds, "PixelSpacing") == expected


def test_a_missing_attribute_is_none() -> None:
    assert number_of(pydicom.Dataset(), "SliceThickness") is None


def test_the_compact_groups_expand_to_naturalized_sequences() -> None:
    compact = {
        "Shared": {"PixelMeasuresSequence": {"PixelSpacing": [0.5, 0.5]}},
        "PerFrame": {
            "PlanePositionSequence": {"ImagePositionPatient": [[0.0, 0.0, 1.0], None, [0.0, 0.0, 3.0]]},
            "FrameVOILUTSequence": {"WindowCenter": [40.0, None, 60.0]},
        },
    }
    assert is_valid_frame_groups(compact)
    assert functional_groups(compact) == {
        "SharedFunctionalGroupsSequence": [{"PixelMeasuresSequence": [{"PixelSpacing": [0.5, 0.5]}]}],
        "PerFrameFunctionalGroupsSequence": [
            {"PlanePositionSequence": [{"ImagePositionPatient": [0.0, 0.0, 1.0]}],
             "FrameVOILUTSequence": [{"WindowCenter": 40.0}]},
            {},
            {"PlanePositionSequence": [{"ImagePositionPatient": [0.0, 0.0, 3.0]}],
             "FrameVOILUTSequence": [{"WindowCenter": 60.0}]},
        ],
    }
    assert functional_groups(None) == {}


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"Other": {}},
        {"Shared": {"UnknownSequence": {"PixelSpacing": [1.0]}}},
        {"Shared": {"PixelMeasuresSequence": {"ImagePositionPatient": [1.0]}}},
        {"Shared": {"PixelMeasuresSequence": {"PixelSpacing": "1\\1"}}},
        {"Shared": {"PixelMeasuresSequence": {"PixelSpacing": [True, 1.0]}}},
        {"Shared": {"PixelMeasuresSequence": {}}},
        {"PerFrame": {"PlanePositionSequence": {"ImagePositionPatient": [[1.0], [2.0]]},
                      "FrameVOILUTSequence": {"WindowCenter": [1.0]}}},  # lengths differ
        {"PerFrame": {"PlanePositionSequence": {"ImagePositionPatient": []}}},
        {"PerFrame": {"PlanePositionSequence": {"ImagePositionPatient": [["1"]]}}},
    ],
)
def test_malformed_frame_groups_make_the_summary_stale(value: Any) -> None:
    assert not is_valid_frame_groups(value)
    summary = _summary_of(media.enhanced_instance(factory.StudySpec(), frames=2))
    assert has_current_extensions(summary)
    summary[EXTENSIONS_KEY][FRAMES_KEY] = value
    assert not has_current_extensions(summary)
    assert decode_summary(encode_summary(summary)) is None


def test_frame_urls_put_the_frame_last() -> None:
    assert frame_url("abc", 3) == "dicomweb:../instances/abc/file?frame=3"
    assert frame_url("abc", 1, "token=x%26y") == "dicomweb:../instances/abc/file?token=x%26y&frame=1"


def test_one_entry_per_frame_with_the_groups_on_the_first_only() -> None:
    summary = _summary_of(media.enhanced_instance(factory.StudySpec(), frames=5))
    entries = instance_entries(InstanceSummary("id-e", summary), "token=t")
    assert [entry["url"] for entry in entries] == [
        f"dicomweb:../instances/id-e/file?token=t&frame={frame}" for frame in range(1, 6)
    ]
    first, *others = (entry["metadata"] for entry in entries)
    positions = [
        item["PlanePositionSequence"][0]["ImagePositionPatient"] for item in first["PerFrameFunctionalGroupsSequence"]
    ]
    assert positions == [GEOMETRY.position(index) for index in range(5)]
    assert first["SharedFunctionalGroupsSequence"][0]["PixelMeasuresSequence"] == [
        {"PixelSpacing": [1.0, 1.0], "SliceThickness": 3.0}
    ]
    for metadata in others:
        assert "PerFrameFunctionalGroupsSequence" not in metadata
        assert "SharedFunctionalGroupsSequence" not in metadata
    for metadata in (first, *others):
        assert metadata["NumberOfFrames"] == 5
        assert metadata["SOPInstanceUID"] == first["SOPInstanceUID"]
        assert "ImagePositionPatient" not in metadata  # it would hide the per-frame positions


def test_every_frame_entry_carries_number_of_frames_and_frame_time() -> None:
    summary = _summary_of(media.ultrasound_multiframe(factory.StudySpec(), frames=4, size=16))
    entries = instance_entries(InstanceSummary("id-u", summary))
    assert [entry["url"] for entry in entries] == [
        f"dicomweb:../instances/id-u/file?frame={frame}" for frame in range(1, 5)
    ]
    assert all(entry["metadata"]["NumberOfFrames"] == 4 for entry in entries)
    assert all(entry["metadata"]["FrameTime"] == 40.0 for entry in entries)


def test_a_reference_summary_of_a_multi_frame_image_still_gives_one_entry_per_frame() -> None:
    """A multi-frame summary without extensions is stale, but the answer never depends on them to list frames."""
    summary = {"Version": 2, "0020,000d": "1.2", "0020,000e": "1.2.3", "0008,0018": "1.2.3.4", "0028,0008": 3}
    assert [entry["url"] for entry in instance_entries(InstanceSummary("id", summary))] == [
        f"dicomweb:../instances/id/file?frame={frame}" for frame in (1, 2, 3)
    ]


def test_a_100_frame_enhanced_image_stays_slim() -> None:
    """The groups are stored once, compactly: the answer grows linearly with the frames."""
    ds = media.enhanced_instance(factory.StudySpec(), frames=100, size=8)
    summary = _summary_of(ds)
    stored = encode_summary(summary)
    frames_json = orjson.dumps(summary[EXTENSIONS_KEY][FRAMES_KEY])
    entries = instance_entries(InstanceSummary("0" * 44, summary))
    answer = orjson.dumps(entries)
    print(f"\n100-frame enhanced MR: metadata 4202 {len(stored)} bytes (base64 of gzip), "
          f"Frames JSON {len(frames_json)} bytes, answer entries {len(answer)} bytes")
    assert len(stored) < 4_000
    assert len(frames_json) < 100 * 60
    assert answer.count(b"PerFrameFunctionalGroupsSequence") == 1
    assert len(answer) < 100 * 1_500


def test_the_full_header_and_the_summary_agree() -> None:
    """The summary's extensions are those of the whole dataset, read back as pydicom reads it."""
    ds = media.enhanced_instance(factory.StudySpec(), frames=3)
    whole = factory.to_bytes(ds)
    reread = pydicom.dcmread(io.BytesIO(whole))
    assert extensions_of(reread) == summarize_dicom(whole)[EXTENSIONS_KEY]


def test_a_failing_section_costs_its_own_key_only(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(dataset: pydicom.Dataset) -> dict[str, Any]:
        raise ValueError("broken header")

    section = extensions.Section(broken, is_valid_frame_groups)
    monkeypatch.setitem(extensions.EXTENSION_SECTIONS, FRAMES_KEY, section)
    ds = media.ultrasound_multiframe(factory.StudySpec(), frames=3, size=16)
    with caplog.at_level("WARNING"):
        computed = extensions_of(ds)
    assert computed == {"Version": 1, "Instance": {"FrameTime": 40.0}}
    assert "broken failed (ValueError: broken header)" in caplog.text
