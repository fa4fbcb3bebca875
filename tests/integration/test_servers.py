"""Prove the real-server harness: replication, replica lag, read-only, Redis, cleanup."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from tests.support.servers import MariaDB, MariaDBPair, Redis

pytestmark = pytest.mark.integration


def _process_gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def _wait_fetched(pair: MariaDBPair, i: int = 0, timeout: float = 10.0) -> None:
    """Wait until replica i has *received* (not applied) all of the primary's binlog."""
    target = pair.primary.sql("SELECT @@global.gtid_binlog_pos")[0][0]
    deadline = time.monotonic() + timeout
    while pair.replicas[i].slave_status()["Gtid_IO_Pos"] != target:
        assert time.monotonic() < deadline, "replica IO thread did not catch up"
        time.sleep(0.01)


@pytest.fixture
def table(main_db_pair: MariaDBPair) -> str:  # noqa: F811
    main_db_pair.primary.sql(
        "DROP TABLE IF EXISTS harness; CREATE TABLE harness (id INT PRIMARY KEY, note VARCHAR(50))",
        "orchid_main",
    )
    return "harness"


def test_row_replicates(main_db_pair: MariaDBPair, table: str) -> None:  # noqa: F811
    main_db_pair.primary.sql(f"INSERT INTO {table} VALUES (1, 'héllo')", "orchid_main")
    main_db_pair.wait_replicated()
    rows = main_db_pair.replicas[0].sql(f"SELECT id, note FROM {table}", "orchid_main")
    assert rows == [("1", "héllo")]


def test_paused_replica_lags_then_catches_up(
    main_db_pair: MariaDBPair,  # noqa: F811
    table: str,
) -> None:
    primary, replica = main_db_pair.primary, main_db_pair.replicas[0]
    main_db_pair.pause_replica()
    try:
        primary.sql(f"INSERT INTO {table} VALUES (2, 'late')", "orchid_main")
        # The event has reached the replica, so only the paused SQL thread hides it.
        _wait_fetched(main_db_pair)
        assert replica.sql(f"SELECT id FROM {table} WHERE id = 2", "orchid_main") == []
    finally:
        main_db_pair.resume_replica()
    main_db_pair.wait_replicated()
    assert replica.sql(f"SELECT id FROM {table} WHERE id = 2", "orchid_main") == [("2",)]


def test_replica_is_read_only(main_db_pair: MariaDBPair) -> None:  # noqa: F811
    assert main_db_pair.replicas[0].sql("SELECT @@global.read_only") == [("1",)]
    assert main_db_pair.primary.sql("SELECT @@global.read_only") == [("0",)]


def test_app_user_and_url(main_db_pair: MariaDBPair) -> None:  # noqa: F811
    url = main_db_pair.primary.url("orchid_main")
    assert url == (
        f"mysql+asyncmy://orchid:orchid@127.0.0.1:{main_db_pair.primary.port}"
        "/orchid_main?charset=utf8mb4"
    )
    # The user and its grants were created on the primary and replicated.
    for db in (main_db_pair.primary, *main_db_pair.replicas):
        grants = db.sql("SHOW GRANTS FOR 'orchid'@'127.0.0.1'")
        assert any("`orchid_main`" in g[0] for g in grants)
        assert any("SLAVE MONITOR" in g[0] for g in grants)


def test_redis_ping_set_get(redis_server: Redis) -> None:  # noqa: F811
    client = redis.Redis.from_url(redis_server.url())
    try:
        assert client.ping() is True
        client.set("harness", "ok")
        assert client.get("harness") == b"ok"
    finally:
        client.close()


def test_mariadb_stop_kill_restart(tmp_path: Path) -> None:
    db = MariaDB.create(tmp_path / "solo")
    first_pid = db.pid
    db.kill()
    assert _process_gone(first_pid)
    db.start()  # same datadir and port, recovers from the "crash"
    assert db.pid != first_pid
    assert db.sql("SELECT 1") == [("1",)]
    db.stop()
    assert _process_gone(db.pid)


def test_pair_stop_leaves_no_process(tmp_path: Path) -> None:
    pair = MariaDBPair.start(tmp_path, ["scratch"])
    pids = [db.pid for db in (pair.primary, *pair.replicas)]
    pair.stop()
    assert all(_process_gone(pid) for pid in pids)


def test_redis_appendonly_survives_restart(tmp_path: Path) -> None:
    server = Redis.start(tmp_path, appendonly=True)
    client = redis.Redis.from_url(server.url())
    try:
        client.set("kept", "yes")
        server.stop()
        assert _process_gone(server.pid)
        server.start_again()
        assert client.get("kept") == b"yes"
    finally:
        client.close()
        server.stop()
    assert _process_gone(server.pid)
