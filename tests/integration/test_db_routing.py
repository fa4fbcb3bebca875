"""Replica routing on real MariaDB primary + replica pairs (GTID), for both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit import consistency
from orchid.kit.db import Database
from tests.support.clock import FakeClock
from tests.support.servers import MariaDBPair


@pytest.fixture(params=["main", "warehouse"])
def database_name(request: pytest.FixtureRequest) -> str:
    """Each test runs once against the main pair and once against the warehouse pair."""
    name: str = request.param
    return name


@pytest.fixture
def pair(request: pytest.FixtureRequest, database_name: str) -> MariaDBPair:
    found: MariaDBPair = request.getfixturevalue(f"{database_name}_db_pair")
    return found


@pytest.fixture
def clock() -> FakeClock:
    """The router's clock: replica back-off moves only when a test moves it."""
    return FakeClock()


@pytest.fixture
async def db(pair: MariaDBPair, database_name: str, clock: FakeClock) -> AsyncIterator[Database]:
    name = f"orchid_{database_name}"
    primary, replica = pair.primary, pair.replicas[0]
    database = Database(name, primary.url(name), [replica.url(name)],
                        max_lag=1, retry_after=5, check_interval=3600, ryw_window=5,
                        clock=clock.monotonic)
    async with database.write() as s:
        await s.execute(text("CREATE TABLE IF NOT EXISTS probe (id INT PRIMARY KEY, v TEXT)"))
        await s.execute(text("DELETE FROM probe"))
    pair.wait_replicated()
    await database.check_replicas()
    database.served.clear()
    consistency.begin(5)
    yield database
    await database.close()


async def values(session: AsyncSession) -> list[str]:
    rows = await session.execute(text("SELECT v FROM probe ORDER BY id"))
    return [row[0] for row in rows]


def fresh_client() -> None:
    """Start a new request context: no write mark."""
    consistency.begin(5)


async def test_reads_go_to_the_replica(db: Database) -> None:
    fresh_client()
    await db.read(values)
    assert db.served["replica-1"] == 1 and db.served["primary"] == 0


async def test_a_client_reads_its_own_writes_while_others_may_read_stale(
        db: Database, pair: MariaDBPair) -> None:
    pair.pause_replica()
    try:
        fresh_client()
        async with db.write() as s:
            await s.execute(text("INSERT INTO probe VALUES (1, 'mine')"))
        assert await db.read(values) == ["mine"]  # same client: primary
        assert consistency.reads_need_primary()
        fresh_client()
        assert await db.read(values) == []  # another client: the replica has not applied it
    finally:
        pair.resume_replica()
        pair.wait_replicated()


async def test_the_window_is_bounded(db: Database, clock: FakeClock) -> None:
    mark = consistency.begin(5, clock=clock.time)
    mark.accept(str(int((clock.time() + 3600) * 1000)))  # a client asking for an hour
    assert not consistency.reads_need_primary()
    mark.accept(str(int((clock.time() + 2) * 1000)))
    assert consistency.reads_need_primary()
    clock.advance(2)
    assert not consistency.reads_need_primary()  # and it ends when it said


async def test_a_lagging_replica_is_skipped_until_it_catches_up(
        db: Database, pair: MariaDBPair) -> None:
    pair.pause_replica()
    try:
        await db.check_replicas()
        assert db.replicas[0].lagging
        fresh_client()
        async with db.write() as s:
            await s.execute(text("INSERT INTO probe VALUES (2, 'fresh')"))
        fresh_client()
        assert await db.read(values) == ["fresh"]  # served by the primary
        assert db.served["replica-1"] == 0
    finally:
        pair.resume_replica()
        pair.wait_replicated()
    await db.check_replicas()
    assert not db.replicas[0].lagging
    fresh_client()
    assert await db.read(values) == ["fresh"]
    assert db.served["replica-1"] == 1


async def test_a_replica_that_is_down_is_skipped_and_retried_later(
        db: Database, pair: MariaDBPair, clock: FakeClock) -> None:
    replica = pair.replicas[0]
    await db.read(values)  # warm the replica's pool so the failure is a broken connection
    replica.kill()
    try:
        fresh_client()
        assert await db.read(values) == []  # fell back to the primary
        assert db.replicas[0].last_error is not None
        served_before = db.served["primary"]
        await db.read(values)
        assert db.served["primary"] == served_before + 1  # skipped without a new attempt
    finally:
        replica.start()
        pair.wait_replicated()
    clock.advance(4.5)
    await db.check_replicas()  # not probed again yet: still within retry_after
    assert not db.replicas[0].usable(clock.monotonic())
    clock.advance(0.5)
    await db.check_replicas()
    assert db.replicas[0].usable(clock.monotonic())
    fresh_client()
    await db.read(values)
    assert db.served["replica-1"] >= 2
