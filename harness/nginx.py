"""A real nginx (Debian's nginx-light) on a free loopback port, as a reverse proxy in front of Orthanc.

Everything nginx writes (pid, logs, temporary files) stays in the given folder,
so it runs as any user and next to other instances.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.orthanc_server import OrthancServer, free_port

NGINX = os.environ.get("NGINX_BINARY", "/usr/sbin/nginx")

CONFIGURATION = """\
daemon off;
master_process off;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;

events {{
    worker_connections 256;
}}

http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{token_map}
    server {{
        listen 127.0.0.1:{port}{tls};
        server_name localhost;

        location {prefix} {{
{token_check}            proxy_pass {upstream}/;
            proxy_http_version 1.1;
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
            proxy_request_buffering off;
            client_max_body_size 0;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


TOKEN_MAP = """
    # The authorization plugin's rule, as a proxy can state it: studies,
    # instances and DICOMweb only with the right token= in the query string.
    map "$uri|$arg_token" $token_missing {{
        default 0;
        "~^{prefix}(studies|instances|dicom-web)/[^|]*[|]{token}$" 0;
        "~^{prefix}(studies|instances|dicom-web)/" 1;
    }}
"""

TOKEN_CHECK = """\
            if ($token_missing) {
                return 403;
            }
"""


class Nginx:
    """Proxies ``http://127.0.0.1:<port><prefix>`` to ``upstream`` (start/stop, or a context manager).

    With ``token``, requests under ``<prefix>studies/``, ``<prefix>instances/`` and
    ``<prefix>dicom-web/`` without ``token=<token>`` in their query string are refused (403).
    """

    def __init__(
        self,
        folder: Path,
        *,
        prefix: str,
        upstream: str,
        token: str | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        """``tls``: a certificate and its key (PEM) to serve HTTPS, e.g. for clients' TLS options."""
        assert prefix.startswith("/") and prefix.endswith("/"), prefix
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.prefix = prefix
        self.config_path = folder / "nginx.conf"
        listen_tls = f" ssl;\n        ssl_certificate {tls[0]};\n        ssl_certificate_key {tls[1]}" if tls else ""
        assert token is None or token.isalnum(), "the token goes into a regular expression"
        self.config_path.write_text(
            CONFIGURATION.format(
                folder=folder,
                port=self.port,
                prefix=prefix,
                upstream=upstream.rstrip("/"),
                token_map=TOKEN_MAP.format(prefix=prefix, token=token) if token else "",
                token_check=TOKEN_CHECK if token else "",
                tls=listen_tls,
            )
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def proxied_url(self) -> str:
        """Where clients see the upstream: this proxy's URL and prefix, no trailing slash (as OrthancServer.url)."""
        return self.url + self.prefix.removesuffix("/")

    def log_tail(self, lines: int = 30) -> str:
        texts = []
        for name in ("stderr.log", "error.log"):
            path = self.folder / name
            if path.exists():
                texts.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(texts)

    def start(self, timeout: float = 30.0) -> Nginx:
        stderr = (self.folder / "stderr.log").open("ab")
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.folder), "-c", str(self.config_path), "-e", str(self.folder / "error.log")],
            stdout=stderr,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not listen within {timeout} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def orthanc_behind_nginx(
    folder: Path, prefix: str, token: str | None = None, **options: Any
) -> Iterator[tuple[OrthancServer, Nginx]]:
    """An Orthanc that nginx mounts under ``prefix``, its "RouterBasename" set to match; both stopped at the end.

    ``options``: more of :class:`OrthancServer`'s (plugins, configuration).
    """
    with (
        OrthancServer(folder / "orthanc", ohif={"RouterBasename": prefix + "ohif/"}, **options) as server,
        Nginx(folder / "nginx", prefix=prefix, upstream=server.url, token=token) as nginx,
    ):
        yield server, nginx


class BalancingNginx(Nginx):
    """nginx balancing every request among several servers (round robin), as in front of Orthanc
    servers that share one index; its access log says which server answered each request.
    """

    UPSTREAM_NAME = "balanced_servers"

    def __init__(self, folder: Path, *, upstreams: list[str]) -> None:
        assert upstreams and all(url.startswith("http://") for url in upstreams), upstreams
        super().__init__(folder, prefix="/", upstream=f"http://{self.UPSTREAM_NAME}")
        servers = "".join(f"        server {url.removeprefix('http://').rstrip('/')};\n" for url in upstreams)
        replacements = {
            # The server group and a log format naming the server, in the http block.
            "\n    server {": f"\n    upstream {self.UPSTREAM_NAME} {{\n{servers}    }}\n\n    server {{",
            f"access_log {folder}/access.log;":
                "log_format upstream '$status|$upstream_addr|$request_uri';\n"
                f"    access_log {folder}/access.log upstream;",
        }
        text = self.config_path.read_text()
        for old, new in replacements.items():
            assert text.count(old) == 1, f"the nginx configuration no longer has {old!r}"
            text = text.replace(old, new)
        self.config_path.write_text(text)

    def answered_by(self) -> list[tuple[int, str, str]]:
        """(status, upstream host:port, request URI) of each request so far.

        The upstream is a list ("a, b") when nginx tried a second server after an error.
        """
        path = self.folder / "access.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        entries = []
        for line in lines:
            status, upstream, uri = line.split("|", 2)
            entries.append((int(status), upstream, uri))
        return entries
