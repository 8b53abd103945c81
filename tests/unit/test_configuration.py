"""The "OHIF" section of Orthanc's configuration, parsed and checked (ohif_plugin.configuration)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ohif_plugin.configuration import (
    KNOWN_KEYS,
    ConfigurationError,
    DataSource,
    default_section,
    parse_settings,
    unknown_keys,
)


def _error(configuration: dict[str, Any]) -> str:
    with pytest.raises(ConfigurationError) as caught:
        parse_settings(configuration)
    return str(caught.value)


def test_defaults_without_section() -> None:
    settings = parse_settings({})
    assert settings.data_source is DataSource.DICOM_JSON
    assert settings.router_basename == "/ohif/"
    assert settings.user_configuration == ""
    assert settings.preload is True
    assert settings.preloads is True
    assert settings.dicomweb_root == "/dicom-web/"


def test_defaults_with_empty_section() -> None:
    settings = parse_settings({"OHIF": {}})
    assert (settings.data_source, settings.router_basename, settings.preload) == (
        DataSource.DICOM_JSON, "/ohif/", True)


def test_explicit_values() -> None:
    settings = parse_settings({"OHIF": {"DataSource": "dicom-web", "RouterBasename": "/a/ohif/",
                                        "Preload": False}})
    assert settings.data_source is DataSource.DICOM_WEB
    assert settings.router_basename == "/a/ohif/"
    assert settings.preload is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [("/imaging/demo/orthanc/ohif", "/imaging/demo/orthanc/ohif/"), ("/ohif/", "/ohif/"), ("/", "/")],
)
def test_router_basename_gets_a_trailing_slash(given: str, expected: str) -> None:
    assert parse_settings({"OHIF": {"RouterBasename": given}}).router_basename == expected


def test_preloads_only_with_dicom_json() -> None:
    assert parse_settings({"OHIF": {"DataSource": "dicom-web", "Preload": True}}).preloads is False
    assert parse_settings({"OHIF": {"DataSource": "dicom-json", "Preload": False}}).preloads is False


def test_user_configuration_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ohif-config.js"
    text = "window.config = {\n  whiteLabeling: 'Hôpital',\n};\n"
    path.write_text(text, encoding="utf-8")
    settings = parse_settings({"OHIF": {"UserConfiguration": str(path)}})
    assert settings.user_configuration == text


# --- Invalid values: the message names the key, the allowed values, the value found ---


def test_unknown_data_source() -> None:
    message = _error({"OHIF": {"DataSource": "dicomweb"}})
    assert "DataSource" in message
    assert '"dicom-json"' in message and '"dicom-web"' in message
    assert "dicomweb" in message


def test_data_source_not_a_string() -> None:
    message = _error({"OHIF": {"DataSource": 5}})
    assert "DataSource" in message
    assert '"dicom-json"' in message and '"dicom-web"' in message
    assert re.search(r"\b5\b", message)


@pytest.mark.parametrize(("value", "shown"), [("yes", "yes"), (1, r"\b1\b"), (None, "None")])
def test_preload_not_a_bool(value: Any, shown: str) -> None:
    message = _error({"OHIF": {"Preload": value}})
    assert "Preload" in message
    assert "true" in message and "false" in message
    assert re.search(shown, message)


def test_router_basename_not_a_string() -> None:
    message = _error({"OHIF": {"RouterBasename": 7}})
    assert "RouterBasename" in message
    assert '"/"' in message
    assert re.search(r"\b7\b", message)


@pytest.mark.parametrize("value", ["ohif", "ohif/", ""])
def test_router_basename_without_leading_slash(value: str) -> None:
    message = _error({"OHIF": {"RouterBasename": value}})
    assert "RouterBasename" in message
    assert '"/"' in message
    assert f"'{value}'" in message


def test_user_configuration_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config.js"
    message = _error({"OHIF": {"UserConfiguration": str(missing)}})
    assert "UserConfiguration" in message
    assert str(missing) in message


def test_user_configuration_not_a_string() -> None:
    message = _error({"OHIF": {"UserConfiguration": ["a.js"]}})
    assert "UserConfiguration" in message
    assert "a.js" in message


@pytest.mark.parametrize("section", [[], "dicom-json", 3, None])
def test_section_not_an_object(section: Any) -> None:
    message = _error({"OHIF": section})
    assert "OHIF" in message
    assert "object" in message
    assert repr(section) in message


# --- DicomWeb.Root ---------------------------------------------------------------------


@pytest.mark.parametrize("root", [5, "dicom-web/"])
def test_an_unusable_dicomweb_root_does_not_stop_the_dicom_json_source(root: Any) -> None:
    settings = parse_settings({"OHIF": {"DataSource": "dicom-json"}, "DicomWeb": {"Root": root}})
    assert settings.dicomweb_root == ""


def test_dicomweb_root_read_with_dicom_json_too() -> None:
    """The dicom-json source saves there."""
    settings = parse_settings({"OHIF": {"DataSource": "dicom-json"}, "DicomWeb": {"Root": "/dw"}})
    assert settings.dicomweb_root == "/dw/"


def test_dicomweb_root_used_with_dicom_web() -> None:
    settings = parse_settings({"OHIF": {"DataSource": "dicom-web"}, "DicomWeb": {"Root": "/dw"}})
    assert settings.dicomweb_root == "/dw/"


def test_dicomweb_root_default_with_dicom_web() -> None:
    assert parse_settings({"OHIF": {"DataSource": "dicom-web"}}).dicomweb_root == "/dicom-web/"


@pytest.mark.parametrize("root", [5, "dicom-web/"])
def test_invalid_dicomweb_root_with_dicom_web(root: Any) -> None:
    message = _error({"OHIF": {"DataSource": "dicom-web"}, "DicomWeb": {"Root": root}})
    assert "DicomWeb" in message and "Root" in message
    assert str(root) in message


# --- Saving and StowRoot ----------------------------------------------------------------


def test_saving_is_on_by_default_towards_the_dicomweb_plugin() -> None:
    settings = parse_settings({})
    assert settings.saving is True
    assert settings.stow_root == ""


@pytest.mark.parametrize("root", ["/pacs/dicom-web/", "https://pacs.example.org/dicom-web"])
def test_stow_root_points_saving_elsewhere(root: str) -> None:
    settings = parse_settings({"OHIF": {"StowRoot": root}})
    assert settings.stow_root == root.rstrip("/")


@pytest.mark.parametrize("root", ["pacs/dicom-web", "ftp://pacs", 5])
def test_invalid_stow_root(root: Any) -> None:
    message = _error({"OHIF": {"StowRoot": root}})
    assert "StowRoot" in message
    assert str(root) in message


@pytest.mark.parametrize(("dicomweb", "enabled"), [({}, True), ({"Enable": True}, True), ({"Enable": False}, False)])
def test_dicomweb_enable_is_read(dicomweb: dict[str, Any], enabled: bool) -> None:
    assert parse_settings({"DicomWeb": dicomweb}).dicomweb_enabled is enabled


def test_saving_is_a_boolean() -> None:
    message = _error({"OHIF": {"Saving": "no"}})
    assert '"OHIF"."Saving" must be true or false' in message


# --- unknown_keys ------------------------------------------------------------------------


def test_unknown_keys_lists_typos_sorted() -> None:
    configuration = {"OHIF": {"DataSource": "dicom-json", "Preloads": True, "routerBasename": "/x/",
                              "Preload": True, "RouterBasename": "/y/", "UserConfiguration": ""}}
    assert unknown_keys(configuration) == ["Preloads", "routerBasename"]


@pytest.mark.parametrize("configuration", [{}, {"OHIF": {}}, {"OHIF": []}, {"OHIF": "x"}])
def test_no_unknown_keys(configuration: dict[str, Any]) -> None:
    assert unknown_keys(configuration) == []


# --- backfill and the default section ---------------------------------------------------------


def test_backfill_on_startup_is_off_by_default_and_only_with_dicom_json() -> None:
    assert parse_settings({}).backfills is False
    assert parse_settings({"OHIF": {"BackfillOnStartup": True}}).backfills is True
    assert parse_settings({"OHIF": {"BackfillOnStartup": True, "DataSource": "dicom-web"}}).backfills is False


@pytest.mark.parametrize("value", ["true", 1, None, [True]])
def test_backfill_on_startup_must_be_a_boolean(value: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_settings({"OHIF": {"BackfillOnStartup": value}})
    assert '"OHIF"."BackfillOnStartup" must be true or false' in str(caught.value)


def test_the_default_section_has_every_known_key_and_parses_to_the_defaults() -> None:
    section = default_section()
    assert tuple(section) == KNOWN_KEYS
    assert parse_settings({"OHIF": section}) == parse_settings({})
