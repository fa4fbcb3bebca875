"""The embedded (SQLite) side of the database router."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit import consistency
from orchid.kit.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database("t", f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    async with database.write() as s:
        await s.execute(text("CREATE TABLE counter (id INT PRIMARY KEY, n INT)"))
        await s.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield database
    await database.close()


async def read_n(session: AsyncSession) -> int:
    return int((await session.execute(text("SELECT n FROM counter"))).scalar_one())


async def test_concurrent_read_modify_write_loses_no_update(db: Database) -> None:
    async def bump() -> None:
        async with db.write() as s:
            n = await read_n(s)
            await asyncio.sleep(0)  # hand the loop to the others between the read and the write
            await s.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    await asyncio.gather(*(bump() for _ in range(20)))
    assert await db.read(read_n) == 20


async def test_a_failed_write_is_rolled_back_and_not_marked(db: Database) -> None:
    consistency.begin(5)
    with pytest.raises(ZeroDivisionError):
        async with db.write() as s:
            await s.execute(text("UPDATE counter SET n = 99"))
            raise ZeroDivisionError
    assert await db.read(read_n) == 0
    assert not consistency.reads_need_primary()


async def test_without_replicas_everything_is_served_by_the_primary(db: Database) -> None:
    await db.read(read_n)
    assert db.served["primary"] >= 2 and set(db.served) == {"primary"}
    assert db.status()[0]["role"] == "primary"


def test_utc_datetimes_come_back_aware() -> None:
    from orchid.kit.orm import UTCDateTime

    column = UTCDateTime()
    stored = column.process_bind_param(datetime(2026, 1, 1, 5, 30, tzinfo=UTC), None)  # type: ignore[arg-type]
    assert stored.tzinfo is None
    loaded = column.process_result_value(stored, None)  # type: ignore[arg-type]
    assert loaded == datetime(2026, 1, 1, 5, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        column.process_bind_param(datetime(2026, 1, 1), None)  # type: ignore[arg-type]


async def test_a_closed_database_refuses_work_instead_of_reconnecting(tmp_path: Path) -> None:
    database = Database("t", f"sqlite+aiosqlite:///{tmp_path / 'closed.db'}")
    assert await database.ping()
    await database.close()
    # A late task (a webhook, a timer) would otherwise open connections nobody closes.
    with pytest.raises(RuntimeError, match="the t database is closed"):
        await database.read(read_n)
    with pytest.raises(RuntimeError, match="closed"):
        async with database.write():
            pass
    await database.start()  # as a second lifespan of the same app does
    assert await database.ping()
    await database.close()
