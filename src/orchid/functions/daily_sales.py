"""daily-sales: adds each accepted order to `sales_daily` (functions/reporting.py) on the IST
day it was accepted, and each reversal of an accepted order on the IST day it happened.

Counting rules (states.py allows one move into `confirmed`, from `pending_payment`, so each
order is accepted at most once and reversed at most once):
- accepted: `order.paid` (a card payment confirmed it) or `order.confirmed` (cash on delivery)
  — an order emits one of the two, never both → orders, units, revenue_paise;
- reversed: `order.cancelled` from a status after acceptance, or `order.refunded` (after a
  return) → reversed_orders, reversed_units, reversed_paise, on the reversal's own day: days
  already reported are never rewritten, and net = revenue − reversed. A cancellation while the
  order still awaited payment was never a sale and changes nothing.
- revenue is the lines' GST-inclusive selling price (line_total_paise), without shipping;
  `orders` counts an order once, in the row of its largest line, so any sum of rows has the
  right number of orders (all of an order's lines share its day, city and payment method).

What is counted comes from the services, not the payload: the order's lines and address
snapshot (`orders.get_order`; the payload never carries the address) and each SKU's category
(`catalog.get_variants`) and brand (`catalog.get_product`, published products only — "unknown"
otherwise, as for a SKU the catalog no longer has). The catalog is read when the event is
handled, so a product moved to another category since counts under the new one.

Idempotent: `first_time` records the event in the transaction of the increment, so a
redelivery changes nothing; a read that fails (a replica without the order yet) raises and
the delivery is retried with nothing written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import functions_framework.aio
from cloudevents.http import CloudEvent

from orchid.functions.reporting import CITY_LENGTH, Key, Tally, add_up, ist_day
from orchid.functions.runtime import FunctionContext, FunctionSpec, Trigger, context, event_of
from orchid.kit.db import Database, DatabaseBusy
from orchid.kit.errors import NotFound
from orchid.kit.inbox import first_time
from orchid.kit.outbox import Event
from orchid.services import MAIN_DB
from orchid.services.catalog.errors import ProductNotFound
from orchid.services.catalog.schemas import ProductRead, VariantRead
from orchid.services.orders.events import EVENT_OF_STATUS, PAID
from orchid.services.orders.schemas import OrderLineRead, OrderRead

ACCEPTED = frozenset({PAID, EVENT_OF_STATUS["confirmed"]})
CANCELLED, REFUNDED = EVENT_OF_STATUS["cancelled"], EVENT_OF_STATUS["refunded"]
SPEC = FunctionSpec(
    "daily-sales",
    triggers=(Trigger("orders", (*sorted(ACCEPTED), CANCELLED, REFUNDED)),),
    stores=frozenset({MAIN_DB}),  # sales_daily and processed_events
)
UNKNOWN = "unknown"
WRITE_ATTEMPTS = 3  # a deadlock between two upserts rolls one back whole: run it again


@dataclass(frozen=True)
class Attribution:
    """Where a SKU's sales are reported: its category's slug and its brand's slug."""

    category: str = UNKNOWN
    brand: str = UNKNOWN


def effect(event: Event) -> str | None:
    """Whether the event is a sale, a reversal, or (None) changes no sales."""
    if event.type in ACCEPTED:
        return "sale"
    if event.type == REFUNDED:
        return "reversal"
    if event.type == CANCELLED and event.payload.get("from_status") not in (
            None, "pending_payment"):
        return "reversal"
    return None


def city_of(order: OrderRead) -> str:
    """The delivery city as one spelling: spaces collapsed, words capitalised."""
    return " ".join(order.address.city.split()).title()[:CITY_LENGTH]


class Catalog(Protocol):
    """The catalog methods the function reads."""

    async def get_variants(self, *, skus: list[str], fresh: bool = False) -> list[VariantRead]: ...
    async def get_product(self, *, slug: str) -> ProductRead: ...


async def attributions(catalog: Catalog,
                       lines: Iterable[OrderLineRead]) -> dict[str, Attribution]:
    """Each SKU's category and brand, as the catalog says now."""
    variants = await catalog.get_variants(skus=sorted({line.sku for line in lines}))
    slugs = sorted({v.product_slug for v in variants})

    async def brand(slug: str) -> str:
        try:
            return (await catalog.get_product(slug=slug)).brand.slug
        except NotFound as error:  # unpublished since (remote: rebuilt as NotFound, same code)
            if error.code != ProductNotFound.code:
                raise
            return UNKNOWN

    brands = dict(zip(slugs, await asyncio.gather(*(brand(s) for s in slugs)), strict=True))
    return {v.sku: Attribution(category=v.category_path[-1] if v.category_path else UNKNOWN,
                               brand=brands[v.product_slug]) for v in variants}


def tallies(order: OrderRead, where: Mapping[str, Attribution], *, event: Event,
            reversal: bool) -> dict[Key, Tally]:
    """What the event adds to each row: the order's lines summed per category and brand."""
    rows: dict[Key, Tally] = {}
    for line in order.lines:
        at = where.get(line.sku, Attribution())
        key = Key(ist_day(event.occurred_at), at.category, at.brand, city_of(order),
                  order.payment_method)
        tally = rows.setdefault(key, Tally())
        if reversal:
            tally.reversed_units += line.quantity
            tally.reversed_paise += line.line_total_paise
        else:
            tally.units += line.quantity
            tally.revenue_paise += line.line_total_paise
    if rows:
        lead = min(rows, key=lambda k: (-(rows[k].revenue_paise + rows[k].reversed_paise), k))
        if reversal:
            rows[lead].reversed_orders = 1
        else:
            rows[lead].orders = 1
    return rows


async def count(ctx: FunctionContext, event: Event) -> bool:
    """Apply one order event to the daily sales; False when it changes nothing."""
    kind = effect(event)
    if kind is None:
        return False
    order: OrderRead = await ctx.services.orders.get_order(number=event.aggregate_id)
    rows = tallies(order, await attributions(ctx.services.catalog, order.lines), event=event,
                   reversal=kind == "reversal")
    return await record(ctx.resources.main_db, event, rows, now=ctx.clock())


async def record(db: Database, event: Event, rows: Mapping[Key, Tally], *,
                 now: datetime) -> bool:
    """Add `rows` for `event` unless it was applied before; False when it was."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            async with db.write() as session:
                if not await first_time(session, SPEC.name, event):
                    return False
                await add_up(session, rows, now=now)
            return True
        except DatabaseBusy:
            if attempt == WRITE_ATTEMPTS:
                raise  # the delivery is retried later
    raise AssertionError("unreachable")  # pragma: no cover


@functions_framework.aio.cloud_event
async def handle(cloud_event: CloudEvent) -> None:
    await count(context(), event_of(cloud_event))
