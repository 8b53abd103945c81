"""Metadata 4202 and GET /studies/{id}/ohif-dicom-json against a real Orthanc."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from harness.orthanc_server import OrthancServer
from tests.conftest import ServerFactory
from tests.support import dicom_factory as factory
from tests.support.orthanc_checks import decode_4202, encode_4202


@pytest.fixture(scope="module")
def study(orthanc: OrthancServer) -> dict[str, Any]:
    """A study with two CT series, a PET series and a multi-frame series, uploaded once."""
    spec = factory.StudySpec(patient_name="Müller^Zoë", study_description="Thorax")
    ct_first = factory.ct_series(spec, 4, series_number=1, series_description="Axial")
    ct_second = factory.ct_series(spec, 3, series_number=2, series_description="Coronal")
    pet_series = factory.generate_uid()
    pet = [factory.pet_instance(spec, pet_series, index) for index in range(2)]
    multiframe = factory.multiframe_instance(spec, frames=5)
    datasets = ct_first + ct_second + pet + [multiframe]
    ids = orthanc.upload_all([factory.to_bytes(ds) for ds in datasets])
    study_id = orthanc.study_of(ids[0])
    return {"spec": spec, "datasets": datasets, "ids": ids, "study_id": study_id,
            "ct": ct_first + ct_second, "pet": pet, "multiframe": multiframe}


def test_preload_stores_the_reference_format_for_every_instance(orthanc, study):
    stored = orthanc.wait_for_metadata(study["ids"])
    by_id = dict(zip(study["ids"], study["datasets"], strict=True))
    for instance_id, dataset in by_id.items():
        summary = decode_4202(stored[instance_id])
        assert summary["Version"] == 2
        assert type(summary["Version"]) is int
        if dataset in study["ct"]:
            assert summary == factory.expected_ct_summary(study["spec"], dataset)
    pet_summary = decode_4202(stored[study["ids"][study["datasets"].index(study["pet"][0])]])
    assert pet_summary["0054,0016"] == [{
        "RadionuclideHalfLife": 6586.2,
        "RadionuclideTotalDose": 370000000.0,
        "RadiopharmaceuticalStartDateTime": "20240102093000",
    }]
    assert pet_summary["7053,1000"] == 0.000123
    assert pet_summary["7053,1009"] == 1.5
    assert pet_summary["0009,100d"] == "20240102093000.00"
    assert pet_summary["0054,1001"] == "BQML"
    assert pet_summary["0028,0051"] == ["ATTN", "DECY"]
    multiframe_summary = decode_4202(stored[study["ids"][-1]])
    assert multiframe_summary["0028,0008"] == 5


def expected_urls(instance_id: str, dataset: Any) -> list[str]:
    url = f"dicomweb:../instances/{instance_id}/file"
    frames = int(dataset.get("NumberOfFrames", 1))
    return [url] if frames == 1 else [f"{url}?frame={frame}" for frame in range(1, frames + 1)]


def test_study_json_has_the_shape_of_the_reference(orthanc, study):
    answer = orthanc.study_json(study["study_id"])
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert list(body) == ["studies"]
    assert len(body["studies"]) == 1
    ohif_study = body["studies"][0]
    spec = study["spec"]
    assert ohif_study["StudyInstanceUID"] == spec.study_uid
    assert ohif_study["PatientName"] == "Müller^Zoë"
    assert ohif_study["StudyDescription"] == "Thorax"
    assert ohif_study["NumInstances"] == len(study["ids"])
    assert ohif_study["Modalities"] == "CT,OT,PT"
    series_uids = [series["SeriesInstanceUID"] for series in ohif_study["series"]]
    assert series_uids == sorted(series_uids)
    assert len(series_uids) == 4

    expected_instances: dict[str, list[tuple[str, Any]]] = {str(ds.SeriesInstanceUID): [] for ds in study["datasets"]}
    for instance_id, dataset in zip(study["ids"], study["datasets"], strict=True):
        expected_instances[str(dataset.SeriesInstanceUID)].append((instance_id, dataset))
    for series in ohif_study["series"]:
        members = expected_instances[series["SeriesInstanceUID"]]
        first = members[0][1]
        assert series["Modality"] == first.Modality
        assert series["SeriesNumber"] == int(first.SeriesNumber)
        urls = [instance["url"] for instance in series["instances"]]
        # One entry per frame of a multi-frame instance (see tests/integration/test_media.py).
        assert sorted(urls) == sorted(url for iid, dataset in members for url in expected_urls(iid, dataset))
        ids_in_answer = list(dict.fromkeys(url.split("/")[2] for url in urls))
        numbers = {iid: int(dataset.InstanceNumber) for iid, dataset in members}
        assert ids_in_answer == sorted(ids_in_answer, key=numbers.__getitem__)  # whatever Orthanc's order
        for instance in series["instances"]:
            metadata = instance["metadata"]
            assert "PatientName" not in metadata
            assert metadata["SeriesInstanceUID"] == series["SeriesInstanceUID"]
            assert metadata["StudyInstanceUID"] == spec.study_uid
    pet_series = next(series for series in ohif_study["series"] if series["Modality"] == "PT")
    pet_metadata = pet_series["instances"][0]["metadata"]
    assert pet_metadata["RadiopharmaceuticalInformationSequence"][0]["RadionuclideHalfLife"] == 6586.2
    assert pet_metadata["70531000"] == 0.000123
    assert pet_metadata["0009100d"] == "20240102093000.00"
    ct_series = next(series for series in ohif_study["series"] if series.get("SeriesDescription") == "Axial")
    positions = [instance["metadata"]["ImagePositionPatient"] for instance in ct_series["instances"]]
    assert sorted(positions) == [[-16.0, -16.0, 2.5 * index] for index in range(4)]


def test_unknown_study_answers_404(orthanc):
    assert orthanc.study_json("00000000-00000000-00000000-00000000-00000000").status_code == 404
    assert orthanc.study_json("not-an-orthanc-id").status_code == 404
    assert orthanc.session.post(
        f"{orthanc.url}/studies/00000000-00000000-00000000-00000000-00000000/ohif-dicom-json"
    ).status_code == 405


@pytest.mark.parametrize(
    "case", factory.GENERATED_CHARSETS + factory.BUNDLED_CHARSETS, ids=lambda case: case.name
)
def test_text_in_every_character_set_comes_out_as_unicode(orthanc, case):
    instance_id = orthanc.upload_ok(factory.charset_bytes(case))["ID"]
    summary = decode_4202(orthanc.wait_for_metadata([instance_id])[instance_id])
    assert summary["0010,0010"] == case.patient_name
    if case.source == "generated":
        assert summary["0008,1030"] == case.study_description
    study_id = orthanc.study_of(instance_id)
    assert orthanc.study_json(study_id).json()["studies"][0]["PatientName"] == case.patient_name


def test_corrupt_and_old_summaries_are_replaced_and_foreign_ones_kept(orthanc):
    spec = factory.StudySpec(patient_name="Cache^Test")
    ids = orthanc.upload_all([factory.to_bytes(ds) for ds in factory.ct_series(spec, 4)])
    orthanc.wait_for_metadata(ids)
    corrupt, old_version, wrong_shape, foreign = ids
    orthanc.put_metadata(corrupt, b"this is not base64 gzip json!")
    orthanc.put_metadata(old_version, encode_4202({"Version": 1, "0010,0010": "Old^Version"}))
    orthanc.put_metadata(wrong_shape, encode_4202({"Version": 2, "0028,0030": 5, "0020,000d": spec.study_uid}))
    foreign_summary = decode_4202(orthanc.metadata(foreign) or b"")
    foreign_summary["0010,0010"] = "Written^ByAnotherPlugin"
    foreign_summary["0028,0030"] = [0.5000000059604645, 0.5000000059604645]  # float32 rounding
    foreign_summary["SomethingElse"] = "kept as is"
    orthanc.put_metadata(foreign, encode_4202(foreign_summary))

    study_id = orthanc.study_of(ids[0])
    answer = orthanc.study_json(study_id)
    assert answer.status_code == 200
    instances = answer.json()["studies"][0]["series"][0]["instances"]
    assert len(instances) == 4

    for replaced in (corrupt, old_version, wrong_shape):
        summary = decode_4202(orthanc.metadata(replaced) or b"")
        assert summary["Version"] == 2
        assert summary["0010,0010"] == "Cache^Test"
        assert summary["0028,0030"] == [0.5, 0.5]
    assert decode_4202(orthanc.metadata(foreign) or b"") == foreign_summary
    foreign_entry = next(item for item in instances if foreign in item["url"])
    assert foreign_entry["metadata"]["PixelSpacing"] == [0.5000000059604645, 0.5000000059604645]


def test_with_preload_off_the_first_request_computes_and_stores(make_server: ServerFactory):
    server = make_server(ohif={"Preload": False})
    spec = factory.StudySpec()
    ids = server.upload_all([factory.to_bytes(ds) for ds in factory.ct_series(spec, 3)])
    assert all(server.metadata(instance_id) is None for instance_id in ids)
    study_id = server.study_of(ids[0])
    first = server.study_json(study_id)
    assert first.status_code == 200
    assert first.json()["studies"][0]["NumInstances"] == 3
    for instance_id in ids:
        assert decode_4202(server.metadata(instance_id) or b"")["0020,000d"] == spec.study_uid
    assert server.study_json(study_id).content == first.content


def test_a_study_stored_before_the_plugin_is_served(make_server: ServerFactory, tmp_path: Path):
    plain = make_server("shared", plugins=(), with_plugin_script=False)
    spec = factory.StudySpec()
    datasets = factory.ct_series(spec, 3)
    ids = plain.upload_all([factory.to_bytes(ds) for ds in datasets])
    plain.stop()
    with_plugin = make_server("shared")
    assert with_plugin.metadata(ids[0]) is None
    study_id = with_plugin.study_of(ids[0])
    answer = with_plugin.study_json(study_id)
    assert answer.status_code == 200
    assert answer.json()["studies"][0]["NumInstances"] == 3
    for instance_id, dataset in zip(ids, datasets, strict=True):
        assert decode_4202(with_plugin.metadata(instance_id) or b"") == factory.expected_ct_summary(spec, dataset)


def test_odd_instances_never_break_the_study_or_orthanc(orthanc):
    """Truncated, pixel-less, private-tag and UID-less files: the rest is served."""
    spec = factory.StudySpec(patient_name="Odd^Files")
    good = factory.ct_series(spec, 3)
    full = factory.to_bytes(factory.ct_series(spec, 1)[0])
    ids = orthanc.upload_all([factory.to_bytes(ds) for ds in good])
    no_pixels_id = orthanc.upload_ok(factory.to_bytes(factory.without_pixel_data(spec)))["ID"]
    private_id = orthanc.upload_ok(factory.to_bytes(factory.pet_instance(spec, factory.generate_uid(), 0)))["ID"]

    accepted = []
    for keep in (100, 400, len(full) // 2, len(full) - 10):
        answer = orthanc.upload(factory.truncated(full, keep))
        assert answer.status_code in (200, 400), answer.text
        if answer.status_code == 200:
            accepted.append(answer.json()["ID"])
    missing_uid = factory.ct_series(spec, 1)[0]
    del missing_uid.SeriesInstanceUID
    assert orthanc.upload(factory.to_bytes(missing_uid)).status_code in (200, 400, 404)

    study_id = orthanc.study_of(ids[0])
    answer = orthanc.study_json(study_id)
    assert answer.status_code == 200
    served = {item["url"].split("/")[2] for series in answer.json()["studies"][0]["series"]
              for item in series["instances"]}
    assert set(ids) | {no_pixels_id, private_id} <= served
    assert orthanc.get("/system").status_code == 200


def test_an_instance_deleted_during_assembly_is_skipped(make_server: ServerFactory):
    server = make_server(ohif={"Preload": False})
    spec = factory.StudySpec()
    ids = server.upload_all([factory.to_bytes(ds) for ds in factory.ct_series(spec, 150, size=16)])
    study_id = server.study_of(ids[0])
    results: dict[str, Any] = {}

    def request() -> None:
        results["answer"] = server.study_json(study_id)

    thread = threading.Thread(target=request)
    thread.start()
    deleted = 0
    for instance_id in reversed(ids[-40:]):
        deleted += server.session.delete(f"{server.url}/instances/{instance_id}").status_code == 200
    thread.join(60)
    assert deleted == 40
    answer = results["answer"]
    assert answer.status_code == 200
    count = answer.json()["studies"][0]["NumInstances"]
    assert 110 <= count <= 150
    assert server.study_json(study_id).json()["studies"][0]["NumInstances"] == 110


def test_stopping_orthanc_stops_the_worker_and_unwritten_summaries_come_later(make_server: ServerFactory):
    server = make_server("restart")
    spec = factory.StudySpec()
    files = [factory.to_bytes(ds) for ds in factory.ct_series(spec, 200, size=16)]
    ids = server.upload_all(files)
    assert server.stop(timeout=20) == 0
    assert "did not stop" not in server.log_text()
    again = make_server("restart")
    study_id = again.study_of(ids[0])
    assert again.study_json(study_id).json()["studies"][0]["NumInstances"] == 200
    assert all(again.metadata(instance_id) is not None for instance_id in ids)


@pytest.mark.orthanc_log_errors(r"OHIF plugin: configuration error: ")
@pytest.mark.parametrize(
    ("ohif", "expected"),
    [
        ({"DataSource": "dicomweb"}, ['"OHIF"."DataSource"', '"dicom-json" or "dicom-web"', "'dicomweb'"]),
        ({"Preload": "yes"}, ['"OHIF"."Preload"', "true or false", "'yes'"]),
        ({"RouterBasename": 3}, ['"OHIF"."RouterBasename"', "3 (int)"]),
        ({"UserConfiguration": "/nonexistent/app-config.js"},
         ['"OHIF"."UserConfiguration"', "/nonexistent/app-config.js"]),
    ],
)
def test_a_configuration_error_registers_nothing_and_says_why(make_server: ServerFactory, ohif, expected):
    server = make_server(ohif=ohif)
    errors = [line for line in server.log_text().splitlines() if "OHIF plugin: configuration error" in line]
    assert len(errors) == 1
    for fragment in expected:
        assert fragment in errors[0]
    instance_id = server.upload_ok(factory.to_bytes(factory.ct_series(factory.StudySpec(), 1)[0]))["ID"]
    study_id = server.study_of(instance_id)
    assert server.study_json(study_id).status_code == 404
    time.sleep(1)  # time enough for a preload worker, had one been started
    assert server.metadata(instance_id) is None


# A damaged file in Orthanc's storage: an error an administrator must act on (Orthanc 1.13 refuses to read it).
@pytest.mark.orthanc_log_errors(r"OHIF plugin: Instance \S+ left out of study")
def test_an_instance_that_cannot_be_summarized_is_logged_and_left_out(make_server: ServerFactory):
    """Its file was damaged on disk after storage: the rest of the study is served."""
    first = make_server("damaged", ohif={"Preload": False})
    spec = factory.StudySpec()
    ids = first.upload_all([factory.to_bytes(ds) for ds in factory.ct_series(spec, 3)])
    damaged = ids[1]
    uuid = first.get(f"/instances/{damaged}/attachments/dicom/info").json()["Uuid"]
    first.stop()  # Orthanc keeps recently stored files in memory: restart to read the disk
    stored_file = next((first.folder / "storage").rglob(uuid))
    stored_file.write_bytes(b"\x00" * 64 + b"garbage, not DICOM")
    server = make_server("damaged", ohif={"Preload": False})

    study_id = server.study_of(ids[0])
    answer = server.study_json(study_id)
    assert answer.status_code == 200
    urls = [item["url"] for item in answer.json()["studies"][0]["series"][0]["instances"]]
    assert urls == [f"dicomweb:../instances/{instance_id}/file" for instance_id in ids if instance_id != damaged]
    assert f"Instance {damaged} left out of study {study_id}" in server.log_text()
    assert server.metadata(damaged) is None
    assert server.get("/system").status_code == 200
