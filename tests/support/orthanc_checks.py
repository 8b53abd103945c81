"""Helpers for tests against a real Orthanc: metadata 4202 read independently of the plugin, raw HTTP
answers with every Content-Encoding, the plugin's errors in Orthanc's log, the bundle's files."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from harness.orthanc_server import REPOSITORY, OrthancServer
from ohif_plugin.codings import decompress

LOG_LINE = re.compile(r"[EWIT]\d{4} ")
"""The start of a line of Orthanc's log; a line without it continues the message before (a traceback)."""


NOT_CAUSED_BY_THE_PLUGIN = {
    "plugin service 26: Unknown DICOM tag": "OHIF's QIDO queries ask for their fields as one URL-encoded, "
    "comma-separated includefield, which the DICOMweb plugin 1.7 looks up as one tag (dicom-web data source)",
    "plugin service 2000: Error in the network protocol": "the browser closed the connection while an answer "
    "was being sent (a page closed or left while it loaded)",
}
"""Error lines that name a plugin service but come from elsewhere, and why: they are not the plugin's."""


def is_plugin_line(line: str) -> bool:
    """An error line that the plugin wrote itself."""
    return line.startswith("E") and "OHIF plugin" in line


def is_caused_by_the_plugin(line: str) -> bool:
    """An error line of Orthanc's log that the plugin caused: its own, or a service call of its that failed."""
    if is_plugin_line(line):
        return True
    return (
        line.startswith("E")
        and "Exception while invoking plugin service" in line
        and not any(cause in line for cause in NOT_CAUSED_BY_THE_PLUGIN)
    )


def plugin_errors(server: OrthancServer, since: int = 0) -> list[str]:
    """The plugin's own error lines in Orthanc's log (from byte ``since`` on), each with its traceback."""
    return _errors(server.log_text(since), is_plugin_line, stray_tracebacks=False)


def errors_caused_by_the_plugin(server: OrthancServer, since: int = 0) -> list[str]:
    """:func:`plugin_errors`, Orthanc's errors of the plugin's service calls, and every Python traceback."""
    return _errors(server.log_text(since), is_caused_by_the_plugin, stray_tracebacks=True)


def _errors(log: str, wanted: Callable[[str], bool], stray_tracebacks: bool) -> list[str]:
    """The ``wanted`` lines, each with the lines that continue it; ``stray_tracebacks``: also a traceback
    that follows a line of another kind (Python's own report of an exception)."""
    errors: list[str] = []
    in_error = False
    for line in log.splitlines():
        if LOG_LINE.match(line):
            in_error = wanted(line)
            if in_error:
                errors.append(line)
        elif in_error:
            errors[-1] += "\n" + line
        elif stray_tracebacks and line.startswith("Traceback (most recent call last)"):
            errors.append(line)
            in_error = True
    return errors


def decode_4202(value: bytes) -> dict[str, Any]:
    """A stored summary decoded as `base64 -d | gunzip -c` would, independently of the plugin."""
    return dict(json.loads(gzip.decompress(base64.b64decode(value))))


def encode_4202(summary: dict[str, Any]) -> bytes:
    return base64.b64encode(gzip.compress(json.dumps(summary).encode()))


CHROMIUM_LOCAL = "gzip, deflate, br, zstd"
"""What Chromium sends on localhost and HTTPS."""


CHROMIUM_PLAIN_HTTP = "gzip, deflate, br"


class Raw:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [value.strip() for key, value in self.headers if key.lower() == name.lower()]

    @property
    def codings(self) -> list[str]:
        """Every content coding applied, in the order applied (the plugin's first, then Orthanc's)."""
        return [coding.strip() for value in self.all("Content-Encoding") for coding in value.split(",")]

    def decoded(self) -> bytes:
        body = self.body
        for coding in reversed(self.codings):
            body = zlib.decompress(body) if coding == "deflate" else decompress(body, coding)
        return body


def raw_get(server: OrthancServer, path: str, headers: dict[str, str] | None = None) -> Raw:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        answer = connection.getresponse()
        return Raw(answer.status, answer.getheaders(), answer.read())
    finally:
        connection.close()


BUNDLE = REPOSITORY / "static" / "ohif-dist"


INDEX_MARKER = "window.PUBLIC_URL = publicPath"


def hashed_bundle_file() -> str:
    names = sorted(path.name for path in BUNDLE.glob("app.bundle.*.js"))
    assert names and re.fullmatch(r"app\.bundle\.[0-9a-f]{16,}\.js", names[0]), names
    return names[0]




@contextmanager
def plugin_unloaded(server: OrthancServer) -> Iterator[OrthancServer]:
    """The server restarted without the plugin for the block, then with it again: what the block writes
    (a summary deleted or damaged, say), the plugin never sees written, as before it was installed."""
    script = server.config.pop("PythonScript")
    server.stop()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        server.config["PythonScript"] = script
        server.start()
