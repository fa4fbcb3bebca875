"""The carts' activity index on a real Redis: the store's sorted sets, and each customer cart's
last change written in the cart's own transaction (guests left out), listed and forgotten."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI

from orchid.kit.kv import RedisStore
from orchid.services.cart.rules import new_guest_id
from orchid.services.cart.service import CART_TTL_SECONDS, CartService
from orchid.services.cart.store import ACTIVITY_KEY, RedisCartStore, cart_store
from orchid.services.registry import Services
from tests.support.clock import FakeClock
from tests.support.servers import Redis
from tests.unit.catalog_factories import product_create, seed_taxonomy
from tests.unit.kit.test_cache import check_many
from tests.unit.kit.test_kv_sorted import check_sorted_sets

HOUR = 3600
# Long before any real cart another test writes to this Redis, so the windows see only ours.
START = datetime(2001, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
async def services(app: FastAPI) -> Services:
    """The embedded app's catalog with one product in three shades."""
    services: Services = app.state.services
    await seed_taxonomy(services.catalog)
    await services.catalog.create_product(data=product_create(
        "palette", prices=[(10000, 12000)] * 3))
    return services


@pytest.fixture
async def redis_kv(redis_server: Redis) -> AsyncIterator[RedisStore]:
    """A key-value store on the session's Redis."""
    store = RedisStore.from_url(redis_server.url(), timeout=2.0)
    yield store
    await store.close()


def customer() -> str:
    """Return a fresh customer cart id."""
    return "c:" + secrets.token_hex(13)


async def test_redis_store_keeps_sorted_sets(redis_kv: RedisStore) -> None:
    await check_sorted_sets(redis_kv, f"test-sorted:{secrets.token_hex(4)}")
    await redis_kv.zadd("unused", {})  # nothing to add is no error (Redis would refuse it)
    assert await redis_kv.zrem("unused") == 0


async def test_redis_store_reads_many_keys_for_the_cache(redis_kv: RedisStore) -> None:
    await check_many(redis_kv, f"test-many-{secrets.token_hex(4)}")
    assert await redis_kv.mget() == []


async def test_each_customer_cart_write_records_its_last_change(
        services: Services, redis_kv: RedisStore) -> None:
    clock = FakeClock(START)
    store = cart_store(redis_kv, ttl=CART_TTL_SECONDS)
    assert isinstance(store, RedisCartStore)
    cart = CartService(store=store, peers=services.cart.peers, clock=clock.now)
    first, second, guest = customer(), customer(), new_guest_id()

    async def score(cart_id: str) -> float | None:
        found = await redis_kv.client.zscore(ACTIVITY_KEY, cart_id)
        return None if found is None else float(found)

    await cart.add(cart_id=first, sku="PALETTE-1", quantity=1)
    clock.advance(HOUR)
    await cart.add(cart_id=guest, sku="PALETTE-2", quantity=1)
    await cart.add(cart_id=second, sku="PALETTE-1", quantity=2)
    assert await score(first) == START.timestamp()
    assert await score(guest) is None  # guests are never reminded, so never indexed
    clock.advance(HOUR)
    await cart.get(cart_id=first)  # a read remembers prices; that is no change of the cart
    assert await score(first) == START.timestamp()
    await cart.merge(from_cart_id=guest, into_cart_id=first)
    assert await score(first) == (START + timedelta(hours=2)).timestamp()

    idle = await cart.list_idle(changed_after=START, changed_before=START + timedelta(hours=1))
    assert [(c.cart_id, c.customer_id, c.changed_at) for c in idle] == [
        (second, second[2:], START + timedelta(hours=1))]
    await cart.clear(cart_id=second)  # a checkout clears it: nothing left to remind of
    assert await score(second) is None
    await cart.remove(cart_id=first, sku="PALETTE-1")
    assert await score(first) is not None  # PALETTE-2 from the guest cart is still there
    await cart.remove(cart_id=first, sku="PALETTE-2")
    assert await score(first) is None  # an emptied cart is deleted, and so is its entry


async def test_old_entries_are_forgotten_and_a_new_change_indexes_again(
        services: Services, redis_kv: RedisStore) -> None:
    clock = FakeClock(START - timedelta(days=5))
    cart = CartService(store=cart_store(redis_kv, ttl=CART_TTL_SECONDS),
                       peers=services.cart.peers, clock=clock.now)
    old, newer = customer(), customer()
    await cart.add(cart_id=old, sku="PALETTE-1", quantity=1)
    clock.advance(3 * 24 * HOUR)
    await cart.add(cart_id=newer, sku="PALETTE-1", quantity=1)

    async def idle(offset: int = 0, limit: int = 500) -> list[str]:
        found = await cart.list_idle(changed_after=START - timedelta(days=6),
                                     changed_before=START - timedelta(days=1),
                                     offset=offset, limit=limit)
        return [c.cart_id for c in found]

    assert await idle() == [old, newer]
    assert await idle(offset=1, limit=5) == [newer] and await idle(limit=1) == [old]
    assert await cart.forget_idle(changed_before=START - timedelta(days=4)) == 1
    assert await idle() == [newer]
    clock.advance(HOUR)
    await cart.add(cart_id=old, sku="PALETTE-3", quantity=1)
    assert await idle() == [newer, old]
