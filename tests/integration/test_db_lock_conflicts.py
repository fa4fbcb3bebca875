"""A write that loses a lock conflict on MariaDB is a 503 to retry, never a 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from orchid.kit.db import Database, DatabaseBusy
from orchid.kit.errors import Unavailable
from tests.support.servers import MariaDBPair


@pytest.fixture
async def db(main_db_pair: MariaDBPair) -> AsyncIterator[Database]:
    main_db_pair.primary.sql("CREATE TABLE IF NOT EXISTS lock_probe (id INT PRIMARY KEY, n INT);"
                             "REPLACE INTO lock_probe VALUES (1, 0), (2, 0)", "orchid_main")
    database = Database("main", main_db_pair.primary.url("orchid_main"))
    await database.start()
    yield database
    await database.close()


async def test_the_loser_of_a_deadlock_gets_database_busy(db: Database) -> None:
    both_hold_one = asyncio.Barrier(2)

    async def cross(first: int, second: int) -> str:
        try:
            async with db.write() as session:
                await session.execute(text(f"UPDATE lock_probe SET n = n + 1 WHERE id = {first}"))
                await both_hold_one.wait()
                await session.execute(text(f"UPDATE lock_probe SET n = n + 1 WHERE id = {second}"))
        except DatabaseBusy:
            return "busy"
        return "committed"

    outcomes = await asyncio.gather(cross(1, 2), cross(2, 1))
    # InnoDB picks one victim and rolls it back whole; the other commits.
    assert sorted(outcomes) == ["busy", "committed"]
    assert issubclass(DatabaseBusy, Unavailable) and DatabaseBusy.status == 503
    assert DatabaseBusy.code == "database_busy"
