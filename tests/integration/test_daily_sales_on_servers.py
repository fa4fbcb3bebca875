"""daily-sales on real MariaDB: the migration makes the model's table, handlers of different
orders adding to the same row at once are all counted, and the report reads a replica."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select

from orchid.app import create_app
from orchid.config import Settings
from orchid.functions import daily_sales
from orchid.functions.reporting import Key, SalesDaily, SalesLine, Tally, sales_report
from orchid.functions.runtime import FunctionContext
from orchid.kit.db import Database
from orchid.kit.orm import MainBase
from orchid.kit.outbox import Event, MainOutbox
from orchid.services.registry import Services
from tests.support.migrations import schema_differences
from tests.support.servers import MariaDBPair, Redis
from tests.support.stack import settings_on_servers
from tests.unit.orders_factories import (
    add_product,
    fill_cart,
    payment_method,
    services_of,
    setup_shop,
    sign_up,
)

pytestmark = pytest.mark.integration
ORDERS, RACERS = 12, 40
DAY = date(2001, 4, 1)  # a day no other test writes; 2001-04-01 09:00 IST
MORNING = datetime(2001, 4, 1, 3, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def server_settings(main_db_pair: MariaDBPair, warehouse_db_pair: MariaDBPair,
                    redis_server: Redis, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_on_servers(main_db_pair, warehouse_db_pair, redis_server,
                               tmp_path_factory.mktemp("daily-sales"), db_pool_size=50)


@pytest.fixture
async def app(server_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(server_settings)
    async with application.router.lifespan_context(application):
        async with application.state.resources.main_db.write() as session:
            await session.execute(delete(SalesDaily).where(SalesDaily.day == DAY))
        yield application


@pytest.fixture
async def services(app: FastAPI, main_db_pair: MariaDBPair) -> Services:
    found = services_of(app)
    await setup_shop(found)
    main_db_pair.wait_replicated()
    return found


async def row(db: Database, key: Key) -> tuple[int, int, int]:
    async with db.write() as session:
        found = await session.scalar(select(SalesDaily).where(
            SalesDaily.day == key.day, SalesDaily.category == key.category,
            SalesDaily.brand == key.brand, SalesDaily.city == key.city,
            SalesDaily.payment_method == key.payment_method))
    assert found is not None
    return found.orders, found.units, found.revenue_paise


async def test_the_migration_makes_the_model_table_on_mariadb(
        server_settings: Settings) -> None:
    db = Database("main", server_settings.main_url())
    try:
        assert await schema_differences(db, MainBase.metadata, {SalesDaily.__tablename__}) == []
    finally:
        await db.close()


async def test_concurrent_orders_on_one_row_are_all_counted_and_reported_from_a_replica(
        app: FastAPI, services: Services, main_db_pair: MariaDBPair) -> None:
    sku = await add_product(services, price=29_900, on_hand=2 * ORDERS)
    numbers: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://shop") as api:
        for _ in range(ORDERS):
            shopper = await sign_up(api)
            await fill_cart(services, shopper, (sku, 2))
            numbers.append((await services.orders.checkout(
                customer_id=shopper.customer_id, idempotency_key="key-0001",
                address_id=shopper.address_id, payment=payment_method(None))).order.number)
    db = app.state.resources.main_db
    async with db.write() as session:
        confirmed = [r.event() for r in (await session.scalars(select(MainOutbox).where(
            MainOutbox.type == "order.confirmed", MainOutbox.aggregate_id.in_(numbers)))).all()]
    assert len(confirmed) == ORDERS
    main_db_pair.wait_replicated()  # the handlers read the orders from the replica
    # Each order's acceptance, dated on a day of its own (new ids: an app that hosts the
    # function itself may have counted the originals today).
    events = [replace(e, id=str(uuid.uuid4()), occurred_at=MORNING) for e in confirmed]
    ctx = FunctionContext(app.state.resources, services_of=lambda: services)

    counted = await asyncio.gather(*(daily_sales.count(ctx, e) for e in events))

    assert counted == [True] * ORDERS
    key = Key(DAY, "kajal", "lakme", "Bengaluru", "cod")
    assert await row(db, key) == (ORDERS, 2 * ORDERS, ORDERS * 59_800)

    main_db_pair.wait_replicated()
    before = db.served["replica-1"]
    # A context that wrote nothing: read-your-writes would send this one's reads to the primary.
    lines = await asyncio.create_task(
        sales_report(db, since=DAY, until=DAY, by="city"), context=contextvars.Context())
    assert lines == [SalesLine("Bengaluru", ORDERS, 2 * ORDERS, ORDERS * 59_800, 0, 0, 0)]
    assert db.served["replica-1"] == before + 1


async def test_many_writers_adding_to_a_new_row_at_once_lose_nothing(app: FastAPI) -> None:
    db = app.state.resources.main_db
    key = Key(DAY, "lipstick", "maybelline", "Kolkata", "card")

    def accepted(n: int) -> Event:
        return Event(type="order.paid", aggregate_type="order", aggregate_id=f"OR-RACE-{n}",
                     payload={}, occurred_at=MORNING)

    # All start on a row that does not exist yet: every one of them tries to insert it.
    results = await asyncio.gather(*(daily_sales.record(
        db, accepted(n), {key: Tally(orders=1, units=n, revenue_paise=100 * n)},
        now=datetime.now(UTC)) for n in range(1, RACERS + 1)))

    assert results == [True] * RACERS
    assert await row(db, key) == (RACERS, sum(range(1, RACERS + 1)),
                                  100 * sum(range(1, RACERS + 1)))
