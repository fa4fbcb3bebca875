"""order-notifications: the wording and amounts of each status, the channels a customer can be
reached on, once per event however often it arrives, and end to end from a real checkout."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from structlog.testing import capture_logs

from orchid.functions import FUNCTION_MODULES
from orchid.functions.host import subscribe_in_process
from orchid.functions.order_notifications import SPEC, render, rupees
from orchid.functions.runtime import (
    FunctionContext,
    cloud_event_of,
    context,
    hosting,
    load,
)
from orchid.kit.errors import Unavailable
from orchid.kit.mail import DevMailer
from orchid.kit.orm import utcnow
from orchid.kit.outbox import Event
from orchid.services.accounts.models import Customer
from orchid.services.accounts.sms import DevSmsSender
from tests.support.waiting import until_async
from tests.unit.orders_factories import Shop, add_product, drain_webhooks, fill_cart, sign_up

PASSWORD = "marigold-ledger-93"
PHONE = "+919812345678"
FUNCTION = load("orchid.functions.order_notifications")  # as a host loads it


class FlakyMailer(DevMailer):
    """A mailer whose server refuses the first `failures` messages."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def send(self, *, to: str, subject: str, text: str, html: str | None = None) -> None:
        if self.failures:
            self.failures -= 1
            raise Unavailable("refused", code="mail_unavailable")
        await super().send(to=to, subject=subject, text=text, html=html)


def order_event(customer_id: str, kind: str = "order.shipped", *, total: int = 129_900,
                method: str = "card", number: str = "OR-2026-000042") -> Event:
    payload = {"number": number, "customer_id": customer_id, "status": "shipped",
               "from_status": "packed", "reason": "shipped", "payment_method": method,
               "total_paise": total, "currency": "INR"}
    return Event(type=kind, aggregate_type="order", aggregate_id=number, payload=payload,
                 occurred_at=utcnow())


async def deliver(event: Event) -> None:
    await FUNCTION.handle(cloud_event_of(event, topic="orders", subscription=SPEC.name))


async def new_customer(app: FastAPI, *, email: bool = True, phone: bool = False) -> str:
    """A customer with an email address, a phone, or both; return their public id."""
    accounts = app.state.services.accounts
    if email:
        created = await accounts.create_user(email=f"asha-{uuid.uuid4().hex[:6]}@example.in",
                                             password=PASSWORD, name="Asha Rao",
                                             role="customer")
        public_id: str = created.public_id
        if phone:
            async with app.state.resources.main_db.write() as session:
                await session.execute(update(Customer).where(Customer.public_id == public_id)
                                      .values(phone=PHONE))
        return public_id
    await accounts.send_otp(phone=PHONE, client_ip="203.0.113.7")
    code = re.search(r"\b(\d{6})\b", accounts.sms.last_message(PHONE) or "")
    assert code is not None
    session = await accounts.verify_otp(phone=PHONE, code=code.group(1))
    return str(session.customer.public_id)


async def email_of(app: FastAPI, customer_id: str) -> str:
    profile = await app.state.services.accounts.get_profile(customer_id=customer_id)
    return str(profile.email)


@pytest.fixture
async def host(app: FastAPI) -> AsyncIterator[FunctionContext]:
    """A function host on the app's resources and services, with in-memory senders."""
    ctx = FunctionContext(app.state.resources, services_of=lambda: app.state.services)
    async with hosting(ctx):
        ctx.shared("mailer", DevMailer)
        ctx.shared("sms", DevSmsSender)
        yield ctx


def sent(host: FunctionContext) -> tuple[DevMailer, DevSmsSender]:
    return host.shared("mailer", DevMailer), host.shared("sms", DevSmsSender)


# -- rendering ---------------------------------------------------------------------------------


def test_amounts_are_rupees_with_paise_and_indian_grouping() -> None:
    assert rupees(129_900) == "₹1,299.00"
    assert rupees(12_999_950) == "₹1,29,999.50"
    assert rupees(5) == "₹0.05"
    assert rupees(-129_900) == "-₹1,299.00"
    assert rupees(129_900, "USD") == "USD 1,299.00"


def test_each_status_renders_its_own_wording_and_the_amount_in_every_part() -> None:
    payload = order_event("c1").payload
    notices = {kind: render(kind, payload, name="Asha") for kind in (
        "order.paid", "order.confirmed", "order.shipped", "order.delivered")}
    assert notices["order.paid"].subject == "Payment received for order OR-2026-000042"
    assert notices["order.shipped"].subject == "Order OR-2026-000042 has shipped"
    assert "on its way" in notices["order.shipped"].text
    assert "been delivered" in notices["order.delivered"].text
    assert len({n.text for n in notices.values()}) == 4
    for notice in notices.values():
        assert "₹1,299.00" in notice.text and "₹1,299.00" in notice.html
        assert "OR-2026-000042" in notice.sms and "₹1,299.00" in notice.sms
        assert notice.text.startswith("Hi Asha,")


def test_cash_on_delivery_asks_to_keep_the_amount_ready_until_delivered() -> None:
    cod = order_event("c1", "order.confirmed", method="cod").payload
    confirmed = render("order.confirmed", cod, name="")
    assert "To pay on delivery: ₹1,299.00" in confirmed.text
    assert confirmed.text.startswith("Hello,")
    assert "To pay on delivery" not in render("order.delivered", cod, name="").text


def test_the_html_escapes_what_the_customer_typed() -> None:
    notice = render("order.paid", order_event("c1").payload, name="<b>Asha</b>")
    assert "&lt;b&gt;Asha&lt;/b&gt;" in notice.html and "<b>Asha" not in notice.html


# -- channels and idempotency -------------------------------------------------------------------


async def test_the_same_event_delivered_twice_sends_one_email(
        app: FastAPI, host: FunctionContext) -> None:
    customer = await new_customer(app)
    event = order_event(customer)
    await deliver(event)
    await deliver(event)
    mail, sms = sent(host)
    to = await email_of(app, customer)
    assert [m.subject for m in mail.to(to)] == ["Order OR-2026-000042 has shipped"]
    assert "₹1,299.00" in mail.messages[0].text and mail.messages[0].html is not None
    assert sms.messages == {}  # no phone, no SMS


async def test_a_phone_only_customer_gets_an_sms_only(app: FastAPI,
                                                      host: FunctionContext) -> None:
    customer = await new_customer(app, email=False)
    await deliver(order_event(customer, "order.delivered"))
    mail, sms = sent(host)
    assert mail.messages == []
    assert sms.last_message(PHONE) == ("Orchid: your order has been delivered. "
                                       "Order OR-2026-000042, ₹1,299.00.")


async def test_email_and_sms_each_once_and_the_next_status_sends_again(
        app: FastAPI, host: FunctionContext) -> None:
    customer = await new_customer(app, phone=True)
    shipped = order_event(customer, "order.shipped")
    for event in (shipped, shipped, order_event(customer, "order.delivered"), shipped):
        await deliver(event)
    mail, sms = sent(host)
    assert [m.subject for m in mail.messages] == ["Order OR-2026-000042 has shipped",
                                                  "Order OR-2026-000042 delivered"]
    assert "delivered" in str(sms.last_message(PHONE))


async def test_a_refused_send_is_retried_by_the_next_delivery(app: FastAPI) -> None:
    customer = await new_customer(app)
    event = order_event(customer)
    flaky = FlakyMailer(failures=1)
    async with hosting(FunctionContext(app.state.resources,
                                       services_of=lambda: app.state.services)) as ctx:
        ctx.shared("mailer", lambda: flaky)
        with pytest.raises(Unavailable):
            await deliver(event)  # the bus counts a failed attempt and delivers it again
        assert flaky.messages == []
        await deliver(event)
        await deliver(event)
    assert [m.to for m in flaky.messages] == [await email_of(app, customer)]


async def test_unknown_customers_and_other_events_send_nothing_and_log_no_contact(
        app: FastAPI, host: FunctionContext) -> None:
    customer = await new_customer(app, phone=True)
    with capture_logs() as logs:
        await deliver(order_event("nobody-like-this"))
        await deliver(order_event(customer, "order.placed"))
        await deliver(order_event(customer, "order.paid"))
    mail, sms = sent(host)
    assert [m.subject for m in mail.messages] == ["Payment received for order OR-2026-000042"]
    mine = [e["event"] for e in logs if e["event"].startswith("order_")]
    assert mine == ["order_notice_no_customer", "order_notified"]
    address = await email_of(app, customer)
    # (the accounts' dev SMS sender logs what it "sends", by design: it is not ours)
    assert not any(address in str(e) or PHONE in str(e)
                   for e in logs if e["event"] != "sms_dev_send")


# -- end to end in the app ---------------------------------------------------------------------


@pytest.mark.events_relay
async def test_a_cod_checkout_emails_its_confirmation_through_the_bus(
        app: FastAPI, api: httpx.AsyncClient) -> None:
    if SPEC.name not in FUNCTION_MODULES:  # until the app hosts it, subscribe it here
        subscribe_in_process(app.state.resources.bus, [FUNCTION])
    mail = context().shared("mailer", DevMailer)  # the app's host: built on first use
    shop = await Shop.open(app, api)
    email = f"asha-{uuid.uuid4().hex[:8]}@example.in"
    shopper = await sign_up(api, email)
    sku = await add_product(shop.services, price=64_950, mrp=79_900)
    await fill_cart(shop.services, shopper, (sku, 2))
    order = (await shop.checkout(shopper)).order

    async def emailed() -> bool:
        return bool(mail.to(email))

    await until_async(emailed, timeout=10, what="the order confirmation email")
    await drain_webhooks(shop.services)
    message = mail.to(email)[0]
    assert message.subject == f"Order {order.number} confirmed"
    assert f"To pay on delivery: {rupees(order.total_paise)}" in message.text
    assert order.total_paise >= 129_900  # two units at ₹649.50, and any delivery charge
