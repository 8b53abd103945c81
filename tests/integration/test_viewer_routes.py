"""Serving the viewer under /ohif/ (mode routes, app-config.js, bundle files), over HTTP against real Orthanc servers.

app-config.js is evaluated with node, as a browser would run it, so that its
values are checked structurally rather than as text.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from harness.nginx import Nginx
from harness.orthanc_server import DICOMWEB_PLUGIN, PYTHON_PLUGIN, OrthancServer
from tests.conftest import ServerFactory
from tests.support import dicom_factory as factory
from tests.support.orthanc_checks import BUNDLE, INDEX_MARKER, hashed_bundle_file

MODE_ROUTES = ("viewer", "tmtv", "segmentation", "microscopy")
SECURITY_HEADERS = {
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
IMMUTABLE = "public, max-age=31536000, immutable"

EXTENSION = "./ohif-plugin-extension.js"
"""The plugin's OHIF extension, whose data sources save (app-config.js lists it, relative to the viewer)."""
NO_DICOMWEB = {
    "unavailable": "Saving is not available: this Orthanc has no DICOMweb service. "
    "Download still keeps a copy on this computer."
}
"""What the viewer says when a user saves on a server without the DICOMweb plugin."""


def dicom_json_source(saving: dict[str, str]) -> dict[str, Any]:
    return {
        "friendlyName": "Orthanc DICOM JSON",
        "namespace": "ohif-plugin-for-orthanc.dataSourcesModule.dicomjson",
        "sourceName": "dicomjson",
        "configuration": {"name": "json", "orthancSaving": saving},
    }


DICOM_JSON_SOURCE = dicom_json_source(NO_DICOMWEB)
"""The default server of the tests has no DICOMweb plugin."""


def dicom_web_source(root: str) -> dict[str, Any]:
    """The DICOMweb data source OHIF needs to read from Orthanc's DICOMweb plugin, written out field by field
    rather than taken from the plugin, so that a change to it shows here."""
    return {
        "friendlyName": "Orthanc DICOMweb",
        "namespace": "ohif-plugin-for-orthanc.dataSourcesModule.dicomweb",
        "sourceName": "dicomweb",
        "configuration": {
            "name": "orthanc",
            "orthancSaving": {"stowRoot": root},
            "wadoUriRoot": root,
            "qidoRoot": root,
            "wadoRoot": root,
            "qidoSupportsIncludeField": False,
            "supportsReject": False,
            "imageRendering": "wadors",
            "thumbnailRendering": "wadors",
            "enableStudyLazyLoad": True,
            "supportsFuzzyMatching": False,
            "supportsWildcard": True,
            "staticWado": True,
            "singlepart": "bulkdata,video",
            "acceptHeader": ["multipart/related; type=application/octet-stream; transfer-syntax=*"],
        },
    }


NODE_EVALUATE = """
const vm = require('vm');
const source = require('fs').readFileSync(0, 'utf8');
const context = {window: {}};
vm.runInNewContext(source, context, {filename: 'app-config.js'});
process.stdout.write(JSON.stringify(context.window.config));
"""


def evaluate_app_config(script: str) -> dict[str, Any]:
    """window.config once a browser-like page has run ``script`` (with node)."""
    result = subprocess.run(
        ["node", "-e", NODE_EVALUATE], input=script, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"node could not run app-config.js:\n{result.stderr}\n--- script:\n{script}"
    return dict(json.loads(result.stdout))


RawAnswer = tuple[int, dict[str, str], bytes]


def raw_get(server: OrthancServer, path: str, headers: dict[str, str] | None = None) -> RawAnswer:
    """GET ``path`` exactly as written: no normalization of dots, slashes or escapes."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, {name.lower(): value for name, value in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def assert_security_headers(headers: Any) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, f"{name}: {headers.get(name)!r}"


def wait_for_log(server: OrthancServer, pattern: str, timeout: float = 30.0) -> list[str]:
    """The log lines matching ``pattern``, once there is at least one."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in server.log_text().splitlines() if re.search(pattern, line)]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def error_lines(server: OrthancServer) -> list[str]:
    return [line for line in server.log_text().splitlines() if line.startswith("E")]




# --- index.html and the mode routes -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/ohif", "/ohif/", *(f"/ohif/{route}" for route in MODE_ROUTES)])
def test_mode_routes_answer_the_rewritten_index(orthanc: OrthancServer, path: str) -> None:
    answer = orthanc.get(path)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert INDEX_MARKER in answer.text
    assert answer.content == orthanc.get("/ohif/viewer").content
    assert_security_headers(answer.headers)


def test_mode_routes_keep_their_query_string(orthanc: OrthancServer) -> None:
    answer = orthanc.get("/ohif/viewer?StudyInstanceUIDs=1.2.3&url=../studies/x/ohif-dicom-json")
    assert answer.status_code == 200
    assert INDEX_MARKER in answer.text


# --- app-config.js ------------------------------------------------------------------------------


def test_app_config_with_dicom_json(orthanc: OrthancServer) -> None:
    answer = orthanc.get("/ohif/app-config.js")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0].strip() == "text/javascript"
    assert_security_headers(answer.headers)
    config = evaluate_app_config(answer.text)
    assert config["routerBasename"] == "/ohif/"
    assert config["dataSources"] == [DICOM_JSON_SOURCE]
    assert config["defaultDataSourceName"] == "dicomjson"
    assert config["showStudyList"] is False
    # The default user configuration comes first and keeps its own values.
    assert config["maxNumberOfWebWorkers"] == 3
    assert answer.text.index("window.config = {") < answer.text.index("window.config.routerBasename =")


def test_app_config_with_dicom_web(dicom_web: OrthancServer) -> None:
    answer = dicom_web.get("/ohif/app-config.js")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0].strip() == "text/javascript"
    config = evaluate_app_config(answer.text)
    assert config["dataSources"] == [dicom_web_source("../dicom-web")]
    assert config["defaultDataSourceName"] == "dicomweb"
    assert config["routerBasename"] == "/ohif/"
    # No override: the default configuration's study list stays on.
    assert config["showStudyList"] is True
    assert "showStudyList = false" not in answer.text


def test_dicom_web_roots_follow_the_dicomweb_plugin_root(make_server: ServerFactory) -> None:
    server = make_server(
        plugins=(PYTHON_PLUGIN, DICOMWEB_PLUGIN),
        ohif={"DataSource": "dicom-web"},
        configuration={"DicomWeb": {"Enable": True, "Root": "/custom/dw/"}},
    )
    assert server.get("/custom/dw/studies").status_code == 200
    config = evaluate_app_config(server.get("/ohif/app-config.js").text)
    assert config["dataSources"] == [dicom_web_source("../custom/dw")]
    assert config["defaultDataSourceName"] == "dicomweb"


def test_user_configuration_is_sent_first_and_keeps_its_own_keys(make_server: ServerFactory, tmp_path: Path) -> None:
    user = tmp_path / "ohif-config.js"
    user.write_text(
        "/* my site */\n"
        "window.config = {extensions: [], modes: [], customKey: 42, routerBasename: '/wrong/',"
        " showStudyList: true, defaultDataSourceName: 'elsewhere', dataSources: []};\n"
    )
    server = make_server(ohif={"UserConfiguration": str(user), "RouterBasename": "/viewer-here/"})
    text = server.get("/ohif/app-config.js").text
    assert text.startswith(user.read_text())
    config = evaluate_app_config(text)
    assert config["customKey"] == 42
    assert config["extensions"] == [EXTENSION] and config["modes"] == []
    assert config["routerBasename"] == "/viewer-here/"
    assert config["dataSources"] == [DICOM_JSON_SOURCE]
    assert config["defaultDataSourceName"] == "dicomjson"
    assert config["showStudyList"] is False


def test_the_extension_is_added_to_the_user_s_own(make_server: ServerFactory, tmp_path: Path) -> None:
    user = tmp_path / "ohif-config.js"
    user.write_text("window.config = {extensions: ['./mine.js'], modes: []};")
    server = make_server(ohif={"UserConfiguration": str(user)})
    assert evaluate_app_config(server.get("/ohif/app-config.js").text)["extensions"] == ["./mine.js", EXTENSION]


# --- saving: where the data sources store, with and without the DICOMweb plugin -----------------


@pytest.mark.parametrize(
    ("options", "saving"),
    [
        ({}, NO_DICOMWEB),
        ({"plugins": (PYTHON_PLUGIN, DICOMWEB_PLUGIN)}, {"stowRoot": "../dicom-web"}),
        (
            {"plugins": (PYTHON_PLUGIN, DICOMWEB_PLUGIN), "configuration": {"DicomWeb": {"Root": "/dw/here/"}}},
            {"stowRoot": "../dw/here"},
        ),
        (
            {"plugins": (PYTHON_PLUGIN, DICOMWEB_PLUGIN), "ohif": {"Saving": False}},
            {"unavailable": "Saving is turned off on this server. Download still keeps a copy on this computer."},
        ),
        ({"ohif": {"StowRoot": "https://pacs.example.org/dw/"}}, {"stowRoot": "https://pacs.example.org/dw"}),
    ],
    ids=["no-dicomweb-plugin", "dicomweb-plugin", "dicomweb-root-changed", "saving-off", "stow-root-elsewhere"],
)
def test_where_the_dicom_json_source_saves(
    make_server: ServerFactory, options: dict[str, Any], saving: dict[str, str]
) -> None:
    server = make_server(**options)
    config = evaluate_app_config(server.get("/ohif/app-config.js").text)
    assert config["dataSources"] == [dicom_json_source(saving)]
    assert config["extensions"] == [EXTENSION]


def test_the_log_says_where_saving_goes_or_what_to_do(make_server: ServerFactory) -> None:
    without = make_server("without")
    assert "The viewer cannot save reports and segmentations: the DICOMweb plugin is not loaded" in without.log_text()
    with_plugin = make_server("with", plugins=(PYTHON_PLUGIN, DICOMWEB_PLUGIN))
    assert "The viewer saves reports and segmentations through STOW-RS to ../dicom-web" in with_plugin.log_text()


def test_the_extension_is_served_as_javascript(orthanc: OrthancServer) -> None:
    answer = orthanc.get("/ohif/ohif-plugin-extension.js")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0].strip() == "text/javascript"
    assert "export default" in answer.text and "getDataSourcesModule" in answer.text
    assert_security_headers(answer.headers)


def stow_body(spec: factory.StudySpec) -> tuple[bytes, dict[str, str]]:
    """A STOW-RS request of one instance, as OHIF's DICOMweb client writes it."""
    part10 = factory.to_bytes(factory.ct_series(spec, 1, size=16)[0])
    body = b"--b\r\nContent-Type: application/dicom\r\n\r\n" + part10 + b"\r\n--b--\r\n"
    return body, {"Content-Type": 'multipart/related; type="application/dicom"; boundary=b'}


def test_behind_a_proxy_prefix_the_viewer_s_stow_root_reaches_the_dicomweb_plugin(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    """The STOW root is relative to the viewer: under a prefix, it resolves to the prefix's DICOMweb."""
    prefix = "/imaging/"
    server = make_server(plugins=(PYTHON_PLUGIN, DICOMWEB_PLUGIN), ohif={"RouterBasename": prefix + "ohif/"})
    with Nginx(tmp_path / "nginx", prefix=prefix, upstream=server.url) as nginx:
        viewer = f"{nginx.url}{prefix}ohif/viewer"
        config = evaluate_app_config(requests.get(f"{nginx.url}{prefix}ohif/app-config.js", timeout=60).text)
        [source] = config["dataSources"]
        # The page's <base> is the viewer's folder: resolve as the browser does.
        extension = urljoin(f"{nginx.url}{prefix}ohif/", config["extensions"][-1])
        assert requests.get(extension, timeout=60).status_code == 200
        stow = urljoin(viewer, source["configuration"]["orthancSaving"]["stowRoot"]) + "/studies"
        assert stow == f"{nginx.url}{prefix}dicom-web/studies"
        body, headers = stow_body(factory.StudySpec())
        assert requests.post(stow, data=body, headers=headers, timeout=60).status_code == 200
    assert len(server.get("/instances").json()) == 1


def test_behind_a_proxy_that_wants_a_token_a_stow_without_it_is_refused(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    """The token a viewer link carries is what lets its STOW through; without it nothing is stored."""
    server = make_server(plugins=(PYTHON_PLUGIN, DICOMWEB_PLUGIN))
    with Nginx(tmp_path / "nginx", prefix="/", upstream=server.url, token="t0k") as guard:
        body, headers = stow_body(factory.StudySpec())
        refused = requests.post(f"{guard.url}/dicom-web/studies", data=body, headers=headers, timeout=60)
        assert refused.status_code == 403
        assert server.get("/instances").json() == []
        accepted = requests.post(f"{guard.url}/dicom-web/studies?token=t0k", data=body, headers=headers, timeout=60)
        assert accepted.status_code == 200
    assert len(server.get("/instances").json()) == 1


def test_stow_without_credentials_is_refused_and_stores_nothing(make_server: ServerFactory) -> None:
    server = make_server(plugins=(PYTHON_PLUGIN, DICOMWEB_PLUGIN), credentials=("doctor", "secret"))
    body, headers = stow_body(factory.StudySpec())
    refused = requests.post(f"{server.url}/dicom-web/studies", data=body, headers=headers, timeout=60)
    assert refused.status_code == 401
    assert server.get("/instances").json() == []
    accepted = server.session.post(f"{server.url}/dicom-web/studies", data=body, headers=headers, timeout=60)
    assert accepted.status_code == 200
    assert len(server.get("/instances").json()) == 1


def test_user_configuration_without_a_final_semicolon_or_newline(make_server: ServerFactory, tmp_path: Path) -> None:
    user = tmp_path / "ohif-config.js"
    user.write_text("window.config = {customKey: 'x'} // trailing comment")
    server = make_server(ohif={"UserConfiguration": str(user)})
    config = evaluate_app_config(server.get("/ohif/app-config.js").text)
    assert config["customKey"] == "x"
    assert config["routerBasename"] == "/ohif/"


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ('/a"b\\c</script>/', '/a"b\\c</script>/'),
        # (Orthanc itself expands "${NAME}" in its configuration: no such sequence here.)
        ("/a'b`$x\u2028c</SCRIPT><!--", "/a'b`$x\u2028c</SCRIPT><!--/"),
    ],
    ids=["quote-backslash-script", "quotes-template-separator-no-slash"],
)
def test_router_basename_cannot_break_out_of_app_config(
    make_server: ServerFactory, configured: str, expected: str
) -> None:
    server = make_server(ohif={"RouterBasename": configured})
    text = server.get("/ohif/app-config.js").content.decode("utf-8")
    assert "</script" not in text.lower()
    config = evaluate_app_config(text)
    assert config["routerBasename"] == expected
    assert config["dataSources"] == [DICOM_JSON_SOURCE]
    assert config["showStudyList"] is False


# --- bundle files -------------------------------------------------------------------------------


def bundle_sample(suffix: str) -> str:
    """The path (relative to the bundle) of one real file with that suffix."""
    for path in sorted(BUNDLE.rglob(f"*{suffix}")):
        if path.is_file() and not path.name.startswith("."):
            return path.relative_to(BUNDLE).as_posix()
    raise AssertionError(f"no {suffix} file in {BUNDLE}")


@pytest.mark.parametrize(
    ("suffix", "mime_type"),
    [
        (".js", "text/javascript"),
        (".css", "text/css"),
        (".wasm", "application/wasm"),
        (".json", "application/json"),
        (".svg", "image/svg+xml"),
        (".png", "image/png"),
        (".ico", "image/x-icon"),
        (".woff2", "font/woff2"),
        (".html", "text/html"),
        (".map", "application/json"),
    ],
)
def test_bundle_files_have_their_mime_type(orthanc: OrthancServer, suffix: str, mime_type: str) -> None:
    relative = bundle_sample(suffix)
    answer = orthanc.get(f"/ohif/{relative}")
    assert answer.status_code == 200, relative
    assert answer.headers["Content-Type"].split(";")[0].strip() == mime_type, relative
    if suffix != ".html":  # index.html is served rewritten; the others as they are
        assert answer.content == (BUNDLE / relative).read_bytes()
    assert_security_headers(answer.headers)


# --- headers and caching ------------------------------------------------------------------------


def test_every_answer_carries_the_cross_origin_headers(orthanc: OrthancServer) -> None:
    hashed = f"/ohif/{hashed_bundle_file()}"
    for path in ("/ohif", "/ohif/", "/ohif/viewer", "/ohif/app-config.js", hashed, "/ohif/ohif-logo.svg"):
        ok = orthanc.get(path)
        assert ok.status_code == 200, path
        assert_security_headers(ok.headers)
        not_modified = orthanc.get(path, headers={"If-None-Match": ok.headers["ETag"]})
        assert not_modified.status_code == 304, path
        assert_security_headers(not_modified.headers)
    for path in ("/ohif/no-such-file.js", "/ohif/assets/none.png"):
        missing = orthanc.get(path)
        assert missing.status_code == 404, path
        assert_security_headers(missing.headers)


def test_content_hashed_files_are_immutable(orthanc: OrthancServer) -> None:
    name = hashed_bundle_file()
    answer = orthanc.get(f"/ohif/{name}")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == IMMUTABLE
    wasm = next(path.name for path in sorted(BUNDLE.glob("*.wasm")))
    assert orthanc.get(f"/ohif/{wasm}").headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("path", ["/ohif/", "/ohif/viewer", "/ohif/app-config.js", "/ohif/index.html"])
def test_index_and_app_config_revalidate_with_their_etag(orthanc: OrthancServer, path: str) -> None:
    answer = orthanc.get(path)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-cache"
    etag = answer.headers["ETag"]
    assert re.fullmatch(r'(W/)?"[^"]+"', etag), etag
    again = orthanc.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    # Another ETag (in a list) gets the file again, a list holding ours gets 304.
    assert orthanc.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    assert orthanc.get(path, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304


def test_non_hashed_bundle_files_revalidate(orthanc: OrthancServer) -> None:
    answer = orthanc.get("/ohif/ohif-logo.svg")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-cache"


def test_unknown_files_answer_404(orthanc: OrthancServer) -> None:
    for path in ("/ohif/no-such-file.js", "/ohif/assets/nothing.png", "/ohif/APP-CONFIG.JS", "/ohif/.ohif-version"):
        answer = orthanc.get(path)
        assert answer.status_code == 404, path
        assert_security_headers(answer.headers)


# --- nothing is read outside the bundle ---------------------------------------------------------

SECRET = "SECRET-OUTSIDE-THE-BUNDLE-7c1f"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OrthancServer, Path]]:
    """A small bundle folder with secrets next to it and a symlink pointing out of it."""
    root = tmp_path_factory.mktemp("sandbox")
    (root / "secret.txt").write_text(SECRET)
    bundle = root / "bundle"
    (bundle / "assets").mkdir(parents=True)
    shutil.copy(BUNDLE / "index.html", bundle / "index.html")
    (bundle / "assets" / "inside.txt").write_text("inside")
    (bundle / "escape.txt").symlink_to(root / "secret.txt")
    (bundle / "passwd").symlink_to("/etc/passwd")
    (bundle / "assets" / "up").symlink_to(root)
    (bundle / ".hidden").write_text(SECRET)
    server = OrthancServer(root / "orthanc", ohif={"BundleFolder": str(bundle)})
    server.start()
    yield server, root
    server.stop()


def traversal_paths(root: Path) -> list[str]:
    secret = str(root / "secret.txt")
    long_name = "a" * 5000
    return [
        "/ohif/../secret.txt",
        "/ohif/../../../../../../etc/passwd",
        "/ohif/assets/../../secret.txt",
        "/ohif/%2e%2e/secret.txt",
        "/ohif/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/ohif/assets/%2e%2e/%2e%2e/secret.txt",
        "/ohif/..%2fsecret.txt",
        "/ohif/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/ohif/assets%2f..%2f..%2fsecret.txt",
        "/ohif/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/ohif/..\\secret.txt",
        "/ohif/..\\..\\..\\..\\..\\..\\etc\\passwd",
        "/ohif/..%5csecret.txt",
        "/ohif/assets\\..\\..\\secret.txt",
        "/ohif//etc/passwd",
        "/ohif/%2fetc%2fpasswd",
        f"/ohif/{secret}",
        f"/ohif/{secret.replace('/', '%2f')}",
        "/ohif/escape.txt",
        "/ohif/passwd",
        "/ohif/assets/up/secret.txt",
        "/ohif/.hidden",
        "/ohif/..%00/secret.txt",
        "/ohif/../secret.txt%00.js",
        "/ohif/%00../../../../etc/passwd",
        f"/ohif/{long_name}",
        f"/ohif/{'../' * 1700}etc/passwd",
        f"/ohif/{'%2e%2e%2f' * 600}etc/passwd",
        # Double encoding, mixed and overlong forms, encoded backslashes, path parameters.
        "/ohif/%252e%252e/secret.txt",
        "/ohif/%252e%252e%252fsecret.txt",
        "/ohif/..%252f..%252f..%252f..%252f..%252f..%252fetc%252fpasswd",
        "/ohif/%25%32%65%25%32%65%25%32%66secret.txt",
        "/ohif/.%2e/secret.txt",
        "/ohif/%2e./secret.txt",
        "/ohif/assets/.%2e/.%2e/secret.txt",
        "/ohif/%c0%ae%c0%ae/secret.txt",
        "/ohif/%c0%ae%c0%ae%c0%afsecret.txt",
        "/ohif/%e0%80%ae%e0%80%ae/secret.txt",
        "/ohif/%ef%bc%8e%ef%bc%8e/secret.txt",
        "/ohif/%u002e%u002e/secret.txt",
        "/ohif/%5c..%5csecret.txt",
        "/ohif/..%5c..%5c..%5c..%5c..%5c..%5cetc%5cpasswd",
        "/ohif/assets%5c..%5c..%5csecret.txt",
        "/ohif/..;/secret.txt",
        "/ohif/assets/..;/..;/secret.txt",
        "/ohif/....//secret.txt",
        "/ohif/assets/./../../secret.txt",
        # Absolute paths in other spellings, and NUL in more places.
        "/ohif/file:///etc/passwd",
        "/ohif/C:\\Windows\\win.ini",
        "/ohif/%2f%2fetc%2fpasswd",
        f"/ohif/{secret.replace('/', '%5c')}",
        "/ohif/secret.txt%00",
        "/ohif/assets/inside.txt%00/../../secret.txt",
        "/ohif/%2500../secret.txt",
        # Very long: 10 kB and 100 kB.
        f"/ohif/{'b' * 10_000}",
        f"/ohif/{'../' * 3400}secret.txt",
        f"/ohif/{'a/' * 50_000}",
        f"/ohif/{'%2e%2e%2f' * 11_400}etc/passwd",
    ]


def assert_nothing_from_outside(server: OrthancServer, paths: list[str]) -> None:
    """Each answer is an error, Orthanc's own redirection, the viewer's index.html or a file of the bundle.

    Orthanc resolves ".." itself (so "/ohif/../x" is its own "/x") and ends
    the decoded URI at a NUL byte (so "/ohif/%00..." reaches the plugin as
    "/ohif/", which answers index.html, and "/ohif/assets/inside.txt%00/.."
    as the bundle's assets/inside.txt): neither ever reaches a file outside
    the bundle.
    """
    index = raw_get(server, "/ohif/")[2]
    assert INDEX_MARKER.encode() in index
    for path in paths:
        shown = path if len(path) < 100 else path[:60] + f"... ({len(path)} characters)"
        try:
            status, _, body = raw_get(server, path)
        except ConnectionError:  # refused outright (http.client's errors derive from ConnectionError)
            assert raw_get(server, "/ohif/")[0] == 200, shown
            continue
        assert SECRET.encode() not in body, shown
        assert b"root:" not in body, shown
        if status == 200:
            assert body in (index, b"inside"), f"{shown}: 200 {body[:200]!r}"  # a file of the bundle
        else:
            # 307: Orthanc 1.12 sends a path that it reads as its own root to app/explorer.html.
            assert status in (301, 302, 307, 400, 404, 414), f"{shown}: {status} {body[:200]!r}"
            assert status >= 400 or body == b"", shown


def test_no_request_reads_outside_the_bundle(sandbox: tuple[OrthancServer, Path]) -> None:
    server, root = sandbox
    assert raw_get(server, "/ohif/assets/inside.txt")[0] == 200  # the sandbox itself works
    assert_nothing_from_outside(server, traversal_paths(root))


def test_no_request_reads_outside_the_real_bundle(orthanc: OrthancServer) -> None:
    assert_nothing_from_outside(orthanc, traversal_paths(Path("/etc")))


def raw_request(server: OrthancServer, request_line: bytes) -> bytes:
    """Send a request line as raw bytes (NUL, tabs, bytes that are not UTF-8); the answer's first bytes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := connection.recv(65536):
                answer += chunk
    return answer


@pytest.mark.parametrize(
    "request_line",
    [
        b"GET /ohif/\x00../../secret.txt HTTP/1.1",
        b"GET /ohif/..\x00/secret.txt HTTP/1.1",
        b"GET /ohif/\xff\xfe/../secret.txt HTTP/1.1",
        b"GET /ohif/\xc0\xae\xc0\xae/secret.txt HTTP/1.1",
        b"GET /ohif/..\\..\\secret.txt HTTP/1.1",
        b"GET /ohif/a\tb/../../secret.txt HTTP/1.1",
        b"GET ../secret.txt HTTP/1.1",
        b"GET http://127.0.0.1/ohif/../secret.txt HTTP/1.1",
        b"GET /ohif/../secret.txt HTTP/1.0",
        b"GET /ohif/../secret.txt",
    ],
)
def test_raw_request_lines_read_nothing_outside_the_bundle(
    sandbox: tuple[OrthancServer, Path], request_line: bytes
) -> None:
    server, _ = sandbox
    answer = raw_request(server, request_line)
    assert SECRET.encode() not in answer
    assert not answer.startswith((b"HTTP/1.1 5", b"HTTP/1.0 5")), answer[:200]
    assert raw_get(server, "/ohif/assets/inside.txt")[0] == 200


@pytest.mark.parametrize(
    "path",
    [
        "/studies/%2e%2e/ohif-dicom-json",
        "/studies/..%2f..%2fsystem/ohif-dicom-json",
        "/studies/..%5c..%5csystem/ohif-dicom-json",
        "/studies/a%00/ohif-dicom-json",  # Orthanc cuts at NUL: its own /studies/a
        "/studies/00000000-00000000-00000000-00000000-00000000%00/ohif-dicom-json",
        "/studies/%ff/ohif-dicom-json",
        "/studies/%3cscript%3e/ohif-dicom-json",
        f"/studies/{'a' * 10_000}/ohif-dicom-json",
        f"/studies/{'%2e%2e%2f' * 3000}/ohif-dicom-json",
    ],
)
def test_odd_study_identifiers_answer_404(orthanc: OrthancServer, path: str) -> None:
    status, _, body = raw_get(orthanc, path)
    assert status in (400, 404), (status, body[:200])
    assert b"root:" not in body


def test_paths_that_are_not_utf8_get_404_not_500(orthanc: OrthancServer) -> None:
    """orthanc-python 4.0 cannot pass such a URI to Python: the routes do not match it (Orthanc's own 404)."""
    for path in ("/ohif/%ff", "/ohif/%c0%ae%c0%ae/x", "/ohif/assets/%80", "/studies/%ff%fe/ohif-dicom-json"):
        status, _, body = raw_get(orthanc, path)
        assert status == 404, (path, status, body[:200])
    assert "Cannot create a Python string" not in orthanc.log_text()


# --- authentication -----------------------------------------------------------------------------


# --- what the administrator sees when something is missing --------------------------------------


@pytest.mark.orthanc_log_errors(r"the DICOMweb plugin is not loaded")
def test_dicom_web_without_the_dicomweb_plugin_is_reported_once_and_answers_503(
    make_server: ServerFactory,
) -> None:
    server = make_server(ohif={"DataSource": "dicom-web"})
    lines = wait_for_log(server, r"^E.*DICOMweb plugin")
    assert lines, server.log_tail()
    answer = server.get("/ohif/viewer")
    assert answer.status_code == 503
    assert "DICOMweb plugin is not loaded" in answer.text
    assert INDEX_MARKER not in answer.text
    assert_security_headers(answer.headers)
    for path in ("/ohif/", "/ohif/app-config.js", f"/ohif/{hashed_bundle_file()}"):
        assert server.get(path).status_code == 503, path
    time.sleep(1)
    dicomweb_errors = [line for line in error_lines(server) if "dicomweb" in line.lower().replace("-", "")]
    assert len(dicomweb_errors) == 1, dicomweb_errors


@pytest.mark.orthanc_log_errors(r"the OHIF bundle is missing from")
def test_missing_bundle_is_reported_once_and_the_study_json_still_works(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-bundle"
    empty.mkdir()
    server = make_server(ohif={"BundleFolder": str(empty)})
    errors = error_lines(server)
    assert len(errors) == 1, errors
    assert "scripts/build_ohif_dist.sh" in errors[0]
    assert str(empty) in errors[0]
    for path in ("/ohif", "/ohif/", "/ohif/viewer", "/ohif/app-config.js"):
        answer = server.get(path)
        assert answer.status_code == 503, path
        assert "bundle is missing" in answer.text
        assert_security_headers(answer.headers)
    spec = factory.StudySpec(patient_name="Missing^Bundle")
    instance = server.upload_ok(factory.to_bytes(factory.ct_series(spec, 1, size=8)[0]))
    study_id = server.study_of(instance['ID'])
    study = server.study_json(study_id)
    assert study.status_code == 200
    assert study.json()["studies"][0]["StudyInstanceUID"] == spec.study_uid
