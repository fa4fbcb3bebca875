"""Session-scoped pytest fixtures that start real MariaDB pairs and Redis."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import MariaDBPair, Redis


def _servers_dir(factory: pytest.TempPathFactory) -> Path:
    """One folder per session for every server (a plain helper, not a fixture, so
    importing a single fixture into a test module is enough)."""
    path = factory.getbasetemp() / "servers"
    path.mkdir(exist_ok=True)
    return path


def _drop_datadirs(base: Path) -> None:
    # A datadir is ~35 MB and pytest keeps the last three sessions; the error
    # logs next to them are small and worth keeping for post-mortems.
    for datadir in base.glob("*/data"):
        shutil.rmtree(datadir, ignore_errors=True)


@pytest.fixture(scope="session")
def main_db_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBPair]:
    """Primary + 1 replica holding the `orchid_main` database."""
    base = _servers_dir(tmp_path_factory) / "main"
    pair = MariaDBPair.start(base, ["orchid_main"])
    yield pair
    pair.stop()
    _drop_datadirs(base)


@pytest.fixture(scope="session")
def warehouse_db_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBPair]:
    """Primary + 1 replica holding the `orchid_warehouse` database."""
    base = _servers_dir(tmp_path_factory) / "warehouse"
    pair = MariaDBPair.start(base, ["orchid_warehouse"])
    yield pair
    pair.stop()
    _drop_datadirs(base)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    """A Redis without persistence."""
    server = Redis.start(_servers_dir(tmp_path_factory) / "redis")
    yield server
    server.stop()
