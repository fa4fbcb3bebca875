"""Delivery on the real Pub/Sub emulator and MariaDB: a relay killed between the publish and
the commit that marks its rows sent publishes them again after a restart, and every consumer
applies each event once; with the emulator down, checkouts still succeed and their events go
out when it is back."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import delete, func, select

from orchid.app import create_app
from orchid.config import Settings
from orchid.events.pubsub import PubSubBus
from orchid.events.relay import Relay
from orchid.kit.db import Database
from orchid.kit.inbox import ProcessedEvent, first_time
from orchid.kit.outbox import Event, MainOutbox, record
from tests.support.dying_relay import KILLED
from tests.support.servers import MariaDBPair, PubSubEmulator, Redis
from tests.support.stack import settings_on_servers
from tests.support.waiting import until_async
from tests.unit.orders_factories import (
    COD,
    add_product,
    fill_cart,
    services_of,
    setup_shop,
    sign_up,
)

pytestmark = pytest.mark.integration
PROJECT = "orchid-delivery"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def server_settings(main_db_pair: MariaDBPair, warehouse_db_pair: MariaDBPair,
                    redis_server: Redis, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_on_servers(main_db_pair, warehouse_db_pair, redis_server,
                               tmp_path_factory.mktemp("delivery"))


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


class Consumer:
    """An idempotent consumer: counts every delivery, applies an event's effect (here: keeps
    its id) only when the inbox says it is the first time."""

    def __init__(self, db: Database, name: str) -> None:
        self.db, self.name = db, name
        self.deliveries: list[str] = []
        self.applied: list[str] = []

    async def __call__(self, event: Event) -> None:
        self.deliveries.append(event.id)
        async with self.db.write() as session:
            if await first_time(session, self.name, event):
                self.applied.append(event.id)


async def test_a_relay_killed_between_publish_and_commit_leaves_every_effect_once(
        main_db: Database, bus: PubSubBus, server_settings: Settings,
        emulator: PubSubEmulator) -> None:
    tag = uuid.uuid4().hex[:8]
    consumers = [Consumer(main_db, f"once-{tag}-{n}") for n in (1, 2)]
    for consumer in consumers:
        bus.subscribe("orders", consumer.name, consumer)
    async with main_db.write() as session:
        for number in ("OR-K1", "OR-K2", "OR-K3"):
            record(session, MainOutbox, "order.paid", "order", f"{number}-{tag}", {"n": 1})

    killed = subprocess.run(
        [sys.executable, "-m", "tests.support.dying_relay", server_settings.main_url(),
         PROJECT, "3"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PUBSUB_EMULATOR_HOST": emulator.host})
    assert killed.returncode == KILLED, killed.stdout + killed.stderr
    async with main_db.write() as session:
        unsent = (await session.execute(select(func.count()).select_from(MainOutbox)
                                        .where(MainOutbox.sent_at.is_(None)))).scalar_one()
    assert unsent == 3  # published, but the commit marking them sent never happened

    assert len(await Relay(main_db, MainOutbox, bus).publish_batch()) == 3  # the restart

    async def twice_each() -> bool:
        return all(len(c.deliveries) >= 6 for c in consumers)

    await until_async(twice_each, timeout=60, what="each event delivered twice to each consumer")
    async with main_db.write() as session:  # the primary: no replica lag in the count
        recorded = dict((await session.execute(
            select(ProcessedEvent.subscription, func.count()).where(
                ProcessedEvent.subscription.in_([c.name for c in consumers]))
            .group_by(ProcessedEvent.subscription))).all())
    for consumer in consumers:
        assert len(set(consumer.deliveries)) == 3
        assert sorted(consumer.applied) == sorted(set(consumer.deliveries))  # once each
        assert recorded[consumer.name] == 3


async def test_checkouts_succeed_with_the_emulator_down_and_their_events_flow_when_it_is_back(
        server_settings: Settings, emulator: PubSubEmulator, main_db: Database) -> None:
    settings = server_settings.model_copy(update={
        "pubsub_project": PROJECT, "events_relay": True, "functions_in_process": False})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services = services_of(app)
        await setup_shop(services)
        sku = await add_product(services, on_hand=5)
        emulator.stop()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://shop", timeout=60) as api:
                shopper = await sign_up(api)
                await fill_cart(services, shopper, (sku, 1))
                placed = await api.post("/api/v1/checkout",
                                        headers=shopper.checkout_headers(uuid.uuid4().hex),
                                        json={"address_id": shopper.address_id,
                                              "payment": COD})
            assert placed.status_code == 201, placed.text
            number = placed.json()["order"]["number"]
            async with main_db.write() as session:
                waiting = (await session.execute(select(MainOutbox.type).where(
                    MainOutbox.aggregate_id == number, MainOutbox.sent_at.is_(None)))).scalars()
                assert "order.confirmed" in set(waiting)
        finally:
            emulator.start_again()  # in memory: back with no topics; the relay makes them
        received: list[Event] = []

        async def keep(event: Event) -> None:
            received.append(event)

        watcher = PubSubBus(PROJECT)
        try:
            # A function's subscription: the app's relay creates it again with its topic.
            watcher.subscribe("orders", "order-notifications", keep)

            async def confirmed() -> bool:
                return any(e.aggregate_id == number and e.type == "order.confirmed"
                           for e in received)

            await until_async(confirmed, timeout=60, what="the order's events after the outage")
        finally:
            await watcher.close()
