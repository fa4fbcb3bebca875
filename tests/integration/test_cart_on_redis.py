"""Carts on a real Redis: concurrent writers, the 30-day expiry, surviving a restart with AOF."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from orchid.kit.kv import RedisStore
from orchid.services.cart.rules import new_guest_id
from orchid.services.cart.service import CART_TTL_SECONDS, CartService
from orchid.services.cart.store import RedisCartStore, cart_store
from orchid.services.registry import Services
from tests.support.servers import Redis
from tests.unit.catalog_factories import product_create, seed_taxonomy

DAY = 24 * 3600


@pytest.fixture
async def services(app: FastAPI) -> Services:
    """The embedded app's catalog with one product in 25 shades."""
    services: Services = app.state.services
    await seed_taxonomy(services.catalog)
    await services.catalog.create_product(data=product_create(
        "palette", prices=[(10000, 12000)] * 25))
    return services


@pytest.fixture
async def redis_kv(redis_server: Redis) -> AsyncIterator[RedisStore]:
    """A key-value store on the session's Redis."""
    store = RedisStore.from_url(redis_server.url(), timeout=2.0)
    yield store
    await store.close()


def on_redis(kv: RedisStore, services: Services) -> CartService:
    """A cart service whose carts live in `kv`."""
    store = cart_store(kv, ttl=CART_TTL_SECONDS)
    assert isinstance(store, RedisCartStore)
    return CartService(store=store, peers=services.cart.peers)


def customer() -> str:
    """Return a fresh customer cart id."""
    return "c:" + secrets.token_hex(13)


async def test_concurrent_adds_from_two_processes_lose_nothing(
        services: Services, redis_kv: RedisStore, redis_server: Redis) -> None:
    other = RedisStore.from_url(redis_server.url(), timeout=2.0)  # as a second process would
    try:
        first, second = on_redis(redis_kv, services), on_redis(other, services)
        cart_id = customer()
        skus = [f"PALETTE-{i}" for i in range(1, 21)]
        await asyncio.gather(*(
            (first if i % 2 else second).add(cart_id=cart_id, sku=sku, quantity=1)
            for i, sku in enumerate(skus)))
        await asyncio.gather(*(
            (first if i % 2 else second).add(cart_id=cart_id, sku="PALETTE-25", quantity=1)
            for i in range(10)))
        got = {line.sku: line.quantity for line in await first.get_lines(cart_id=cart_id)}
        assert got == {**dict.fromkeys(skus, 1), "PALETTE-25": 10}
    finally:
        await other.close()


async def test_key_expires_in_thirty_days_and_each_write_renews_it(
        services: Services, redis_kv: RedisStore) -> None:
    cart = on_redis(redis_kv, services)
    cart_id = new_guest_id()
    await cart.add(cart_id=cart_id, sku="PALETTE-1", quantity=1)
    ttl = await redis_kv.client.ttl(f"cart:{cart_id}")
    assert 30 * DAY - 60 <= ttl <= 30 * DAY
    await redis_kv.client.expire(f"cart:{cart_id}", DAY)  # as if 29 days had passed
    await cart.set_quantity(cart_id=cart_id, sku="PALETTE-1", quantity=2)
    assert await redis_kv.client.ttl(f"cart:{cart_id}") >= 30 * DAY - 60
    await cart.remove(cart_id=cart_id, sku="PALETTE-1")
    assert await redis_kv.client.exists(f"cart:{cart_id}") == 0  # no empty carts kept


async def test_merge_is_one_transaction(services: Services, redis_kv: RedisStore) -> None:
    cart = on_redis(redis_kv, services)
    guest, mine = new_guest_id(), customer()
    await cart.add(cart_id=guest, sku="PALETTE-1", quantity=4)
    await cart.add(cart_id=mine, sku="PALETTE-1", quantity=8)
    merged = await cart.merge(from_cart_id=guest, into_cart_id=mine)
    assert [(line.sku, line.quantity) for line in merged.lines] == [("PALETTE-1", 10)]
    assert await redis_kv.client.exists(f"cart:{guest}") == 0


async def test_cart_survives_a_restart_with_append_only_file(services: Services,
                                                             tmp_path: Path) -> None:
    server = Redis.start(tmp_path / "aof-redis", appendonly=True)
    try:
        kv = RedisStore.from_url(server.url(), timeout=2.0)
        cart_id = customer()
        await on_redis(kv, services).add(cart_id=cart_id, sku="PALETTE-3", quantity=2)
        await kv.close()
        server.stop()
        server.start_again()
        kv = RedisStore.from_url(server.url(), timeout=2.0)
        try:
            lines = await on_redis(kv, services).get_lines(cart_id=cart_id)
        finally:
            await kv.close()
        assert [(line.sku, line.quantity) for line in lines] == [("PALETTE-3", 2)]
    finally:
        server.stop()
