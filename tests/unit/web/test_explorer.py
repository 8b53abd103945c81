"""The "Open OHIF viewer" button of Orthanc Explorer (ohif_plugin.web.explorer)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ohif_plugin.configuration import DataSource, Settings
from ohif_plugin.web.explorer import explorer_extension
from ohif_plugin.web.modes import VIEWER_MODES


def settings_of(script: str) -> Any:
    """The settings object the plugin put into the script."""
    found = re.search(r"var settings = (\{.*?\});\n", script)
    assert found is not None, "the settings placeholder was not replaced"
    return json.loads(found.group(1))


@pytest.mark.parametrize("data_source", list(DataSource))
def test_the_script_gets_the_data_source_and_every_mode_in_order(data_source: DataSource) -> None:
    script = explorer_extension(Settings(data_source=data_source))
    assert "/*OHIF_SETTINGS*/null" not in script
    values = settings_of(script)
    assert values["dataSource"] == data_source.value
    assert [(mode["label"], mode["route"], mode["parameters"]) for mode in values["modes"]] == [
        (mode.label, mode.route, mode.parameters) for mode in VIEWER_MODES
    ]


def test_the_rest_of_the_script_is_the_shipped_one() -> None:
    script = explorer_extension(Settings())
    assert script.startswith("/*")
    assert "function viewerUrl(mode, studyId, studyInstanceUid)" in script
