"""The outbox on real MariaDB: the migrations make the model's table in both databases, several
relays share one outbox (`SKIP LOCKED`) and still publish each aggregate's events in order,
each exactly once when none dies."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete

from orchid.config import Settings
from orchid.events.bus import InProcessBus
from orchid.events.relay import Relay
from orchid.kit.db import Database
from orchid.kit.orm import MainBase, WarehouseBase
from orchid.kit.outbox import Event, MainOutbox, record
from tests.support.migrations import schema_differences
from tests.support.servers import MariaDBPair, Redis
from tests.support.stack import settings_on_servers
from tests.support.waiting import until_async

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server_settings(main_db_pair: MariaDBPair, warehouse_db_pair: MariaDBPair,
                    redis_server: Redis, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_on_servers(main_db_pair, warehouse_db_pair, redis_server,
                               tmp_path_factory.mktemp("outbox"), db_pool_size=20)


@pytest.fixture
async def main_db(server_settings: Settings) -> AsyncIterator[Database]:
    """The main primary, its outbox emptied."""
    db = Database("main", server_settings.main_url(), pool_size=20)
    async with db.write() as session:
        await session.execute(delete(MainOutbox))
    yield db
    await db.close()


@pytest.mark.parametrize(("base", "which"), [(MainBase, "main"), (WarehouseBase, "warehouse")])
async def test_the_migrations_make_the_model_outbox_on_mariadb(server_settings: Settings,
                                                               base: Any, which: str) -> None:
    url = server_settings.main_url() if which == "main" else server_settings.warehouse_url()
    db = Database(which, url)
    try:
        assert await schema_differences(db, base.metadata, {"outbox"}) == []
    finally:
        await db.close()


async def test_three_relays_publish_every_aggregates_events_once_and_in_order(
        main_db: Database) -> None:
    bus = InProcessBus(retry_pause=0)
    received: list[Event] = []

    async def keep(event: Event) -> None:
        received.append(event)

    bus.subscribe("orders", "test-orders", keep)
    aggregates, per_aggregate = 12, 15

    async def writer(number: str) -> None:
        # One transaction per event, as a service writes them: an aggregate's in order.
        for n in range(per_aggregate):
            async with main_db.write() as session:
                record(session, MainOutbox, "order.changed", "order", number, {"n": n})

    stop = asyncio.Event()
    relays = [asyncio.create_task(Relay(main_db, MainOutbox, bus, batch=7).run(stop, idle=0.01))
              for _ in range(3)]
    try:
        await asyncio.gather(*(writer(f"OR-{a}") for a in range(aggregates)))
        expected = aggregates * per_aggregate

        async def all_received() -> bool:
            await bus.drain()
            return len(received) >= expected

        await until_async(all_received, timeout=30, what="every event received")
    finally:
        stop.set()
        await asyncio.gather(*relays)
        await bus.close()
    assert len(received) == len({e.id for e in received}) == expected  # none lost, none twice
    seen: dict[str, list[int]] = defaultdict(list)
    for event in received:
        seen[event.aggregate_id].append(event.payload["n"])
    assert all(ns == list(range(per_aggregate)) for ns in seen.values()), seen


async def test_a_relay_holds_back_an_aggregate_another_relay_is_publishing(
        main_db: Database) -> None:
    gate, locked = asyncio.Event(), asyncio.Event()

    class Slow(InProcessBus):
        async def publish(self, topic: str, event: Event) -> None:
            locked.set()  # the relay holds its rows' locks while it publishes
            await gate.wait()
            await super().publish(topic, event)

    slow, quick = Slow(retry_pause=0), InProcessBus(retry_pause=0)
    for number in ("OR-X", "OR-X", "OR-Y"):
        async with main_db.write() as session:
            record(session, MainOutbox, "order.changed", "order", number, {})
    first = asyncio.create_task(Relay(main_db, MainOutbox, slow, batch=1).publish_batch())
    try:
        await asyncio.wait_for(locked.wait(), timeout=10)
        # The second relay skips the locked row; OR-X's next row must wait for it, OR-Y need not.
        second = await Relay(main_db, MainOutbox, quick, batch=10).publish_batch()
        assert [e.aggregate_id for e in second] == ["OR-Y"]
    finally:
        gate.set()
        published_first = await first
    assert [e.aggregate_id for e in published_first] == ["OR-X"]
    third = await Relay(main_db, MainOutbox, quick, batch=10).publish_batch()
    assert [e.aggregate_id for e in third] == ["OR-X"]
    await slow.close()
    await quick.close()


async def test_two_consumers_racing_on_one_event_apply_it_once(main_db: Database) -> None:
    from sqlalchemy import func, select
    from sqlalchemy.exc import IntegrityError

    from orchid.kit.inbox import ProcessedEvent, first_time

    event = Event("order.placed", "order", f"OR-{uuid.uuid4().hex[:8]}", {},
                  datetime.now(UTC))
    applied: list[int] = []
    both_looked = asyncio.Barrier(2)

    async def consume(worker: int) -> None:
        try:
            async with main_db.write() as session:
                await both_looked.wait()  # both transactions open before either records
                if await first_time(session, "race", event):
                    applied.append(worker)
        except IntegrityError:  # lost the race on the unique key: nothing of it committed
            if worker in applied:
                applied.remove(worker)

    await asyncio.gather(consume(1), consume(2))
    assert len(applied) == 1
    async with main_db.write() as session:
        count = (await session.execute(select(func.count()).select_from(ProcessedEvent)
                                       .where(ProcessedEvent.event_id == event.id))).scalar_one()
    assert count == 1
