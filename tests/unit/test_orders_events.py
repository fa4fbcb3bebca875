"""The orders service's events: each status an order reaches is one outbox row, written with
the change, and the embedded app's own relay publishes it to the in-process bus."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from orchid.kit.outbox import Event, MainOutbox
from orchid.services.orders.errors import PaymentDeclined
from tests.support.waiting import until_async
from tests.unit.orders_factories import (
    DECLINE_CARD,
    SUCCESS_CARD,
    Shop,
    add_product,
    drain_webhooks,
)

pytestmark = pytest.mark.events_relay  # the app publishes its outboxes, as `make run`'s does


@pytest.fixture
async def shop(app: FastAPI, api: httpx.AsyncClient) -> AsyncIterator[Shop]:
    opened = await Shop.open(app, api)
    yield opened
    await drain_webhooks(opened.services)


async def events_of(shop: Shop, number: str) -> list[MainOutbox]:
    async with shop.main_db.write() as session:
        return list((await session.execute(
            select(MainOutbox).where(MainOutbox.aggregate_id == number,
                                     MainOutbox.aggregate_type == "order")
            .order_by(MainOutbox.seq))).scalars())


async def test_a_cod_order_is_placed_then_confirmed_and_published_in_the_app(
        shop: Shop, app: FastAPI) -> None:
    received: list[Event] = []

    async def keep(event: Event) -> None:
        received.append(event)

    app.state.resources.bus.subscribe("orders", "test-orders", keep)
    sku = await add_product(shop.services, price=29_900, mrp=39_900)
    shopper = await shop.shopper_with((sku, 2))
    order = (await shop.checkout(shopper)).order

    async def published() -> bool:
        return len([e for e in received if e.aggregate_id == order.number]) == 2

    await until_async(published, timeout=10, what="the app's relay publishing both events")
    rows = await events_of(shop, order.number)
    assert [e.id for e in received] == [r.event_id for r in rows]
    assert [r.type for r in rows] == ["order.placed", "order.confirmed"]
    placed, confirmed = rows[0].payload, rows[1].payload
    assert placed["lines"] == [{"sku": sku, "quantity": 2, "unit_price_paise": 29_900}]
    assert (placed["total_paise"], placed["customer_id"], placed["payment_method"]) == (
        59_800, shopper.customer_id, "cod")
    assert (confirmed["from_status"], confirmed["status"], confirmed["reason"]) == (
        "pending_payment", "confirmed", "cod")
    assert "address" not in placed and "lines" not in confirmed
    assert all(r.aggregate_type == "order" and r.sent_at is not None for r in rows)


async def test_a_paid_card_order_is_paid_and_a_declined_one_cancelled(shop: Shop) -> None:
    sku = await add_product(shop.services)
    paid = (await shop.checkout(await shop.shopper_with((sku, 1)), payment=SUCCESS_CARD)).order
    await drain_webhooks(shop.services)
    assert [r.type for r in await events_of(shop, paid.number)] == ["order.placed",
                                                                   "order.paid"]
    declined_shopper = await shop.shopper_with((sku, 1))
    with pytest.raises(PaymentDeclined):
        await shop.checkout(declined_shopper, payment=DECLINE_CARD)
    async with shop.main_db.write() as session:
        types = list((await session.execute(
            select(MainOutbox.type).where(MainOutbox.payload["customer_id"].as_string()
                                          == declined_shopper.customer_id,
                                          MainOutbox.aggregate_type == "order")
            .order_by(MainOutbox.seq))).scalars())
    assert types == ["order.placed", "order.cancelled"]


async def test_every_staff_move_is_an_event(shop: Shop) -> None:
    sku = await add_product(shop.services)
    order = (await shop.checkout(await shop.shopper_with((sku, 1)))).order
    for status in ("packed", "shipped", "delivered"):
        await shop.services.orders.transition(number=order.number, to=status, actor="staff-1",
                                              reason="warehouse")
    assert [r.type for r in await events_of(shop, order.number)] == [
        "order.placed", "order.confirmed", "order.packed", "order.shipped", "order.delivered"]


async def test_payments_capture_fail_and_refund_are_events(shop: Shop) -> None:
    sku = await add_product(shop.services)
    paid = (await shop.checkout(await shop.shopper_with((sku, 1)), payment=SUCCESS_CARD)).order
    await drain_webhooks(shop.services)
    await shop.services.orders.cancel(number=paid.number, customer_id=None, actor="staff-1",
                                      reason="customer_request")
    await drain_webhooks(shop.services)
    declined = await shop.shopper_with((sku, 1))
    with pytest.raises(PaymentDeclined):
        await shop.checkout(declined, payment=DECLINE_CARD)
    async with shop.main_db.write() as session:
        rows = list((await session.execute(
            select(MainOutbox).where(MainOutbox.aggregate_type == "payment")
            .order_by(MainOutbox.seq))).scalars())
    mine = [r for r in rows if r.aggregate_id == paid.number]
    assert [r.type for r in mine] == ["payment.captured", "payment.refunded"]
    assert mine[0].payload["status"] == "succeeded"
    refunded = mine[1].payload
    assert refunded["refund_paise"] == refunded["amount_paise"] == paid.total_paise
    assert refunded["refund_id"].startswith("re_") and "status" not in refunded
    failed = [r for r in rows if r.payload["customer_id"] == declined.customer_id]
    assert [(r.type, r.payload["failure_code"]) for r in failed] == [
        ("payment.failed", "card_declined")]
