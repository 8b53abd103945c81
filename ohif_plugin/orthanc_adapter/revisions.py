"""Replacing metadata and attachments through Orthanc's own HTTP server, for ``"CheckRevisions": true``.

With CheckRevisions, Orthanc refuses to replace or delete existing metadata
or attachments unless the request carries its revision in ``If-Match`` (error 43, "bad
revision"), and orthanc-python 4.0's internal ``RestApiPut`` and
``RestApiDelete`` cannot send headers. Orthanc's HTTP server can: the plugin
reads the current revision (the ETag) and writes with ``If-Match``, authorized
by the token that Orthanc generates for its plugins, whatever
``AuthenticationEnabled`` says. Only replacements take this path: a first
store needs no revision and stays on the internal API.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from typing import Any

TIMEOUT = 10.0
"""Seconds for one request to our own server; a summary not stored is computed again later."""

ATTEMPTS = 3
"""Another writer may change the value between our read and our write (409): read again."""


class RevisionConflict(Exception):
    """The metadata kept changing under us; nothing was written."""


class RevisionsUnavailable(Exception):
    """A value must be replaced with its revision, and Orthanc's HTTP server, which takes it, is off."""


class InstanceMissing(Exception):
    """Orthanc answered 404 to the write: the instance is gone."""


class RevisionWriter:
    """Orthanc's REST API reached over HTTP on the loopback interface."""

    def __init__(self, base_url: str, token: str, context: ssl.SSLContext | None = None) -> None:
        self.base_url = base_url
        self._token = token
        self._context = context

    @classmethod
    def from_configuration(cls, configuration: dict[str, Any], token: str) -> RevisionWriter | None:
        """None when Orthanc's HTTP server is off (nothing to call then)."""
        if configuration.get("HttpServerEnabled", True) is False:
            return None
        port = int(configuration.get("HttpPort", 8042))
        if configuration.get("SslEnabled", False) is True:
            # Our own server on the loopback interface: its certificate names the public host.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return cls(f"https://127.0.0.1:{port}", token, context)
        return cls(f"http://127.0.0.1:{port}", token)

    def _request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, str]:
        """(HTTP status, ETag) of one request."""
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers={"Authorization": self._token, **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT, context=self._context) as answer:
                answer.read()
                return int(answer.status), str(answer.headers.get("ETag", ""))
        except urllib.error.HTTPError as error:
            error.read()
            return int(error.code), ""

    def replace(self, path: str, value: bytes) -> None:
        """PUT ``value`` at ``path`` (``/instances/ID/metadata/4202``, ``/studies/ID/attachments/4202``)
        with the revision (ETag) that a GET of ``path`` gives; a value not there yet needs none."""
        for _ in range(ATTEMPTS):
            status, etag = self._request("GET", path)
            headers = {"If-Match": etag} if status == 200 and etag else {}
            status, _ = self._request("PUT", path, value, **headers)
            if status == 200:
                return
            if status == 404:
                raise InstanceMissing(path)
            if status != 409:
                raise RuntimeError(f"PUT {path} answered {status}")
        raise RevisionConflict(path)
