"""The outbox and its relay on the embedded database (tests/integration/test_outbox_on_servers.py
runs them on MariaDB with several relays): an event commits and rolls back with its change, the
relay publishes in order, marks, counts the backlog, purges, and a relay that dies before
marking publishes again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from orchid.events.bus import InProcessBus
from orchid.events.relay import Relay
from orchid.events.topics import UnknownAggregate, topic_of
from orchid.kit.db import Database
from orchid.kit.metrics import OUTBOX_LAG, OUTBOX_PENDING
from orchid.kit.orm import MainBase, WarehouseBase
from orchid.kit.outbox import Event, MainOutbox, record
from tests.support.clock import FakeClock
from tests.support.migrations import schema_differences
from tests.support.waiting import until_async


@pytest.fixture
def main_db(db: Database) -> Database:
    """The embedded main database (conftest's `db`), named as the relay sees it."""
    return db


@pytest.fixture
async def bus() -> AsyncIterator[InProcessBus]:
    bus = InProcessBus(retry_pause=0)
    yield bus
    await bus.close()


class Received:
    """A subscriber that keeps what it was sent, and may fail on purpose."""

    def __init__(self, bus: InProcessBus, topic: str, *, failing: int = 0) -> None:
        self.events: list[Event] = []
        self.failing = failing
        self.subscription = bus.subscribe(topic, f"test-{topic}", self.handle, max_attempts=3)

    async def handle(self, event: Event) -> None:
        if self.failing:
            self.failing -= 1
            raise RuntimeError("not now")
        self.events.append(event)


async def write(db: Database, events: list[tuple[str, str]], *, fail: bool = False,
                clock: FakeClock | None = None) -> None:
    """Record (type, order number) events in one transaction, which fails if asked to."""
    now = (clock or FakeClock()).now()
    async with db.write() as session:
        for kind, number in events:
            record(session, MainOutbox, kind, "order", number, {"number": number}, now=now)
        if fail:
            raise RuntimeError("the change failed")


@pytest.mark.parametrize(("base", "file"), [(MainBase, "main.db"),
                                            (WarehouseBase, "warehouse.db")])
async def test_the_migrations_make_the_outbox_the_model_describes(
        data_dir: Path, base: Any, file: str) -> None:
    db = Database("x", f"sqlite+aiosqlite:///{data_dir / file}")
    try:
        assert await schema_differences(db, base.metadata, {"outbox"}) == []
    finally:
        await db.close()


async def test_an_event_commits_and_rolls_back_with_its_change(main_db: Database) -> None:
    await write(main_db, [("order.placed", "OR-1")])
    with pytest.raises(RuntimeError):
        await write(main_db, [("order.placed", "OR-2")], fail=True)
    async with main_db.write() as session:
        rows = list((await session.execute(select(MainOutbox))).scalars())
    assert [(r.type, r.aggregate_id, r.payload, r.sent_at) for r in rows] == [
        ("order.placed", "OR-1", {"number": "OR-1"}, None)]
    event = rows[0].event()
    assert event.occurred_at.tzinfo is not None and len(event.id) == 36
    assert Event.from_json(event.to_json()) == event


async def test_the_relay_publishes_in_order_marks_and_counts(main_db: Database,
                                                             bus: InProcessBus) -> None:
    clock = FakeClock()
    received = Received(bus, "orders")
    relay = Relay(main_db, MainOutbox, bus, batch=2, clock=clock.now)
    await write(main_db, [("order.placed", "OR-1"), ("order.placed", "OR-2")], clock=clock)
    await write(main_db, [("order.cancelled", "OR-1")], clock=clock)
    clock.advance(30)
    backlog = await relay.backlog()
    assert backlog.pending == 3
    assert OUTBOX_PENDING.labels("main")._value.get() == 3
    assert OUTBOX_LAG.labels("main")._value.get() >= 30

    assert len(await relay.publish_batch()) == 2  # a batch at a time
    assert len(await relay.publish_batch()) == 1
    assert await relay.publish_batch() == []
    await bus.drain()
    assert [(e.type, e.aggregate_id) for e in received.events] == [
        ("order.placed", "OR-1"), ("order.placed", "OR-2"), ("order.cancelled", "OR-1")]
    assert (await relay.backlog()).pending == 0
    assert OUTBOX_LAG.labels("main")._value.get() == 0


async def test_a_relay_that_dies_before_marking_publishes_again(main_db: Database) -> None:
    class Killed(Exception):
        """The relay's process ended here."""

    class DiesAfterPublishing(InProcessBus):
        async def publish(self, topic: str, event: Event) -> None:
            await super().publish(topic, event)
            raise Killed

    dying, bus = DiesAfterPublishing(retry_pause=0), InProcessBus(retry_pause=0)
    first, second = Received(dying, "orders"), Received(bus, "orders")
    await write(main_db, [("order.placed", "OR-1")])
    with pytest.raises(Killed):
        await Relay(main_db, MainOutbox, dying).publish_batch()
    await Relay(main_db, MainOutbox, bus).publish_batch()
    await dying.drain()
    await bus.drain()
    # published twice, the same event: consumers deduplicate by its id
    assert [e.id for e in first.events] == [e.id for e in second.events]
    assert len(second.events) == 1
    await dying.close()
    await bus.close()


async def test_sent_rows_are_purged_after_the_retention(main_db: Database,
                                                        bus: InProcessBus) -> None:
    clock = FakeClock()
    relay = Relay(main_db, MainOutbox, bus, clock=clock.now)
    await write(main_db, [("order.placed", "OR-1")])
    await relay.publish_batch()
    clock.advance(timedelta(days=6).total_seconds())
    await write(main_db, [("order.placed", "OR-2")])  # unsent: never purged
    assert await relay.purge(older_than=timedelta(days=7)) == 0
    clock.advance(timedelta(days=2).total_seconds())
    assert await relay.purge(older_than=timedelta(days=7)) == 1
    async with main_db.write() as session:
        left = list((await session.execute(select(MainOutbox.aggregate_id))).scalars())
    assert left == ["OR-2"]


async def test_a_failing_subscriber_retries_then_dead_letters(bus: InProcessBus) -> None:
    flaky, broken = Received(bus, "orders", failing=2), Received(bus, "payments", failing=9)
    event = Event("order.placed", "order", "OR-1", {}, FakeClock().now())
    await bus.publish("orders", event)
    await bus.publish("payments", event)
    await bus.drain()
    assert flaky.events == [event] and flaky.subscription.dead_letters == []
    assert broken.events == []
    assert [(e.id, why) for e, why in broken.subscription.dead_letters] == [
        (event.id, "RuntimeError: not now")]


def test_every_aggregate_has_a_topic_and_an_unknown_one_is_refused() -> None:
    clock = FakeClock()
    assert topic_of(Event("stock.changed", "stock", "SKU-1", {}, clock.now())) == "inventory"
    with pytest.raises(UnknownAggregate, match="basket"):
        topic_of(Event("basket.changed", "basket", "B-1", {}, clock.now()))


async def test_the_relay_loop_waits_out_a_failing_bus_then_publishes(main_db: Database) -> None:
    class Flaky(InProcessBus):
        failures = 2

        async def publish(self, topic: str, event: Event) -> None:
            if self.failures:
                self.failures -= 1
                raise ConnectionRefusedError("the bus is away")
            await super().publish(topic, event)

    bus = Flaky(retry_pause=0)
    received = Received(bus, "orders")
    stop = asyncio.Event()
    loop = asyncio.create_task(Relay(main_db, MainOutbox, bus).run(stop, idle=0.01))
    try:
        await write(main_db, [("order.placed", "OR-1")])
        await until_received(bus, received, 1, what="the event, once the bus is back")
    finally:
        stop.set()
        await loop
        await bus.close()
    assert bus.failures == 0 and [e.aggregate_id for e in received.events] == ["OR-1"]


async def test_a_consumer_applies_a_redelivered_event_once(main_db: Database) -> None:
    from orchid.kit.inbox import ProcessedEvent, first_time

    event = Event("order.placed", "order", "OR-1", {}, FakeClock().now())
    effects: list[str] = []

    async def consume(subscription: str) -> None:
        async with main_db.write() as session:
            if await first_time(session, subscription, event):
                effects.append(subscription)

    for _ in range(3):  # delivered three times to one subscription, once to another
        await consume("order-emails")
    await consume("daily-sales")
    assert effects == ["order-emails", "daily-sales"]
    with pytest.raises(RuntimeError):  # an effect that fails takes its record with it
        async with main_db.write() as session:
            assert await first_time(session, "search-index", event)
            raise RuntimeError("the index is away")
    await consume("search-index")
    assert effects[-1] == "search-index"
    async with main_db.write() as session:
        kept = (await session.execute(select(ProcessedEvent.subscription)
                                      .order_by(ProcessedEvent.id))).scalars().all()
    assert list(kept) == ["order-emails", "daily-sales", "search-index"]


async def test_the_migrations_make_the_processed_events_table_the_model_describes(
        db: Database) -> None:
    from orchid.kit.inbox import ProcessedEvent

    assert await schema_differences(db, MainBase.metadata,
                                    {ProcessedEvent.__tablename__}) == []


async def test_a_commit_with_events_rings_the_doorbell_and_nothing_else_does(
        main_db: Database) -> None:
    await write(main_db, [("order.placed", "OR-1")])
    assert await main_db.doorbell.wait(0) is True
    assert await main_db.doorbell.wait(0) is False  # one ring wakes one look
    with pytest.raises(RuntimeError):
        await write(main_db, [("order.placed", "OR-2")], fail=True)
    assert await main_db.doorbell.wait(0) is False  # rolled back: nothing to announce
    async with main_db.write() as session:  # a write that records no event
        await session.execute(delete(MainOutbox).where(MainOutbox.seq < 0))
    assert await main_db.doorbell.wait(0) is False


async def test_an_idle_relay_wakes_when_a_commit_rings_not_when_its_idle_time_ends(
        main_db: Database, bus: InProcessBus) -> None:
    class Counting(Relay):
        looks = 0

        async def publish_batch(self) -> list[Event]:
            sent = await super().publish_batch()
            self.looks += 1
            return sent

    received = Received(bus, "orders")
    relay, stop = Counting(main_db, MainOutbox, bus), asyncio.Event()
    loop = asyncio.create_task(relay.run(stop, idle=3600))  # polling alone: an hour's wait
    try:
        await until_async(lambda: _true(relay.looks == 1), timeout=10, what="the first look")
        await write(main_db, [("order.placed", "OR-1")])
        await until_received(bus, received, 1, what="the event, rung awake")
    finally:
        stop.set()
        await loop
    assert relay.looks == 2  # the first look, then one more — woken by the commit's ring


async def _true(value: bool) -> bool:
    return value


async def until_received(bus: InProcessBus, received: Received, count: int, *,
                         what: str) -> None:
    """Wait until `received` holds `count` events (the bus delivers on its own tasks)."""

    async def arrived() -> bool:
        await bus.drain()
        return len(received.events) == count

    await until_async(arrived, timeout=10, what=what)


def test_a_doorbell_serves_an_app_whose_lifespan_runs_again_in_another_loop() -> None:
    from orchid.kit.doorbell import Doorbell

    bell = Doorbell("orchid:outbox:t")

    async def rung_then_heard() -> bool:
        bell.ring()
        return await bell.wait(5) and not await bell.wait(0)

    # Two loops one after the other, as two test clients of one app run its lifespan.
    assert asyncio.run(rung_then_heard()) and asyncio.run(rung_then_heard())
