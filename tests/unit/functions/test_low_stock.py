"""low-stock: one staff email when a SKU's availability at a warehouse crosses the line, none
while it stays low, once per event, and end to end from a stock adjustment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from orchid.functions import FUNCTION_MODULES
from orchid.functions.host import subscribe_in_process
from orchid.functions.low_stock import LOW_STOCK_AT, SPEC, alert, crossed
from orchid.functions.runtime import FunctionContext, cloud_event_of, context, hosting, load
from orchid.kit.mail import DevMailer
from orchid.kit.orm import utcnow
from orchid.kit.outbox import Event
from tests.support.waiting import until_async
from tests.unit.orders_factories import WAREHOUSE, Shop, add_product

STAFF = "stock-team@orchid.example"  # the settings' default staff_alerts_email
FUNCTION = load("orchid.functions.low_stock")  # as a host loads it


def stock_event(available: int, *, delta_on_hand: int = 0, delta_reserved: int = 0,
                kind: str = "adjust", sku: str = "KAJAL-1") -> Event:
    reserved = 2
    payload: dict[str, Any] = {
        "sku": sku, "warehouse_id": 3, "kind": kind, "on_hand": available + reserved,
        "reserved": reserved, "available": available, "delta_on_hand": delta_on_hand,
        "delta_reserved": delta_reserved}
    return Event(type="stock.changed", aggregate_type="stock", aggregate_id=f"{sku}@3",
                 payload=payload, occurred_at=utcnow())


async def deliver(event: Event) -> None:
    await FUNCTION.handle(cloud_event_of(event, topic="inventory", subscription=SPEC.name))


@pytest.fixture
async def mail(app: FastAPI) -> AsyncIterator[DevMailer]:
    """The mailer of a function host on the app's resources."""
    ctx = FunctionContext(app.state.resources, services_of=lambda: app.state.services)
    async with hosting(ctx):
        yield ctx.shared("mailer", DevMailer)


def test_only_a_change_from_above_the_line_to_at_or_below_it_crosses() -> None:
    assert LOW_STOCK_AT == 5
    assert crossed(stock_event(5, delta_on_hand=-1).payload)  # 6 → 5
    assert crossed(stock_event(0, delta_on_hand=-20).payload)  # 20 → 0
    assert crossed(stock_event(4, delta_reserved=3, kind="reserve").payload)  # 7 → 4
    assert not crossed(stock_event(6, delta_on_hand=-1).payload)  # 7 → 6: still above
    assert not crossed(stock_event(3, delta_on_hand=-1).payload)  # 4 → 3: already low
    assert not crossed(stock_event(9, delta_on_hand=5).payload)  # a restock
    # Allocating takes units from on hand and reserved alike: availability does not move.
    assert not crossed(stock_event(4, delta_on_hand=-3, delta_reserved=-3,
                                   kind="allocate").payload)


def test_the_alert_names_the_sku_the_warehouse_and_what_is_available() -> None:
    subject, text = alert(stock_event(4, delta_on_hand=-3).payload)
    assert subject == "Low stock: KAJAL-1 at warehouse 3 (4 left)"
    assert "KAJAL-1 at warehouse 3 is low: 4 available" in text
    assert "Before this change: 7 available. Now: 6 on hand, 2 reserved." in text


async def test_one_email_per_crossing_even_when_delivered_twice(mail: DevMailer) -> None:
    crossing = stock_event(5, delta_on_hand=-2)
    for event in (crossing, stock_event(4, delta_on_hand=-1), crossing):
        await deliver(event)
    assert [m.subject for m in mail.to(STAFF)] == ["Low stock: KAJAL-1 at warehouse 3 (5 left)"]
    # Restocked above the line and down again: a new crossing, a new email.
    await deliver(stock_event(10, delta_on_hand=6, kind="restock"))
    await deliver(stock_event(2, delta_on_hand=-8))
    assert [m.subject for m in mail.messages][-1] == "Low stock: KAJAL-1 at warehouse 3 (2 left)"
    assert len(mail.messages) == 2


@pytest.mark.events_relay
async def test_an_adjustment_below_the_line_emails_the_stock_team_through_the_bus(
        app: FastAPI, api: httpx.AsyncClient) -> None:
    if SPEC.name not in FUNCTION_MODULES:  # until the app hosts it, subscribe it here
        subscribe_in_process(app.state.resources.bus, [FUNCTION])
    mail = context().shared("mailer", DevMailer)  # the app's host: built on first use
    bus = app.state.resources.bus
    seen: list[int] = []

    async def watch(event: Event) -> None:
        if event.type == "stock.changed" and event.payload["sku"] == sku:
            seen.append(int(event.payload["available"]))

    bus.subscribe("inventory", "test-low-stock-watch", watch)
    shop = await Shop.open(app, api)
    sku = await add_product(shop.services, on_hand=10)
    for counted in (4, 3):  # 10 → 4 crosses the line; 4 → 3 stays below it
        await shop.services.inventory.adjust(warehouse_code=WAREHOUSE, sku=sku,
                                             on_hand=counted, actor="test", note="counted")

    async def published() -> bool:
        return seen == [10, 4, 3]

    await until_async(published, timeout=10, what="the three stock.changed events")
    await bus.drain()  # every subscription, low-stock's included, has handled them
    alerts = [m for m in mail.to(STAFF) if sku in m.subject]
    assert len(alerts) == 1 and alerts[0].subject.endswith("(4 left)")
    assert "Before this change: 10 available" in alerts[0].text
