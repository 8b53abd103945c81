"""A small client of Orthanc's REST API, for the command-line tool.

Standard library only (http.client): the tool needs GET, PUT, POST and
DELETE with basic authentication and TLS, nothing more. Each thread keeps one
persistent connection, so a run over millions of instances does not use up
ephemeral ports with a connection per request.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import netrc
import ssl
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://localhost:8042"
DEFAULT_TIMEOUT = 600.0
"""Seconds: computing the summaries of a big study on the server can take minutes."""

STALE_CONNECTION_ERRORS = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
"""What a request on a connection that Orthanc closed meanwhile (1 s keep-alive) fails with."""


class OrthancError(Exception):
    """A failed request, with a one-line message meant for the user."""


class Unreachable(OrthancError):
    pass


class Unauthorized(OrthancError):
    pass


class NotFound(OrthancError):
    pass


@dataclass(frozen=True)
class Connection:
    """Where Orthanc is and how to talk to it."""

    url: str = DEFAULT_URL
    user: str | None = None
    password: str | None = None
    verify_tls: bool = True
    ca_bundle: Path | None = None
    timeout: float = DEFAULT_TIMEOUT


def credentials_from_netrc(url: str, netrc_file: Path | None = None) -> tuple[str, str] | None:
    """The login and password that a .netrc file holds for the URL's host, if any."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        found = netrc.netrc(str(netrc_file) if netrc_file is not None else None).authenticators(host)
    except FileNotFoundError:
        if netrc_file is not None:
            raise OrthancError(f"no such .netrc file: {netrc_file}") from None
        return None
    except netrc.NetrcParseError as error:
        raise OrthancError(f"unreadable .netrc file: {error}") from None
    if found is None:
        return None
    login, _, password = found
    return (login, password or "") if login else None


class OrthancClient:
    """Thread-safe: every thread gets its own connection."""

    def __init__(self, connection: Connection) -> None:
        parts = urllib.parse.urlsplit(connection.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OrthancError(f"{connection.url!r} is not an http:// or https:// URL")
        self.url = connection.url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._timeout = connection.timeout
        self._headers = {"Accept-Encoding": "gzip"}
        if connection.user is not None:
            token = f"{connection.user}:{connection.password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(token).decode("ascii")
        self._tls: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self._tls = ssl.create_default_context(
                cafile=str(connection.ca_bundle) if connection.ca_bundle is not None else None
            )
            if not connection.verify_tls:
                self._tls.check_hostname = False
                self._tls.verify_mode = ssl.CERT_NONE
        self._local = threading.local()

    # --- requests -----------------------------------------------------------

    def get_json(self, path: str) -> Any:
        return json.loads(self.request("GET", path))

    def get_optional(self, path: str) -> bytes | None:
        """The body, or None for 404."""
        try:
            return self.request("GET", path)
        except NotFound:
            return None

    def post_json(self, path: str, body: bytes) -> Any:
        return json.loads(self.request("POST", path, body))

    def delete(self, path: str) -> None:
        """DELETE a metadata or an attachment with its revision in If-Match, which Orthanc asks for
        under "CheckRevisions" (and ignores otherwise)."""
        revision = self.revision(path)
        self.request("DELETE", path, headers={"If-Match": revision} if revision else None)

    def revision(self, path: str) -> str | None:
        """The ETag of a metadata or an attachment (its revision); None if it has none."""
        etag = self._exchange("GET", path)[1].get("ETag")
        return str(etag) if etag else None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> bytes:
        """The answer's body for a 2xx status; raises OrthancError with a one-line message."""
        return self._exchange(method, path, body, headers)[0]

    def _exchange(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The answer's body and headers for a 2xx status; raises OrthancError with a one-line message."""
        for attempt in (1, 2):
            connection, reused = self._connection()
            try:
                connection.request(method, self._prefix + path, body=body, headers={**self._headers, **(headers or {})})
                response = connection.getresponse()
                data = response.read()
                break
            except STALE_CONNECTION_ERRORS:
                self.close()
                if attempt == 2 or not reused:
                    raise Unreachable(f"Orthanc at {self.url} closed the connection during {method} {path}") from None
            except ssl.SSLError as error:
                self.close()
                raise Unreachable(f"TLS error with {self.url}: {error.reason or error}") from None
            except OSError as error:  # refused, no route, timeout, DNS
                self.close()
                reason = error.strerror or str(error) or type(error).__name__
                raise Unreachable(f"Orthanc is unreachable at {self.url}: {reason}") from None
        data = _decoded(data, response.getheader("Content-Encoding", ""))
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        status = response.status
        if 200 <= status < 300:
            return data, dict(response.getheaders())
        if status == 401:
            raise Unauthorized(f"Orthanc at {self.url} refused the credentials (401): use --user or a .netrc entry")
        if status == 403:
            raise Unauthorized(f"Orthanc at {self.url} forbids {method} {path} (403)")
        message = f"{method} {path} answered {status} {response.reason}"
        detail = _orthanc_message(data)
        if detail:
            message += f": {detail}"
        if status == 404:
            raise NotFound(message)
        raise OrthancError(message)

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection, and whether it served a request before."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            return connection, True
        if self._tls is not None:
            connection = http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=self._tls)
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        self._local.connection = connection
        return connection, False


def _decoded(data: bytes, content_encoding: str) -> bytes:
    """The body with its codings undone, last applied first: Orthanc 1.10 gzips a stored answer's gzip again
    (``Content-Encoding: gzip, gzip``)."""
    for coding in reversed([part.strip().lower() for part in content_encoding.split(",") if part.strip()]):
        if coding != "gzip":
            raise OrthancError(f"Orthanc answered in a coding that was not asked for: {content_encoding}")
        data = gzip.decompress(data)
    return data


def _orthanc_message(data: bytes) -> str:
    """Orthanc's own explanation in an error answer, if it gave one."""
    try:
        answer = json.loads(data)
    except ValueError:
        return data.decode(errors="replace").strip().splitlines()[0] if data.strip() else ""
    if isinstance(answer, dict):
        return str(answer.get("Details") or answer.get("Message") or "")
    return ""
