"""Assembling the ohif-dicom-json answer from hand-written summaries (ohif_plugin.study_json.assembly)."""

from __future__ import annotations

from typing import Any

from ohif_plugin.study_json.assembly import InstanceSummary, assemble_study, instance_url


def _summary(
    study: str, series: str, sop: str, modality: str = "CT", extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"Version": 2, "0020,000d": study, "0020,000e": series, "0008,0018": sop,
            "0008,0060": modality, **(extra or {})}


def test_empty_list() -> None:
    assert assemble_study([]) == {"studies": []}


def test_instance_url() -> None:
    assert instance_url("a1b2-c3") == "dicomweb:../instances/a1b2-c3/file"


def test_whole_answer_shape() -> None:
    first = _summary("1.2", "1.2.2", "1.2.2.1", "PT", extra={
        "0010,0010": "First^Patient", "0010,0020": "P1", "0008,0020": "20240102",
        "0008,103e": "PET AC", "0020,0011": 3, "0018,0050": 2.5,
        "0028,0010": 128, "0020,0032": [0.0, 0.0, 1.5], "0008,0008": ["ORIGINAL", "PRIMARY"],
    })
    other_series = _summary("1.2", "1.2.1", "1.2.1.1", "CT", extra={
        "0010,0010": "Second^Name", "0008,103e": "Axial", "0020,0011": 1,
    })
    same_series = _summary("1.2", "1.2.2", "1.2.2.2", "PT", extra={
        "0010,0010": "Third^Name", "0008,103e": "Other description", "0020,0011": 4,
    })
    answer = assemble_study([
        InstanceSummary("id-a", first),
        InstanceSummary("id-b", other_series),
        InstanceSummary("id-c", same_series),
    ])
    assert answer == {"studies": [{
        "StudyInstanceUID": "1.2",
        "StudyDate": "20240102",
        "PatientName": "First^Patient",
        "PatientID": "P1",
        "series": [
            {
                "SeriesInstanceUID": "1.2.1",
                "SeriesNumber": 1,
                "SeriesDescription": "Axial",
                "Modality": "CT",
                "instances": [{
                    "metadata": {"StudyInstanceUID": "1.2", "SeriesInstanceUID": "1.2.1",
                                 "SOPInstanceUID": "1.2.1.1", "Modality": "CT"},
                    "url": "dicomweb:../instances/id-b/file",
                }],
            },
            {
                "SeriesInstanceUID": "1.2.2",
                "SeriesNumber": 3,
                "SeriesDescription": "PET AC",
                "Modality": "PT",
                "SliceThickness": 2.5,
                "instances": [
                    {
                        "metadata": {"StudyInstanceUID": "1.2", "SeriesInstanceUID": "1.2.2",
                                     "SOPInstanceUID": "1.2.2.1", "Modality": "PT", "Rows": 128,
                                     "ImagePositionPatient": [0.0, 0.0, 1.5],
                                     "ImageType": ["ORIGINAL", "PRIMARY"]},
                        "url": "dicomweb:../instances/id-a/file",
                    },
                    {
                        "metadata": {"StudyInstanceUID": "1.2", "SeriesInstanceUID": "1.2.2",
                                     "SOPInstanceUID": "1.2.2.2", "Modality": "PT"},
                        "url": "dicomweb:../instances/id-c/file",
                    },
                ],
            },
        ],
        "NumInstances": 3,
        "Modalities": "CT,PT",
    }]}


def test_series_sorted_as_strings_and_instances_without_a_number_kept_in_given_order() -> None:
    summaries = [
        InstanceSummary("i3", _summary("1", "1.9", "s3")),
        InstanceSummary("i1", _summary("1", "1.10", "s1")),
        InstanceSummary("i2", _summary("1", "1.9", "s2")),
        InstanceSummary("i0", _summary("1", "1.10", "s0")),
    ]
    (study,) = assemble_study(summaries)["studies"]
    assert [series["SeriesInstanceUID"] for series in study["series"]] == ["1.10", "1.9"]
    assert [[instance["url"] for instance in series["instances"]] for series in study["series"]] == [
        ["dicomweb:../instances/i1/file", "dicomweb:../instances/i0/file"],
        ["dicomweb:../instances/i3/file", "dicomweb:../instances/i2/file"],
    ]


def test_instances_sorted_by_instance_number_then_given_order_those_without_last() -> None:
    """Orthanc 1.12 lists instances by identifier, 1.10 by upload: the answer is the same for both."""
    numbers = {"a": 3, "b": None, "c": 1, "d": 2, "e": 1, "f": None}
    summaries = [
        InstanceSummary(name, _summary("1", "1.1", f"s{name}", extra={} if number is None else {"0020,0013": number}))
        for name, number in numbers.items()
    ]
    (study,) = assemble_study(summaries)["studies"]
    urls = [instance["url"] for instance in study["series"][0]["instances"]]
    assert urls == [f"dicomweb:../instances/{name}/file" for name in ["c", "e", "d", "a", "b", "f"]]
    assert assemble_study(reversed(summaries))["studies"][0]["series"][0]["instances"][0]["url"].endswith("/e/file")


def test_modalities_distinct_sorted_comma_separated() -> None:
    summaries = [
        InstanceSummary("a", _summary("1", "1.1", "a", "PT")),
        InstanceSummary("b", _summary("1", "1.2", "b", "CT")),
        InstanceSummary("c", _summary("1", "1.3", "c", "SEG")),
        InstanceSummary("d", _summary("1", "1.4", "d", "CT")),
    ]
    (study,) = assemble_study(summaries)["studies"]
    assert study["Modalities"] == "CT,PT,SEG"
    assert study["NumInstances"] == 4


def test_series_without_modality_adds_none() -> None:
    no_modality = _summary("1", "1.2", "b")
    del no_modality["0008,0060"]
    (study,) = assemble_study([
        InstanceSummary("a", _summary("1", "1.1", "a", "MR")),
        InstanceSummary("b", no_modality),
    ])["studies"]
    assert study["Modalities"] == "MR"
    assert "Modality" not in study["series"][1]


def test_instances_missing_a_uid_are_left_out() -> None:
    no_study = _summary("1", "1.1", "x")
    del no_study["0020,000d"]
    no_series = _summary("1", "1.1", "y")
    del no_series["0020,000e"]
    (study,) = assemble_study([
        InstanceSummary("x", no_study),
        InstanceSummary("kept", _summary("1", "1.1", "k")),
        InstanceSummary("y", no_series),
    ])["studies"]
    assert study["NumInstances"] == 1
    assert [instance["url"] for instance in study["series"][0]["instances"]] == [
        "dicomweb:../instances/kept/file"
    ]


def test_only_instances_without_uids_gives_no_study() -> None:
    only = _summary("1", "1.1", "x")
    del only["0020,000d"]
    assert assemble_study([InstanceSummary("x", only)]) == {"studies": []}


def test_pet_sequence_and_vendor_keys_in_instance_metadata() -> None:
    sequence = [{"RadionuclideHalfLife": 6586.2, "RadionuclideTotalDose": 370000000.0,
                 "RadiopharmaceuticalStartDateTime": "20240102093000"}]
    summary = _summary("1", "1.1", "p", "PT", extra={
        "0054,0016": sequence, "7053,1000": 0.000123, "7053,1009": 1.5,
        "0009,100d": "20240102093000.00", "0054,1001": "BQML", "0028,0051": ["ATTN", "DECY"],
    })
    (study,) = assemble_study([InstanceSummary("p", summary)])["studies"]
    metadata = study["series"][0]["instances"][0]["metadata"]
    assert metadata == {
        "StudyInstanceUID": "1", "SeriesInstanceUID": "1.1", "SOPInstanceUID": "p", "Modality": "PT",
        "RadiopharmaceuticalInformationSequence": sequence,
        "70531000": 0.000123, "70531009": 1.5, "0009100d": "20240102093000.00",
        "Units": "BQML", "CorrectedImage": ["ATTN", "DECY"],
    }


def test_level_only_tags_stay_at_their_level() -> None:
    summary = _summary("1", "1.1", "s", extra={
        "0010,0010": "Doe^Jane", "0008,1030": "Study", "0020,0011": 5, "0018,0050": 1.0,
        "0008,103e": "Series", "0099,0001": "unknown key",
    })
    (study,) = assemble_study([InstanceSummary("s", summary)])["studies"]
    series = study["series"][0]
    metadata = series["instances"][0]["metadata"]
    assert study["PatientName"] == "Doe^Jane"
    assert "PatientName" not in series and "PatientName" not in metadata
    assert "StudyDescription" not in metadata
    assert series["SeriesNumber"] == 5 and "SeriesNumber" not in metadata
    assert "SliceThickness" not in metadata
    assert "SeriesNumber" not in study
    for level in (study, series, metadata):
        assert "0099,0001" not in level and "Version" not in level



def test_a_query_goes_to_every_instance_url() -> None:
    answer = assemble_study([InstanceSummary("abc", _summary("1.2", "1.2.3", "1.2.3.4"))], query="token=a%20b")
    [instance] = answer["studies"][0]["series"][0]["instances"]
    assert instance["url"] == "dicomweb:../instances/abc/file?token=a%20b"
