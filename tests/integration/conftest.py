"""Fixtures for the scale-out tests: one PostgreSQL cluster, and pairs of Orthanc servers sharing it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.orthanc_server import OrthancServer
from harness.postgres import PostgresCluster


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster on loopback for the test module; deleted at the end."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@dataclass
class SharedIndex:
    """Orthanc servers using one PostgreSQL database and one storage folder, as Orthanc scales out."""

    postgres: PostgresCluster
    database: str
    storage: Path
    servers: list[OrthancServer]

    def sql(self, statement: str) -> str:
        return self.postgres.sql(statement, self.database)


_databases = itertools.count(1)


@pytest.fixture
def shared_index(postgres: PostgresCluster, tmp_path: Path) -> Iterator[Callable[..., SharedIndex]]:
    """Start ``count`` servers (A, B, ...) with the plugin on a fresh database and storage folder.

    Each test gets its own database, so tests do not see each other's studies.
    Every server is killed at the end of the test.
    """
    started: list[OrthancServer] = []

    def make(count: int = 2, ohif: dict[str, object] | None = None) -> SharedIndex:
        database = postgres.create_database(f"orthanc_{next(_databases)}")
        storage = tmp_path / "shared-storage"
        servers = []
        for index in range(count):
            name = chr(ord("a") + index)
            server = OrthancServer(tmp_path / name, ohif=ohif, **postgres.orthanc_options(database, storage))
            started.append(server)
            servers.append(server.start())
        return SharedIndex(postgres, database, storage, servers)

    yield make
    for server in started:
        server.kill()
