"""Serving the viewer under /ohif/ from a bundle folder (ohif_plugin.web.viewer)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ohif_plugin.codings import GZIP, ZSTD, decompress
from ohif_plugin.configuration import DataSource, Settings
from ohif_plugin.responses import SECURITY_HEADERS, Response
from ohif_plugin.web.assets import AssetFolder
from ohif_plugin.web.modes import MODE_ROUTES
from ohif_plugin.web.saving import SaveTarget
from ohif_plugin.web.viewer import EXTENSION_ID, EXTENSION_PATH, IMMUTABLE, REVALIDATE, Viewer

INDEX = b"<!doctype html><title>OHIF</title>" + b"<script src=app.bundle.js></script>" * 50
BUNDLE_FILE = "app.bundle.0123456789abcdef.js"
USER_CONFIGURATION = "window.config = { showStudyList: true, whiteLabeling: 'ours' };"


@pytest.fixture
def bundle(tmp_path: Path) -> AssetFolder:
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / BUNDLE_FILE).write_bytes(b"console.log('bundle');\n" * 200)
    (tmp_path / "logo.png").write_bytes(bytes(range(256)))
    return AssetFolder(tmp_path)


SAVES = SaveTarget(stow_root="../dicom-web")
CANNOT_SAVE = SaveTarget(unavailable="Saving is turned off on this server.", reason="off")


def viewer(bundle: AssetFolder, saving: SaveTarget = SAVES, **settings: Any) -> Viewer:
    return Viewer(Settings(**settings), bundle, saving)


def overrides(app_config: bytes) -> dict[str, Any]:
    """The values the plugin sets after the user's configuration, as JSON values by name."""
    text = app_config.decode()
    marker = "/* Set by the OHIF plugin for Orthanc. */"
    assert marker in text
    values: dict[str, Any] = {}
    for name, value in re.findall(r"^window\.config\.(\w+) = (.*);$", text.split(marker, 1)[1], re.MULTILINE):
        try:
            values[name] = json.loads(value)
        except json.JSONDecodeError:
            values[name] = value  # an expression: compared as text
    return values


def assert_security_headers(response: Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name


@pytest.mark.parametrize("path", ["", *MODE_ROUTES])
def test_the_study_list_and_the_mode_routes_answer_index_html(bundle: AssetFolder, path: str) -> None:
    response = viewer(bundle).answer(path)
    assert response.status == 200
    assert response.body == INDEX
    assert response.mime_type == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == REVALIDATE
    assert_security_headers(response)


def test_a_path_under_a_mode_route_is_not_index_html(bundle: AssetFolder) -> None:
    assert viewer(bundle).answer("viewer/other").status == 404


def test_app_config_for_dicom_json(bundle: AssetFolder) -> None:
    response = viewer(bundle, data_source=DataSource.DICOM_JSON, router_basename="/viewer/").answer("app-config.js")
    assert response.status == 200
    assert response.mime_type == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == REVALIDATE
    values = overrides(response.body)
    assert values["routerBasename"] == "/viewer/"
    assert values["defaultDataSourceName"] == "dicomjson"
    [source] = values["dataSources"]
    assert source["sourceName"] == "dicomjson"
    assert source["namespace"] == f"{EXTENSION_ID}.dataSourcesModule.dicomjson"
    assert source["configuration"] == {"name": "json", "orthancSaving": {"stowRoot": "../dicom-web"}}
    assert values["showStudyList"] is False  # the DICOM JSON source cannot list studies
    assert f'"./{EXTENSION_PATH}"' in values["extensions"]
    assert_security_headers(response)


@pytest.mark.parametrize("data_source", list(DataSource))
def test_where_saving_is_unavailable_the_data_source_says_why(bundle: AssetFolder, data_source: DataSource) -> None:
    response = viewer(bundle, CANNOT_SAVE, data_source=data_source).answer("app-config.js")
    [source] = overrides(response.body)["dataSources"]
    assert source["configuration"]["orthancSaving"] == {"unavailable": "Saving is turned off on this server."}


def test_saving_decided_at_start_up_changes_app_config_and_its_etag(bundle: AssetFolder) -> None:
    served = viewer(bundle, CANNOT_SAVE)
    before = served.answer("app-config.js")
    served.save_to(SAVES)
    after = served.answer("app-config.js")
    assert before.headers["ETag"] != after.headers["ETag"]
    [source] = overrides(after.body)["dataSources"]
    assert source["configuration"]["orthancSaving"] == {"stowRoot": "../dicom-web"}


def test_the_extension_is_served_as_a_javascript_module(bundle: AssetFolder) -> None:
    response = viewer(bundle).answer(EXTENSION_PATH)
    assert response.status == 200
    assert response.mime_type == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == REVALIDATE
    assert "id: EXTENSION_ID" in response.body.decode()
    assert f'const EXTENSION_ID = "{EXTENSION_ID}";' in response.body.decode()


def test_app_config_for_dicom_web_points_at_the_dicomweb_root(bundle: AssetFolder) -> None:
    response = viewer(bundle, data_source=DataSource.DICOM_WEB, dicomweb_root="/wado/").answer("app-config.js")
    values = overrides(response.body)
    assert values["defaultDataSourceName"] == "dicomweb"
    [source] = values["dataSources"]
    assert source["sourceName"] == "dicomweb"
    configuration = source["configuration"]
    assert configuration["qidoRoot"] == configuration["wadoRoot"] == configuration["wadoUriRoot"] == "../wado"
    assert configuration["orthancSaving"] == {"stowRoot": "../dicom-web"}
    assert source["namespace"] == f"{EXTENSION_ID}.dataSourcesModule.dicomweb"
    assert "showStudyList" not in values  # the DICOMweb source lists studies: the user decides


def test_the_user_configuration_comes_first_and_the_overrides_after_it(bundle: AssetFolder) -> None:
    body = viewer(bundle, user_configuration=USER_CONFIGURATION).answer("app-config.js").body.decode()
    assert body.startswith(USER_CONFIGURATION)
    assert body.index(USER_CONFIGURATION) < body.index("window.config.dataSources")
    assert overrides(body.encode())["showStudyList"] is False


def test_without_a_user_configuration_the_default_one_is_used(bundle: AssetFolder) -> None:
    body = viewer(bundle).answer("app-config.js").body.decode()
    assert body.split("/* Set by the OHIF plugin for Orthanc. */")[0].strip(" ;\n"), "no default configuration"
    assert USER_CONFIGURATION not in body


def test_an_override_cannot_close_a_script_element(bundle: AssetFolder) -> None:
    body = viewer(bundle, router_basename="/</script><script>alert(1)//").answer("app-config.js").body
    assert b"</script>" not in body.split(b"/* Set by the OHIF plugin for Orthanc. */")[1]
    assert overrides(body)["routerBasename"] == "/</script><script>alert(1)//"


@pytest.mark.parametrize("path", ["missing.js", "../index.html", "/etc/passwd", "index.html/"])
def test_an_unknown_file_is_404_with_the_security_headers(bundle: AssetFolder, path: str) -> None:
    response = viewer(bundle).answer(path)
    assert response.status == 404
    assert "ETag" not in response.headers
    assert_security_headers(response)


def test_a_content_hashed_file_is_immutable(bundle: AssetFolder) -> None:
    response = viewer(bundle).answer(BUNDLE_FILE)
    assert response.status == 200
    assert response.mime_type == "text/javascript"
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert viewer(bundle).answer("logo.png").headers["Cache-Control"] == REVALIDATE


@pytest.mark.parametrize("path", ["", "app-config.js", BUNDLE_FILE])
def test_if_none_match_with_the_etag_gives_a_304_without_a_body(bundle: AssetFolder, path: str) -> None:
    served = viewer(bundle)
    first = served.answer(path)
    etag = first.headers["ETag"]
    again = served.answer(path, if_none_match=etag)
    assert (again.status, again.body) == (304, b"")
    assert again.headers["ETag"] == etag
    assert_security_headers(again)
    assert served.answer(path, if_none_match=f'"other", {etag}').status == 304
    assert served.answer(path, if_none_match='W/"other"').status == 200


@pytest.mark.parametrize(("accept_encoding", "coding"), [("gzip, deflate, br, zstd", ZSTD), ("gzip", GZIP)])
def test_the_content_coding_follows_accept_encoding(bundle: AssetFolder, accept_encoding: str, coding: str) -> None:
    served = viewer(bundle)
    plain = served.answer(BUNDLE_FILE)
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"
    encoded = served.answer(BUNDLE_FILE, accept_encoding=accept_encoding)
    assert encoded.headers["Content-Encoding"] == coding
    assert decompress(encoded.body, coding) == plain.body
    assert encoded.headers["ETag"] == plain.headers["ETag"]  # one validator for every coding


def test_a_file_not_worth_compressing_has_no_coding_and_no_vary(bundle: AssetFolder) -> None:
    response = viewer(bundle).answer("logo.png", accept_encoding="gzip, zstd")
    assert response.body == bytes(range(256))
    assert "Content-Encoding" not in response.headers and "Vary" not in response.headers
