"""Checkout on real MariaDB primary/replica pairs and Redis: races, idempotency, crash recovery."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy.engine import Connection

from orchid.app import create_app
from orchid.config import Settings
from orchid.kit.orm import MainBase, utcnow
from orchid.services.accounts.sms import DevSmsSender
from orchid.services.orders.models import Order
from orchid.services.orders.service import OrdersService
from orchid.services.orders.tasks import sweep_once
from orchid.services.payments.schemas import CodMethod
from orchid.services.registry import Services
from tests.support.servers import MariaDBPair, Redis
from tests.support.stack import settings_on_servers
from tests.unit.orders_factories import (
    COD,
    Crash,
    Shopper,
    add_product,
    fill_cart,
    orders_of,
    services_of,
    setup_shop,
    stock_of,
)

T = TypeVar("T")
RACERS, UNITS = 300, 10
HOME = {"name": "Ravi", "phone": "9812345678", "line1": "4 Park Street", "city": "Kolkata",
        "state": "West Bengal", "pincode": "700016"}


@pytest.fixture(scope="module")
def server_settings(main_db_pair: MariaDBPair, warehouse_db_pair: MariaDBPair,
                    redis_server: Redis, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the real servers, both schemas migrated, pools wide enough for the race."""
    return settings_on_servers(main_db_pair, warehouse_db_pair, redis_server,
                               tmp_path_factory.mktemp("checkout"), db_pool_size=40,
                               otp_sends_per_ip=10_000)


@pytest.fixture
async def app(server_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(server_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def services(app: FastAPI, main_db_pair: MariaDBPair) -> Services:
    found = services_of(app)
    await setup_shop(found)
    main_db_pair.wait_replicated()
    return found


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop",
                             timeout=120)


async def bounded(calls: list[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run `calls` with at most `limit` in flight."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


async def sign_in_by_sms(app: FastAPI, api: httpx.AsyncClient) -> Shopper:
    """Sign a new customer up by SMS code (no password hashing) and give them an address."""
    phone = f"+9198{uuid.uuid4().int % 10**8:08d}"
    sent = await api.post("/api/v1/accounts/otp/send", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    sms = app.state.services.accounts.sms
    assert isinstance(sms, DevSmsSender)
    code = re.search(r"\b\d{6}\b", sms.last_message(phone) or "")
    assert code is not None
    verified = await api.post("/api/v1/accounts/otp/verify",
                              json={"phone": phone, "code": code.group()})
    assert verified.status_code == 200, verified.text
    token = verified.json()["token"]
    address = await api.post("/api/v1/accounts/me/addresses", json=HOME,
                             headers={"Authorization": f"Bearer {token}"})
    assert address.status_code == 201, address.text
    return Shopper(customer_id=verified.json()["customer"]["public_id"], token=token,
                   address_id=address.json()["public_id"])


async def post_checkout(api: httpx.AsyncClient, shopper: Shopper, key: str) -> httpx.Response:
    return await api.post("/api/v1/checkout", headers=shopper.checkout_headers(key),
                          json={"address_id": shopper.address_id, "payment": COD})


async def test_300_checkouts_race_for_10_units(app: FastAPI, services: Services,
                                               main_db_pair: MariaDBPair) -> None:
    sku = await add_product(services, on_hand=UNITS)
    async with client(app) as api:
        shoppers = await bounded([lambda: sign_in_by_sms(app, api)] * RACERS, limit=25)
        api.cookies.clear()  # each request carries its own bearer token, nothing shared
        await bounded([partial(fill_cart, services, s, (sku, 1)) for s in shoppers], limit=25)
        main_db_pair.wait_replicated()
        started = time.perf_counter()
        responses = await asyncio.gather(*(post_checkout(api, s, f"race-{i:05d}")
                                           for i, s in enumerate(shoppers)))
        elapsed = time.perf_counter() - started
    codes = [r.status_code for r in responses]
    print(f"\n{RACERS} checkouts for {UNITS} units: {elapsed:.2f} s, "
          f"{codes.count(201)} placed, {codes.count(409)} out of stock")
    assert not [r.text for r in responses if r.status_code >= 500]
    assert codes.count(201) == UNITS and codes.count(409) == RACERS - UNITS
    assert all(r.json()["code"] == "out_of_stock" for r in responses if r.status_code == 409)
    placed = [r.json()["order"] for r in responses if r.status_code == 201]
    assert {o["status"] for o in placed} == {"confirmed"}
    assert await stock_of(app.state.resources.warehouse_db, sku) == (0, 0)
    orders: list[Order] = []
    for shopper in shoppers:
        orders += await orders_of(app.state.resources.main_db, shopper.customer_id)
    assert len(orders) == UNITS and all(o.allocated for o in orders)


async def test_20_identical_requests_make_one_order(app: FastAPI, services: Services) -> None:
    sku = await add_product(services)
    async with client(app) as api:
        shopper = await sign_in_by_sms(app, api)
        await fill_cart(services, shopper, (sku, 2))
        responses = await asyncio.gather(*(post_checkout(api, shopper, "same-key-on-mariadb")
                                           for _ in range(20)))
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["order"]["number"] for r in responses}) == 1
    assert len(await orders_of(app.state.resources.main_db, shopper.customer_id)) == 1
    assert await stock_of(app.state.resources.warehouse_db, sku) == (8, 0)


@pytest.mark.parametrize("recovery", ["retry", "sweeper"])
async def test_crash_after_confirming_recovers(app: FastAPI, services: Services,
                                               recovery: str) -> None:
    sku = await add_product(services)

    async def fault(step: str) -> None:
        if step == "confirmed":
            raise Crash(step)

    crashing = OrdersService(db=app.state.resources.main_db, peers=services.orders.peers,
                             faults=fault)
    async with client(app) as api:
        shopper = await sign_in_by_sms(app, api)
    await fill_cart(services, shopper, (sku, 2))
    call: dict[str, Any] = {"customer_id": shopper.customer_id, "idempotency_key": "crash-1",
                            "address_id": shopper.address_id, "payment": CodMethod(type="cod")}
    with pytest.raises(Crash):
        await crashing.checkout(**call)
    assert await stock_of(app.state.resources.warehouse_db, sku) == (10, 2)
    if recovery == "retry":
        assert (await services.orders.checkout(**call)).order.status == "confirmed"
    else:
        report = await sweep_once(services.orders, now=utcnow() + timedelta(minutes=16))
        assert len(report.allocations_finished) == 1
    [order] = await orders_of(app.state.resources.main_db, shopper.customer_id)
    assert order.status == "confirmed" and order.allocated
    assert await stock_of(app.state.resources.warehouse_db, sku) == (8, 0)


async def test_orders_migration_matches_the_models_on_mariadb(app: FastAPI) -> None:
    tables = {"orders", "order_lines", "order_events"}

    def mine(item: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        # The shared database holds every service's tables; compare only ours.
        table = item if kind == "table" else getattr(item, "table", None)
        return table is None or table.name in tables

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": mine})
        return list(compare_metadata(context, MainBase.metadata))

    async with app.state.resources.main_db.primary.engine.connect() as connection:
        assert await connection.run_sync(differences) == []
