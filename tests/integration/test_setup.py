"""The documented set-up works: orthanc.json.example loads the plugin as it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

from harness.orthanc_server import REPOSITORY
from tests.conftest import ServerFactory
from tests.support import dicom_factory as factory


def example_configuration(folder: Path) -> dict[str, object]:
    text = (REPOSITORY / "orthanc.json.example").read_text()
    text = re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)
    text = text.replace("/opt/ohif-plugin", str(REPOSITORY)).replace("/var/lib/orthanc/db", str(folder))
    configuration: dict[str, object] = json.loads(text)
    return configuration


def test_the_example_configuration_loads_the_plugin(make_server: ServerFactory, tmp_path: Path) -> None:
    example = example_configuration(tmp_path / "storage")
    assert example["PythonScript"] == str(REPOSITORY / "ohif_plugin" / "plugin.py")
    example.pop("HttpPort")
    example["DicomServerEnabled"] = False
    server = make_server(configuration=example, with_plugin_script=False)
    assert "OHIF plugin: version" in server.log_text()
    assert "data source dicom-json, router basename /ohif/, preload on" in server.log_text()
    instance_id = server.upload_ok(factory.to_bytes(factory.ct_series(factory.StudySpec(), 1)[0]))["ID"]
    study_id = server.study_of(instance_id)
    assert server.study_json(study_id).json()["studies"][0]["NumInstances"] == 1
    assert server.get("/ohif/viewer").status_code == 200
