"""abandoned-cart: emails a signed-in customer who said yes to cart reminders when their cart
has sat unchanged for a while (by default 4 to 48 hours), listing what is in it.

No event triggers it: the scheduler calls it over HTTP (its service account's identity token;
`client.scheduled("abandoned-cart", at, {...})`), say hourly. The job's body may set the window
and the shop's address: {"min_idle_hours": 4, "max_idle_hours": 48, "shop_url": "https://…"}.

- The carts come from the cart service's activity index (sorted by last change), never from a
  scan of every cart; guest carts are not in it. Accounts says who consented, on the primary.
- Quiet hours: nothing is sent from 21:00 to 09:00 IST; the first call after 09:00 sends what
  waited (the window is wider than the night).
- Once per idle period: each send runs in a main-DB transaction that first records the cart
  and its last change (kit/inbox.first_time, under "abandoned-cart") and commits after the mail
  server took the message. A retried call (same CloudEvent id) or the next hour's finds the
  record and sends nothing; a cart changed after its reminder has a new last change, so it is
  reminded again once idle again. A failed send rolls its record back and fails the call, so
  the scheduler's retry sends it. The one window, as in order-notifications: a crash between
  the server's accepting and the commit sends that reminder again.
- Carts idle past the window are dropped from the index at the end of a run.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any, Self

import functions_framework.aio
import structlog
from cloudevents.http import CloudEvent
from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchid.functions.runtime import FunctionContext, FunctionSpec, context, mailer_of
from orchid.kit.inbox import first_time
from orchid.kit.outbox import Event
from orchid.services import MAIN_DB, REDIS
from orchid.services.cart.pricing import describe
from orchid.services.cart.schemas import IdleCart

SPEC = FunctionSpec("abandoned-cart", callers=("scheduler",),
                    stores=frozenset({MAIN_DB, REDIS}))
PURPOSE = "cart_reminders"  # the consent asked for (accounts)
IST = timezone(timedelta(hours=5, minutes=30), "IST")  # India has one zone and no DST
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(9, 0)
PAGE = 200  # idle carts per round (one consent query each)
MAX_ITEMS = 10  # lines named in the email; the rest are counted
# The records' ids: uuid5 of the cart id and its last change, which fits event_id (36).
PERIODS = uuid.uuid5(uuid.NAMESPACE_URL, "https://orchid.example/functions/abandoned-cart")
log = structlog.get_logger("orchid.functions.abandoned_cart")


class Run(BaseModel):
    """The scheduler job's body: which carts count as abandoned, and the shop's address."""

    model_config = ConfigDict(extra="forbid")

    min_idle_hours: float = Field(4, gt=0)
    max_idle_hours: float = Field(48, gt=0, le=24 * 30)
    shop_url: str = Field("https://orchid.example", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")

    @model_validator(mode="after")
    def _a_window(self) -> Self:
        if self.min_idle_hours >= self.max_idle_hours:
            raise ValueError("min_idle_hours must be below max_idle_hours")
        return self


@dataclass(frozen=True)
class Reminder:
    """The email: a subject without prices, and the lines in text and HTML."""

    subject: str
    text: str
    html: str


def is_quiet(moment: datetime) -> bool:
    """True from 21:00 to 09:00 in India, when no reminder goes out."""
    local = moment.astimezone(IST).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def render(*, name: str, items: list[tuple[str, int]], shop_url: str) -> Reminder:
    """The reminder to a customer called `name` about `items` (label, quantity)."""
    link = f"{shop_url.rstrip('/')}/cart"
    shown, more = items[:MAX_ITEMS], len(items) - MAX_ITEMS
    greeting = f"Hi {name}," if name else "Hello,"
    lines = [f"  - {label} × {quantity}" for label, quantity in shown]
    if more > 0:
        lines.append(f"  … and {more} more")
    closing = ("Items in your bag are not reserved for you, and stock runs out.\n\n"
               "You get this email because you turned on cart reminders; you can turn them off "
               "in your account at any time.")
    text = "\n".join([greeting, "", "You left these in your Orchid bag:", "", *lines, "",
                      f"Your bag: {link}", "", closing, ""])
    items_html = "".join(f"<li>{html.escape(label)} × {quantity}</li>"
                         for label, quantity in shown)
    if more > 0:
        items_html += f"<li>… and {more} more</li>"
    body = (f"<p>{html.escape(greeting)}</p><p>You left these in your Orchid bag:</p>"
            f"<ul>{items_html}</ul>"
            f'<p><a href="{html.escape(link, quote=True)}">Go to your bag</a></p>'
            + "".join(f"<p>{html.escape(part)}</p>" for part in closing.split("\n\n")))
    return Reminder(subject="You left something in your bag", text=text, html=body)


def idle_period(cart: IdleCart) -> Event:
    """The record of one idle period of a cart: the cart as of its last change."""
    key = f"{cart.cart_id}@{cart.changed_at.isoformat()}"
    return Event("cart.idle", "cart", cart.cart_id, {}, cart.changed_at,
                 id=str(uuid.uuid5(PERIODS, key)))


async def remind_one(ctx: FunctionContext, cart: IdleCart, *, email: str, name: str,
                     shop_url: str) -> bool:
    """Send the reminder of this idle period unless it was sent; True when sent now."""
    services = ctx.services
    async with ctx.resources.main_db.write() as session:
        if not await first_time(session, SPEC.name, idle_period(cart)):
            return False
        lines = await services.cart.get_lines(cart_id=cart.cart_id)
        if not lines:
            return False  # emptied since it was listed
        variants = {v.sku: v for v in await services.catalog.get_variants(
            skus=[line.sku for line in lines])}
        items = [(describe(variants[line.sku]) if line.sku in variants else line.sku,
                  line.quantity) for line in lines]
        reminder = render(name=name, items=items, shop_url=shop_url)
        await mailer_of(ctx).send(to=email, subject=reminder.subject, text=reminder.text,
                                  html=reminder.html)
    return True


async def remind(ctx: FunctionContext, run: Run, *, now: datetime) -> int:
    """Remind the consenting customers whose carts are idle in the window; return how many."""
    since = now - timedelta(hours=run.max_idle_hours)
    until = now - timedelta(hours=run.min_idle_hours)
    services, offset, sent = ctx.services, 0, 0
    while True:
        # Offsets can shift when a cart changes meanwhile; one missed now is seen next hour.
        page: list[IdleCart] = await services.cart.list_idle(
            changed_after=since, changed_before=until, offset=offset, limit=PAGE)
        offset += len(page)
        consenting = {c.public_id: c for c in await services.accounts.list_consenting(
            purpose=PURPOSE, customer_ids=[cart.customer_id for cart in page])}
        for cart in page:
            customer = consenting.get(cart.customer_id)
            if customer is not None and customer.email and await remind_one(
                    ctx, cart, email=customer.email, name=customer.name,
                    shop_url=run.shop_url):
                sent += 1
        if len(page) < PAGE:
            break
    await services.cart.forget_idle(changed_before=since - timedelta(seconds=1))
    return sent


@functions_framework.aio.cloud_event
async def handle(cloud_event: CloudEvent) -> None:
    data: Any = cloud_event.get_data()
    run = Run.model_validate(data or {})
    ctx = context()
    now = ctx.clock()
    if is_quiet(now):
        log.info("cart_reminders_quiet_hours", call=cloud_event["id"])
        return
    sent = await remind(ctx, run, now=now)
    log.info("cart_reminders_sent", call=cloud_event["id"], sent=sent)
