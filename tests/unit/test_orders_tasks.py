"""The sweeper: crashed and abandoned checkouts end consistent — no hold left, none lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

from orchid.config import Settings
from orchid.kit.errors import InvalidInput
from orchid.kit.orm import utcnow
from orchid.services.orders import transitions
from orchid.services.orders.service import OrdersService
from orchid.services.orders.tasks import run_sweeper, sweep_once
from tests.support.clock import FakeClock
from tests.unit.orders_factories import Shop, add_product, crash_at, orders_of

LATER = timedelta(minutes=16)  # past the 15-minute hold


@pytest.fixture
async def shop(app: FastAPI, api: httpx.AsyncClient) -> Shop:
    return await Shop.open(app, api)


async def test_sweeper_cancels_unpaid_orders_and_their_intents(shop: Shop) -> None:
    sku = await add_product(shop.services)
    number = await shop.pending_3ds(sku)
    report = await sweep_once(shop.services.orders, now=utcnow() + LATER)
    assert report.orders_cancelled == [number]
    assert await shop.stock(sku) == (10, 0)
    intent = await shop.services.payments.get_intent(order_number=number)
    assert intent is not None and intent.status == "cancelled"
    # A success notice that raced the sweep finds the order cancelled and leaves it so.
    order = await shop.services.orders.settle_payment(order_number=number, outcome="succeeded")
    assert order.status == "cancelled" and await shop.stock(sku) == (10, 0)


async def test_sweeper_leaves_orders_within_their_hold_alone(shop: Shop) -> None:
    sku = await add_product(shop.services)
    await shop.pending_3ds(sku)
    report = await sweep_once(shop.services.orders)
    assert not report.changed
    assert await shop.stock(sku) == (10, 1)


@pytest.mark.parametrize(("step", "outcome"), [("reserved", None),
                                               ("order_created", "cancelled"),
                                               ("intent_created", "cancelled"),
                                               ("confirmed", "confirmed")])
async def test_sweeper_makes_a_crashed_checkout_consistent(shop: Shop, step: str,
                                                           outcome: str | None) -> None:
    sku, shopper = await crash_at(shop, step)
    await sweep_once(shop.services.orders, now=utcnow() + LATER)
    orders = await orders_of(shop.main_db, shopper.customer_id)
    assert [o.status for o in orders] == ([outcome] if outcome else [])
    on_hand, reserved = await shop.stock(sku)
    assert reserved == 0
    assert on_hand == (8 if outcome == "confirmed" else 10)
    assert all(o.allocated for o in orders if o.status == "confirmed")
    again = await sweep_once(shop.services.orders, now=utcnow() + LATER)
    assert not again.changed


async def test_cancel_after_a_crash_before_allocation_releases_the_hold(shop: Shop) -> None:
    sku, shopper = await crash_at(shop, "confirmed")
    [order] = await orders_of(shop.main_db, shopper.customer_id)
    await shop.services.orders.cancel(number=order.number, customer_id=shopper.customer_id,
                                      actor=shopper.customer_id)
    assert await shop.stock(sku) == (10, 0)
    report = await sweep_once(shop.services.orders, now=utcnow() + LATER)
    assert report.allocations_finished == [] and await shop.stock(sku) == (10, 0)


async def test_sweeper_returns_stock_a_crashed_cancel_left_allocated(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 2))
    number = (await shop.checkout(shopper)).order.number
    # The cancel's transition committed, then the process died before giving stock back.
    await transitions.move(shop.main_db, number=number, to="cancelled", actor="me",
                           reason="customer")
    assert await shop.stock(sku) == (8, 0)
    report = await sweep_once(shop.services.orders)
    assert report.returns_finished == [number]
    assert await shop.stock(sku) == (10, 0)
    assert not (await sweep_once(shop.services.orders)).changed  # given back once, not twice
    assert await shop.stock(sku) == (10, 0)


async def test_sweep_arguments_are_checked(shop: Shop) -> None:
    with pytest.raises(InvalidInput):
        await shop.services.orders.cancel_expired(now=utcnow().replace(tzinfo=None))
    with pytest.raises(InvalidInput):
        await shop.services.orders.finish_allocations(limit=0)


class FlakyInventory:
    """An inventory whose sweep step always fails, counting the attempts."""

    def __init__(self) -> None:
        self.calls = 0

    async def expire_reservations(self, **_: Any) -> list[str]:
        self.calls += 1
        raise RuntimeError("warehouse database down")


async def test_background_sweeper_survives_failures_until_cancelled() -> None:
    clock = FakeClock()
    inventory = FlakyInventory()
    orders = SimpleNamespace(peers=SimpleNamespace(inventory=inventory))
    task = asyncio.create_task(run_sweeper(cast(OrdersService, orders),
                                           Settings(sweep_interval_seconds=30), sleep=clock.sleep))
    await clock.sleepers(1)
    await clock.run_for(29)
    assert inventory.calls == 0  # the first round waits one interval
    await clock.run_for(1 + 30 + 30)
    assert inventory.calls == 3  # a loop that died on the first failure stops at 1
    assert clock.timers == [30]  # and it waits for the next round
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.timers == []
