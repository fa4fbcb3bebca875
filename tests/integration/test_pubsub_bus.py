"""The bus on the real Pub/Sub emulator: the relay publishes a MariaDB outbox through it, each
aggregate's events arrive in order, a failing subscriber's event reaches the dead-letter topic,
and while the emulator is away the rows wait unsent and go out when it is back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, func, select

from orchid.config import Settings
from orchid.events.pubsub import PubSubBus, SubscriptionSpec
from orchid.events.relay import Relay
from orchid.kit.db import Database
from orchid.kit.outbox import Event, MainOutbox, record
from tests.support.servers import MariaDBPair, PubSubEmulator, Redis
from tests.support.stack import settings_on_servers
from tests.support.waiting import until_async

pytestmark = pytest.mark.integration
PROJECT = "orchid-test"


@pytest.fixture(scope="module")
def server_settings(main_db_pair: MariaDBPair, warehouse_db_pair: MariaDBPair,
                    redis_server: Redis, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_on_servers(main_db_pair, warehouse_db_pair, redis_server,
                               tmp_path_factory.mktemp("pubsub-outbox"))


@pytest.fixture
async def main_db(server_settings: Settings) -> AsyncIterator[Database]:
    db = Database("main", server_settings.main_url())
    async with db.write() as session:
        await session.execute(delete(MainOutbox))
    yield db
    await db.close()


@pytest.fixture
async def bus(emulator: PubSubEmulator) -> AsyncIterator[PubSubBus]:
    bus = PubSubBus(PROJECT)
    yield bus
    await bus.close()


async def write(db: Database, number: str, n: int) -> None:
    async with db.write() as session:
        record(session, MainOutbox, "order.changed", "order", number, {"n": n})


async def test_the_relay_publishes_through_pubsub_in_each_aggregates_order(
        main_db: Database, bus: PubSubBus, request: pytest.FixtureRequest) -> None:
    name = f"ordered-{request.node.name[-8:]}"
    bus.ensure({"orders": [SubscriptionSpec(name)]})
    received: list[Event] = []

    async def keep(event: Event) -> None:
        received.append(event)

    bus.pull(name, keep)
    for n in range(5):
        for number in ("OR-A", "OR-B", "OR-C"):
            await write(main_db, number, n)
    relay = Relay(main_db, MainOutbox, bus, batch=4)
    while await relay.publish_batch():
        pass

    async def all_here() -> bool:
        return len({e.id for e in received}) == 15

    await until_async(all_here, timeout=30, what="15 events through the emulator")
    firsts: dict[str, list[int]] = {}
    seen: set[str] = set()
    for event in received:  # at least once: a redelivery is skipped by its id
        if event.id not in seen:
            seen.add(event.id)
            firsts.setdefault(event.aggregate_id, []).append(event.payload["n"])
    assert firsts == {number: [0, 1, 2, 3, 4] for number in ("OR-A", "OR-B", "OR-C")}


async def test_an_event_that_keeps_failing_reaches_the_dead_letter_topic(
        main_db: Database, bus: PubSubBus) -> None:
    spec = SubscriptionSpec("always-failing", max_attempts=5)
    bus.ensure({"payments": [spec]})
    attempts: list[str] = []

    async def fail(event: Event) -> None:
        attempts.append(event.id)
        raise RuntimeError("this subscriber is broken")

    dead: list[Event] = []

    async def keep(event: Event) -> None:
        dead.append(event)

    bus.pull(spec, fail)
    bus.pull(spec.dead_letter_topic, keep)
    async with main_db.write() as session:
        record(session, MainOutbox, "payment.failed", "payment", "OR-D", {})
    await Relay(main_db, MainOutbox, bus).publish_batch()

    async def dead_lettered() -> bool:
        return len(dead) >= 1

    await until_async(dead_lettered, timeout=60, what="the event on the dead-letter topic")
    assert [e.type for e in dead] == ["payment.failed"]
    assert len(attempts) >= spec.max_attempts and set(attempts) == {dead[0].id}


async def test_rows_wait_while_the_emulator_is_away_and_go_out_when_it_is_back(
        main_db: Database, emulator: PubSubEmulator) -> None:
    await write(main_db, "OR-E", 0)
    emulator.stop()
    away = PubSubBus(PROJECT)
    try:
        with pytest.raises(Exception):  # noqa: B017 - whatever the client raises, it is not sent
            await Relay(main_db, MainOutbox, away).publish_batch()
    finally:
        await away.close()
    async with main_db.write() as session:
        unsent = (await session.execute(select(func.count()).select_from(MainOutbox)
                                        .where(MainOutbox.sent_at.is_(None)))).scalar_one()
    assert unsent == 1
    emulator.start_again()  # in memory: it comes back with no topics
    back = PubSubBus(PROJECT)
    try:
        back.ensure({"orders": [SubscriptionSpec("after-outage")]})
        received: list[Event] = []

        async def keep(event: Event) -> None:
            received.append(event)

        back.pull("after-outage", keep)
        assert [e.aggregate_id for e in await Relay(main_db, MainOutbox, back).publish_batch()
                ] == ["OR-E"]

        async def arrived() -> bool:
            return bool(received)

        await until_async(arrived, timeout=30, what="the waiting event after the outage")
    finally:
        await back.close()
