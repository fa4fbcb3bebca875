"""daily-sales on the embedded app: orders from real checkouts, their outbox events delivered
to the function as Eventarc would (runtime.delivery), the rows it keeps, the report and its CLI.

The app's relay is off (conftest), so nothing but these tests delivers the events."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import astuple, replace
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from typer.testing import CliRunner

from orchid.functions import daily_sales
from orchid.functions.reporting import (
    Key,
    SalesDaily,
    SalesLine,
    Tally,
    add_up,
    ist_day,
    sales_report,
)
from orchid.functions.reports_cli import app as reports_app
from orchid.functions.runtime import FunctionContext, delivery, hosting, load
from orchid.kit.db import Database
from orchid.kit.errors import Conflict
from orchid.kit.inbox import ProcessedEvent
from orchid.kit.orm import MainBase
from orchid.kit.outbox import Event, MainOutbox
from orchid.services.catalog.schemas import BrandCreate
from orchid.services.orders.errors import PaymentDeclined
from orchid.services.registry import Services
from tests.support.migrations import schema_differences
from tests.unit.catalog_factories import product_create
from tests.unit.orders_factories import (
    DECLINE_CARD,
    SUCCESS_CARD,
    WAREHOUSE,
    Shop,
    add_product,
    drain_webhooks,
    orders_of,
    services_of,
)

Counts = tuple[int, int, int, int, int, int]  # orders, units, revenue, reversed ×3
FUNCTION = load("orchid.functions.daily_sales")
deliver = delivery(FUNCTION, daily_sales.SPEC.triggers[0])


@pytest.fixture
async def shop(app: FastAPI, api: httpx.AsyncClient) -> AsyncIterator[Shop]:
    opened = await Shop.open(app, api)
    yield opened
    await drain_webhooks(opened.services)


@pytest.fixture
async def ctx(app: FastAPI) -> AsyncIterator[FunctionContext]:
    """The functions' context on the app's resources and services, as the app hosts them."""
    async with hosting(FunctionContext(app.state.resources,
                                       services_of=lambda: services_of(app))) as hosted:
        yield hosted


async def add_tea(services: Services, *, price: int = 9_900) -> str:
    """A Himalaya herbal tea in stock; return its SKU."""
    try:
        await services.catalog.create_brand(data=BrandCreate(slug="himalaya", name="Himalaya"))
    except Conflict:
        pass  # made by an earlier call
    slug = f"tulsi-tea-{uuid.uuid4().hex[:8]}"
    await services.catalog.create_product(data=product_create(
        slug, brand="himalaya", category="herbal-teas", prices=[(price, price)]))
    await services.inventory.restock(warehouse_code=WAREHOUSE, sku=f"{slug.upper()}-1",
                                     quantity=10, actor="test", note="opening stock")
    return f"{slug.upper()}-1"


async def events_of(shop: Shop, number: str) -> list[Event]:
    async with shop.main_db.write() as session:
        rows = (await session.scalars(select(MainOutbox).where(
            MainOutbox.aggregate_type == "order", MainOutbox.aggregate_id == number)
            .order_by(MainOutbox.seq))).all()
    return [row.event() for row in rows]


async def deliver_all(events: Iterable[Event]) -> None:
    for event in events:
        await deliver(event)


async def sales(db: Database) -> dict[Key, Counts]:
    async with db.write() as session:
        rows = (await session.scalars(select(SalesDaily))).all()
    return {Key(r.day, r.category, r.brand, r.city, r.payment_method):
            (r.orders, r.units, r.revenue_paise, r.reversed_orders, r.reversed_units,
             r.reversed_paise) for r in rows}


async def cod_order(shop: Shop, *lines: tuple[str, int]) -> str:
    return (await shop.checkout(await shop.shopper_with(*lines))).order.number


async def test_a_paid_order_is_one_row_per_category_and_brand(shop: Shop,
                                                              ctx: FunctionContext) -> None:
    kajal = await add_product(shop.services, price=29_900)
    other_kajal = await add_product(shop.services, price=19_900, mrp=24_900)
    tea = await add_tea(shop.services, price=9_900)
    shopper = await shop.shopper_with((kajal, 2), (other_kajal, 1), (tea, 3))
    number = (await shop.checkout(shopper, payment=SUCCESS_CARD)).order.number
    await drain_webhooks(shop.services)
    placed, paid = await events_of(shop, number)
    assert (placed.type, paid.type) == ("order.placed", "order.paid")

    await deliver_all([placed, paid])

    day = ist_day(paid.occurred_at)
    assert await sales(shop.main_db) == {
        # The order is counted once, in the row of its largest share (₹797 against ₹297).
        Key(day, "kajal", "lakme", "Bengaluru", "card"): (1, 3, 79_700, 0, 0, 0),
        Key(day, "herbal-teas", "himalaya", "Bengaluru", "card"): (0, 3, 29_700, 0, 0, 0)}


async def test_an_event_delivered_again_is_counted_once(shop: Shop,
                                                        ctx: FunctionContext) -> None:
    number = await cod_order(shop, (await add_product(shop.services, price=29_900), 1))
    confirmed = (await events_of(shop, number))[-1]
    assert await daily_sales.count(ctx, confirmed)
    once = await sales(shop.main_db)

    assert not await daily_sales.count(ctx, confirmed)
    await asyncio.gather(deliver(confirmed), deliver(confirmed))

    assert await sales(shop.main_db) == once
    assert list(once.values()) == [(1, 1, 29_900, 0, 0, 0)]
    async with shop.main_db.write() as session:
        recorded = await session.scalar(select(func.count()).select_from(ProcessedEvent).where(
            ProcessedEvent.subscription == "daily-sales",
            ProcessedEvent.event_id == confirmed.id))
    assert recorded == 1


async def test_a_cod_order_counts_on_confirmation_not_on_placing(
        shop: Shop, ctx: FunctionContext) -> None:
    number = await cod_order(shop, (await add_product(shop.services, price=24_900), 2))
    placed, confirmed = await events_of(shop, number)
    assert confirmed.type == "order.confirmed"

    await deliver(placed)
    assert await sales(shop.main_db) == {}
    await deliver(confirmed)

    day = ist_day(confirmed.occurred_at)
    assert await sales(shop.main_db) == {
        Key(day, "kajal", "lakme", "Bengaluru", "cod"): (1, 2, 49_800, 0, 0, 0)}


async def test_a_cancellation_after_acceptance_is_a_reversal_before_it_nothing(
        shop: Shop, ctx: FunctionContext) -> None:
    sku = await add_product(shop.services, price=29_900)
    number = await cod_order(shop, (sku, 1))
    await shop.services.orders.cancel(number=number, customer_id=None, actor="staff-1",
                                      reason="customer_request")
    declined = await shop.shopper_with((sku, 1))
    with pytest.raises(PaymentDeclined):
        await shop.checkout(declined, payment=DECLINE_CARD)
    [unpaid] = await orders_of(shop.main_db, declined.customer_id)
    events, never_paid = await events_of(shop, number), await events_of(shop, unpaid.number)
    assert [e.type for e in events] == ["order.placed", "order.confirmed", "order.cancelled"]
    assert [e.type for e in never_paid] == ["order.placed", "order.cancelled"]

    await deliver_all([*events, *never_paid])

    day = ist_day(events[-1].occurred_at)
    assert ist_day(events[1].occurred_at) == day
    assert await sales(shop.main_db) == {
        Key(day, "kajal", "lakme", "Bengaluru", "cod"): (1, 1, 29_900, 1, 1, 29_900)}


async def test_events_out_of_order_and_twice_end_in_the_same_rows(
        shop: Shop, ctx: FunctionContext) -> None:
    """Pub/Sub orders one aggregate's events, not different orders': a cancellation may be
    handled before its order's confirmation, and anything may come twice."""
    sku = await add_product(shop.services, price=29_900)
    kept, cancelled = await cod_order(shop, (sku, 1)), await cod_order(shop, (sku, 2))
    await shop.services.orders.cancel(number=cancelled, customer_id=None, actor="staff-1",
                                      reason="customer_request")
    first, second = await events_of(shop, kept), await events_of(shop, cancelled)

    await deliver_all([*reversed(second), *first, *second, *reversed(first)])

    day = ist_day(second[-1].occurred_at)
    assert await sales(shop.main_db) == {
        Key(day, "kajal", "lakme", "Bengaluru", "cod"): (2, 3, 89_700, 1, 2, 59_800)}


async def test_a_refund_after_a_return_is_a_reversal_on_its_own_day(
        shop: Shop, ctx: FunctionContext) -> None:
    number = await cod_order(shop, (await add_product(shop.services, price=29_900), 2))
    for status in ("packed", "shipped", "delivered", "returned", "refunded"):
        await shop.services.orders.transition(number=number, to=status, actor="staff-1",
                                              reason="warehouse")
    events = await events_of(shop, number)
    confirmed, refunded = events[1], events[-1]
    assert (confirmed.type, refunded.type) == ("order.confirmed", "order.refunded")
    # The refund comes a week later, on 3 May (IST): that day shows it, the sale's day does not
    # change.
    refunded = replace(refunded, occurred_at=datetime(2025, 5, 3, 6, 0, tzinfo=UTC))

    await deliver_all([*events[:-1], refunded])

    assert await sales(shop.main_db) == {
        Key(ist_day(confirmed.occurred_at), "kajal", "lakme", "Bengaluru", "cod"):
            (1, 2, 59_800, 0, 0, 0),
        Key(date(2025, 5, 3), "kajal", "lakme", "Bengaluru", "cod"): (0, 0, 0, 1, 2, 59_800)}


async def test_the_day_is_the_ist_day_of_the_event(shop: Shop, ctx: FunctionContext) -> None:
    sku = await add_product(shop.services, price=29_900)
    late_evening = (await events_of(shop, await cod_order(shop, (sku, 1))))[-1]
    just_before_midnight = (await events_of(shop, await cod_order(shop, (sku, 1))))[-1]

    # 20:00 UTC is 01:30 IST the next day; 18:29:59 UTC is 23:59:59 IST the same day.
    await deliver(replace(late_evening, occurred_at=datetime(2025, 3, 31, 20, 0, tzinfo=UTC)))
    await deliver(replace(just_before_midnight,
                          occurred_at=datetime(2025, 3, 31, 18, 29, 59, tzinfo=UTC)))

    assert await sales(shop.main_db) == {
        Key(date(2025, 4, 1), "kajal", "lakme", "Bengaluru", "cod"): (1, 1, 29_900, 0, 0, 0),
        Key(date(2025, 3, 31), "kajal", "lakme", "Bengaluru", "cod"): (1, 1, 29_900, 0, 0, 0)}


def test_ist_day_turns_at_1830_utc_and_refuses_naive_times() -> None:
    assert ist_day(datetime(2025, 3, 31, 18, 29, 59, 999_999, tzinfo=UTC)) == date(2025, 3, 31)
    assert ist_day(datetime(2025, 3, 31, 18, 30, tzinfo=UTC)) == date(2025, 4, 1)
    with pytest.raises(ValueError, match="naive"):
        ist_day(datetime(2025, 3, 31, 20, 0))


async def test_a_product_unpublished_since_the_sale_counts_under_an_unknown_brand(
        shop: Shop, ctx: FunctionContext) -> None:
    sku = await add_product(shop.services, price=29_900)
    confirmed = (await events_of(shop, await cod_order(shop, (sku, 1))))[-1]
    await shop.services.catalog.set_published(slug=sku.removesuffix("-1").lower(),
                                              published=False)

    await deliver(confirmed)

    assert list(await sales(shop.main_db)) == [
        Key(ist_day(confirmed.occurred_at), "kajal", "unknown", "Bengaluru", "cod")]


async def test_the_report_sums_the_days_by_any_dimension(db: Database) -> None:
    april = [date(2025, 4, 1), date(2025, 4, 2), date(2025, 4, 3)]
    tallies = {
        Key(april[0], "kajal", "lakme", "Bengaluru", "cod"): Tally(1, 2, 59_800),
        Key(april[0], "herbal-teas", "himalaya", "Bengaluru", "cod"): Tally(0, 1, 9_900),
        Key(april[1], "kajal", "lakme", "Pune", "card"): Tally(1, 1, 29_900, 1, 1, 29_900),
        Key(april[2], "kajal", "lakme", "Pune", "card"): Tally(5, 5, 149_500),  # outside
    }
    async with db.write() as session:
        await add_up(session, tallies, now=datetime.now(UTC))
        await add_up(session, {Key(april[0], "kajal", "lakme", "Bengaluru", "cod"):
                               Tally(1, 1, 29_900)}, now=datetime.now(UTC))

    def sums(lines: list[SalesLine]) -> list[tuple[object, ...]]:
        return [astuple(line) for line in lines]

    days = await sales_report(db, since=april[0], until=april[1])
    assert sums(days) == [("2025-04-01", 2, 4, 99_600, 0, 0, 0),
                          ("2025-04-02", 1, 1, 29_900, 1, 1, 29_900)]
    assert [line.net_paise for line in days] == [99_600, 0]
    by_brand = await sales_report(db, since=april[0], until=april[1], by="brand")
    assert sums(by_brand) == [("lakme", 3, 4, 119_600, 1, 1, 29_900),
                              ("himalaya", 0, 1, 9_900, 0, 0, 0)]
    by_city = await sales_report(db, since=april[0], until=april[2], by="city")
    assert [(line.key, line.orders) for line in by_city] == [("Pune", 6), ("Bengaluru", 2)]
    with pytest.raises(ValueError, match="after"):
        await sales_report(db, since=april[1], until=april[0])


async def test_the_migration_makes_the_table_the_model_describes(db: Database) -> None:
    assert await schema_differences(db, MainBase.metadata, {SalesDaily.__tablename__}) == []


def test_the_cli_prints_the_report_as_json_and_as_a_table(data_dir: Path) -> None:
    async def fill() -> None:
        database = Database("main", f"sqlite+aiosqlite:///{data_dir / 'main.db'}")
        try:
            async with database.write() as session:
                await add_up(session, {
                    Key(date(2025, 4, 1), "kajal", "lakme", "Bengaluru", "cod"):
                        Tally(2, 3, 1_29_999_00),
                    Key(date(2025, 4, 1), "kajal", "lakme", "Pune", "card"):
                        Tally(1, 1, 29_950, 1, 1, 29_950)}, now=datetime.now(UTC))
        finally:
            await database.close()

    asyncio.run(fill())
    runner, env = CliRunner(), {"ORCHID_DATA_DIR": str(data_dir)}
    period = ["--from", "2025-04-01", "--to", "2025-04-30"]

    done = runner.invoke(reports_app, ["sales", *period, "--by", "city", "--json"], env=env)
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert (report["from"], report["to"], report["by"]) == ("2025-04-01", "2025-04-30", "city")
    assert [(line["key"], line["orders"], line["net_paise"]) for line in report["lines"]] == [
        ("Bengaluru", 2, 1_29_999_00), ("Pune", 1, 0)]

    done = runner.invoke(reports_app, ["sales", *period], env=env)
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        "day         orders  units       revenue  reversed        net",
        "2025-04-01       3      4  ₹1,30,298.50   ₹299.50  ₹1,29,999",
        "total            3      4  ₹1,30,298.50   ₹299.50  ₹1,29,999"]


def test_the_cli_refuses_a_backwards_period_and_an_unknown_dimension(data_dir: Path) -> None:
    runner, env = CliRunner(), {"ORCHID_DATA_DIR": str(data_dir)}
    backwards = runner.invoke(reports_app, ["sales", "--from", "2025-04-02", "--to",
                                            "2025-04-01"], env=env)
    assert backwards.exit_code == 2 and "after" in backwards.output
    unknown = runner.invoke(reports_app, ["sales", "--from", "2025-04-01", "--to",
                                          "2025-04-01", "--by", "pincode"], env=env)
    assert unknown.exit_code == 2
