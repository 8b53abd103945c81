"""Fixtures: real Orthanc servers with the plugin, each with its own storage."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.orthanc_server import DEBIAN_ROOT, DICOMWEB_PLUGIN, PYTHON_PLUGIN, RELEASE, OrthancServer
from tests.support.orthanc_checks import errors_caused_by_the_plugin

ServerFactory = Callable[..., OrthancServer]
ORTHANC_UNDER_TEST = (
    f"Debian {RELEASE}'s Orthanc ({'chroot ' + str(DEBIAN_ROOT) if DEBIAN_ROOT else 'this machine'}): "
    f"{PYTHON_PLUGIN.name}, {DICOMWEB_PLUGIN.name}"
)


def pytest_report_header() -> str:
    return f"Orthanc under test: {ORTHANC_UNDER_TEST}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failure names the Debian release whose Orthanc it ran against."""
    report = yield
    if report.failed:
        report.sections.append(("Orthanc under test", ORTHANC_UNDER_TEST))
    return report


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "orthanc_log_errors(*patterns): the plugin errors this test provokes in Orthanc's log on purpose "
        "(regular expressions); any other fails the test",
    )


@pytest.fixture(autouse=True)
def orthanc_log_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if an Orthanc it used logged an error caused by the plugin, or a Python traceback,
    unless the test says it provokes that error (``orthanc_log_errors``)."""
    before = {server: server.log_size() for server in OrthancServer.created}
    yield
    markers = request.node.iter_markers("orthanc_log_errors")
    expected = [re.compile(pattern) for marker in markers for pattern in marker.args]
    unexpected = [
        f"{server.log_path}:\n{error}"
        for server in OrthancServer.created
        for error in errors_caused_by_the_plugin(server, since=before.get(server, 0))
        if not any(pattern.search(error) for pattern in expected)
    ]
    if unexpected:
        pytest.fail("errors caused by the plugin in Orthanc's log:\n" + "\n".join(unexpected), pytrace=False)


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start servers with the given options; all are stopped at the end of the test."""
    servers: list[OrthancServer] = []

    def make(name: str = "orthanc", *, start: bool = True, **options: Any) -> OrthancServer:
        server = OrthancServer(tmp_path / name, **options)
        servers.append(server)
        return server.start() if start else server

    yield make
    for server in servers:
        server.kill()


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """One server per test module, with the default configuration (dicom-json, preload)."""
    server = OrthancServer(tmp_path_factory.mktemp("orthanc"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dicom_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """The dicom-web source, with the DICOMweb plugin loaded at its default root."""
    server = OrthancServer(
        tmp_path_factory.mktemp("dicom-web"),
        plugins=(PYTHON_PLUGIN, DICOMWEB_PLUGIN),
        ohif={"DataSource": "dicom-web"},
        configuration={"DicomWeb": {"Enable": True}},
    )
    server.start()
    yield server
    server.stop()
