"""order-notifications: tells the customer by email and SMS when their order is paid,
confirmed (cash on delivery), shipped or delivered.

The event carries the order's number, status, payment method, total and the customer's public
id — never contact details — so the function reads the customer's email and phone from the
accounts service, renders the status's wording (templates/order_status.*), and sends: email
when the customer has an address, SMS when they have a phone, neither when they have no
account any more. Logs name the order and the channels, never an address or a phone number.

Once per event and channel: each send runs inside a main-DB transaction that first records the
event under `order-notifications:<channel>` (kit/inbox.first_time) and commits only after the
mail server or SMS gateway accepted the message. So:
- a redelivered event finds the record and sends nothing;
- a concurrent twin waits on the record's unique key, then finds it (or fails and is retried);
- a send that fails rolls the record back, so the bus's retry sends it;
- the one window: a crash (or a failed commit) after the provider accepted the message and
  before the commit sends that channel again on redelivery — at least once, deduplicated
  everywhere else. Email and SMS are recorded apart, so an SMS failure never repeats the email.
The price is a main-DB transaction held open for one send (the mailer's and gateway's timeouts
bound it; the embedded in-memory senders return at once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import functions_framework.aio
import structlog
from cloudevents.http import CloudEvent
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from orchid.functions.runtime import (
    FunctionContext,
    FunctionSpec,
    Trigger,
    context,
    event_of,
    mailer_of,
)
from orchid.kit.db import Database
from orchid.kit.errors import NotFound
from orchid.kit.inbox import first_time
from orchid.kit.money import group_indian
from orchid.kit.outbox import Event
from orchid.services import MAIN_DB
from orchid.services.accounts.sms import SmsSender, sms_sender

SPEC = FunctionSpec(
    "order-notifications",
    triggers=(Trigger("orders", ("order.paid", "order.confirmed", "order.shipped",
                                 "order.delivered")),),
    callers=("orders",),
    stores=frozenset({MAIN_DB}),
)
TEMPLATES = Path(__file__).parent / "templates"
log = structlog.get_logger("orchid.functions.order_notifications")


@dataclass(frozen=True)
class Wording:
    """What one status says."""

    subject: str  # with {number}
    lead: str
    amount_label: str
    next: str
    sms: str


ON_DELIVERY = "To pay on delivery"
WORDING: dict[str, Wording] = {
    "order.paid": Wording(
        "Payment received for order {number}",
        "We have received your payment and your order is confirmed.", "Paid",
        "We will let you know as soon as it ships.",
        "payment received, your order is confirmed."),
    "order.confirmed": Wording(
        "Order {number} confirmed",
        "Your order is confirmed.", "Total",
        "We will let you know as soon as it ships.",
        "your order is confirmed."),
    "order.shipped": Wording(
        "Order {number} has shipped",
        "Good news: your order is on its way.", "Total",
        "It should reach you in a few days.",
        "your order has shipped."),
    "order.delivered": Wording(
        "Order {number} delivered",
        "Your order has been delivered. We hope you love it.", "Total",
        "If anything is not right, you can ask for a return from your orders page.",
        "your order has been delivered."),
}
COD_NEXT = "Please keep the amount ready for the delivery partner."


@dataclass(frozen=True)
class Notice:
    """One event's messages: the email's subject, text and HTML, and the SMS."""

    subject: str
    text: str
    html: str
    sms: str


def rupees(paise: int, currency: str = "INR") -> str:
    """Format integer paise with two decimals, Indian grouping for rupees: ₹1,29,999.00."""
    sign, paise = ("-", -paise) if paise < 0 else ("", paise)
    whole, rest = divmod(paise, 100)
    if currency == "INR":
        return f"{sign}₹{group_indian(whole)}.{rest:02d}"
    return f"{sign}{currency} {whole:,}.{rest:02d}"


@cache
def templates() -> Environment:
    """The notification templates (HTML ones autoescaped)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"]), keep_trailing_newline=True)
    env.filters["rupees"] = rupees
    return env


def render(event_type: str, payload: dict[str, Any], *, name: str | None) -> Notice:
    """The messages telling a customer called `name` about an order event."""
    base = WORDING[event_type]
    cod = payload.get("payment_method") == "cod" and event_type != "order.delivered"
    wording = Wording(base.subject, base.lead, ON_DELIVERY if cod else base.amount_label,
                      f"{base.next} {COD_NEXT}" if cod else base.next, base.sms)
    number = str(payload["number"])
    subject = wording.subject.format(number=number)
    values = {"greeting": f"Hi {name}," if name else "Hello,", "wording": wording,
              "number": number, "total": int(payload["total_paise"]),
              "currency": str(payload.get("currency") or "INR"), "subject": subject}
    env = templates()
    return Notice(subject=subject,
                  text=env.get_template("order_status.txt").render(values),
                  html=env.get_template("order_status.html").render(values),
                  sms=env.get_template("order_status.sms.txt").render(values).strip())


async def once(db: Database, subscription: str, event: Event,
               send: Callable[[], Awaitable[None]]) -> bool:
    """Send unless `subscription` already recorded `event`; the record commits after the send."""
    async with db.write() as session:
        if not await first_time(session, subscription, event):
            return False
        await send()
    return True


def sms_of(ctx: FunctionContext) -> SmsSender:
    """The host's SMS sender (the accounts' gateway settings)."""
    return ctx.shared("sms", lambda: sms_sender(ctx.resources.settings, http=ctx.resources.http))


@functions_framework.aio.cloud_event
async def handle(cloud_event: CloudEvent) -> None:
    event = event_of(cloud_event)
    if event.type not in WORDING:
        return  # a direct call with another event: nothing to say
    ctx = context()
    number = str(event.payload["number"])
    try:
        customer = await ctx.services.accounts.get_profile(
            customer_id=str(event.payload["customer_id"]))
    except NotFound:
        log.warning("order_notice_no_customer", order=number, event_type=event.type)
        return
    notice = render(event.type, event.payload, name=customer.name)
    db, sent = ctx.resources.main_db, []
    if customer.email:
        mail, email = mailer_of(ctx), customer.email
        if await once(db, f"{SPEC.name}:email", event, lambda: mail.send(
                to=email, subject=notice.subject, text=notice.text, html=notice.html)):
            sent.append("email")
    if customer.phone:
        sms, phone = sms_of(ctx), customer.phone
        if await once(db, f"{SPEC.name}:sms", event,
                      lambda: sms.send(phone=phone, text=notice.sms)):
            sent.append("sms")
    if not (customer.email or customer.phone):
        log.warning("order_notice_unreachable", order=number, event_type=event.type)
    log.info("order_notified", order=number, event_type=event.type, channels=sent)
