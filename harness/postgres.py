"""A throw-away PostgreSQL cluster on loopback, for Orthanc's PostgreSQL index plugin.

Used by the scale-out tests and benchmark: several Orthanc servers share one
database, as Orthanc's own documentation describes. The cluster lives in a
temporary folder (data, unix socket, log), listens on 127.0.0.1 on a free port
with "trust" authentication, and is removed entirely by :meth:`stop`.

PostgreSQL refuses to run as root. When the tests run as root, every server
command runs as an unprivileged user (``postgres`` if the Debian package
created it, else ``nobody``) through ``runuser``, and the folder is given to
that user. This is also why the folder is made by :func:`tempfile.mkdtemp`
directly in ``/tmp`` then, not under pytest's ``tmp_path`` (or ``$TMPDIR``):
root's pytest folders are private (mode 0700), so that user could not enter them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from harness.orthanc_server import PYTHON_PLUGIN, free_port, plugin_library

POSTGRESQL_INDEX_PLUGIN = plugin_library("libOrthancPostgreSQLIndex")
SUPERUSER = "postgres"
"""The cluster's superuser (initdb -U); Orthanc connects as this user."""
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "50",
    "shared_buffers": "32MB",
    # A test cluster thrown away at the end: durability across crashes is not
    # needed, and skipping the flushes keeps a shared machine responsive.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "logging_collector": "off",
}
START_ATTEMPTS = 3
"""A free port can be taken by someone else before the server binds it: retry."""


def postgres_binaries() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin, or $POSTGRES_BIN."""
    configured = os.environ.get("POSTGRES_BIN")
    if configured:
        return Path(configured)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                           "run scripts/install.sh --with-tests")
    return candidates[-1].parent


def unprivileged_user() -> str | None:
    """Whom to run the server as, or None when the tests are not root."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("POSTGRES_RUN_AS", ""), "postgres", "nobody"):
        if not name:
            continue
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root, and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")


class PostgresCluster:
    """Start with :meth:`start`, stop and delete with :meth:`stop` (or use as a context manager)."""

    def __init__(self) -> None:
        self.binaries = postgres_binaries()
        self.user = unprivileged_user()
        self.folder = Path(tempfile.mkdtemp(prefix="ohif-postgres-", dir="/tmp" if self.user else None))
        self.data = self.folder / "data"
        self.socket_folder = self.folder / "socket"
        self.log_path = self.folder / "postgres.log"
        self.host = "127.0.0.1"
        self.port = 0
        self.running = False

    # --- life cycle ---------------------------------------------------------

    def start(self) -> PostgresCluster:
        self.socket_folder.mkdir()
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for path in (self.folder, self.socket_folder):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        # No locale: initdb must not depend on which locales the machine has;
        # the C locale works with the UTF8 encoding Orthanc expects.
        self._server_command(
            "initdb", "--pgdata", str(self.data), "--username", SUPERUSER, "--auth", "trust",
            "--no-locale", "--encoding", "UTF8", "--no-instructions",
        )
        for attempt in range(START_ATTEMPTS):
            self.port = free_port()
            self._write_settings()
            try:
                self._server_command(
                    "pg_ctl", "--pgdata", str(self.data), "--log", str(self.log_path),
                    "--wait", "--timeout", "60", "start",
                )
            except RuntimeError:
                if attempt == START_ATTEMPTS - 1:
                    raise
                continue
            self.running = True
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete the folder."""
        if self.running:
            self.running = False
            self._server_command("pg_ctl", "--pgdata", str(self.data), "--mode", "fast", "--wait", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- databases ----------------------------------------------------------

    def create_database(self, name: str) -> str:
        self.client_command("createdb", name)
        return name

    def client_command(self, program: str, *arguments: str) -> str:
        """A PostgreSQL client program (createdb, psql...) against this cluster; returns its output."""
        command = [
            str(self.binaries / program), "--host", self.host, "--port", str(self.port),
            "--username", SUPERUSER, *arguments,
        ]
        return self._run(command)

    def sql(self, statement: str, database: str) -> str:
        """One statement through psql, unaligned and without headers (for the tests' checks)."""
        return self.client_command("psql", "--dbname", database, "--no-align", "--tuples-only",
                                   "--set", "ON_ERROR_STOP=1", "--command", statement)

    def orthanc_section(self, database: str, **options: Any) -> dict[str, Any]:
        """The "PostgreSQL" section of an Orthanc configuration sharing this database's index.

        "Lock": false lets several Orthanc servers use the same database at once.
        """
        section: dict[str, Any] = {
            "EnableIndex": True,
            "EnableStorage": False,
            "Host": self.host,
            "Port": self.port,
            "Database": database,
            "Username": SUPERUSER,
            "Password": "",
            "Lock": False,
            "EnableSsl": False,
            "MaximumConnectionRetries": 10,
            "ConnectionRetryInterval": 1,
        }
        section.update(options)
        return section

    def orthanc_options(self, database: str, storage: Path, **options: Any) -> dict[str, Any]:
        """Keyword arguments for :class:`harness.orthanc_server.OrthancServer`: this index, that storage folder."""
        return {
            "plugins": (PYTHON_PLUGIN, POSTGRESQL_INDEX_PLUGIN),
            "configuration": {
                "StorageDirectory": str(storage),
                "PostgreSQL": self.orthanc_section(database, **options),
            },
        }

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # --- internals ----------------------------------------------------------

    def _write_settings(self) -> None:
        settings = dict(SETTINGS, port=str(self.port), unix_socket_directories=f"'{self.socket_folder}'")
        lines = "".join(f"{name} = {value}\n" for name, value in settings.items())
        path = self.data / "postgresql.auto.conf"
        path.write_text("# Written by harness/postgres.py\n" + lines)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _server_command(self, program: str, *arguments: str) -> str:
        command = [str(self.binaries / program), *arguments]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return self._run(command)

    def _run(self, command: list[str]) -> str:
        # The C locale: the machine's LANG may name a locale that is not installed.
        environment = dict(os.environ, LC_ALL="C", LANG="C")
        completed = subprocess.run(
            command, capture_output=True, text=True, env=environment, cwd=self.folder, timeout=120, check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}"
                f"\n{self.log_tail()}"
            )
        return completed.stdout
