"""abandoned-cart: one reminder per idle period to a customer who said yes, listing their cart;
nothing for the unwilling, the too fresh, the too old, guests, or during quiet hours; called
again (the same call retried, or the next hour's), nothing twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cloudevents.conversion import to_structured
from cloudevents.http import CloudEvent
from fastapi import FastAPI
from pydantic import ValidationError

from orchid.functions.abandoned_cart import SPEC, Run, is_quiet, render
from orchid.functions.client import scheduled
from orchid.functions.host import function_app
from orchid.functions.runtime import FunctionContext, hosting, load, service_account_email
from orchid.kit.errors import Unavailable
from orchid.kit.identity import ServiceAccount, mint, write_public_keys
from orchid.kit.mail import DevMailer
from orchid.services.cart.rules import customer_cart_id, new_guest_id
from orchid.services.cart.service import CART_TTL_SECONDS, CartService
from orchid.services.cart.store import ACTIVITY_KEY, cart_store
from orchid.services.registry import Services
from tests.conftest import embedded_settings
from tests.support.clock import FakeClock
from tests.unit.cart_factories import KAJAL, KOHL, stock_kajal

JOB = "abandoned-cart"
FUNCTION = load("orchid.functions.abandoned_cart")  # its SPEC and handler, as hosts load it
HOUR = 3600.0
# 10:00 IST on a Monday: the day's first reminders may go out.
MORNING = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
Headers = dict[str, str]


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


class Shop:
    """The app with a kajal in stock, a cart service and a function host on one test clock."""

    def __init__(self, app: FastAPI, api: httpx.AsyncClient, host: FunctionContext,
                 cart: CartService, clock: FakeClock) -> None:
        self.app, self.api, self.host, self.cart, self.clock = app, api, host, cart, clock

    @property
    def mail(self) -> DevMailer:
        return self.host.shared("mailer", DevMailer)  # the fixture's, built already

    async def customer(self, email: str, *, consent: bool | None = True) -> str:
        """Sign up a customer who answered `consent` (None: never asked); their cart id."""
        response = await self.api.post("/api/v1/accounts/register", json={
            "email": email, "password": "kajal-and-kohl", "name": "Asha"})
        assert response.status_code == 201, response.text
        self.api.cookies.clear()
        body = response.json()
        if consent is not None:
            answered = await self.api.put(
                "/api/v1/accounts/me/consents/cart_reminders", json={"granted": consent},
                headers={"Authorization": f"Bearer {body['token']}"})
            assert answered.status_code == 200, answered.text
        return customer_cart_id(body["customer"]["public_id"])

    async def run(self, event: CloudEvent | None = None) -> None:
        """The scheduler's call now (or `event`, a retry)."""
        await FUNCTION.handle(event or scheduled(JOB, self.clock.now()))

    def later(self, hours: float) -> None:
        self.clock.advance(hours * HOUR)


@pytest.fixture
def mail(request: pytest.FixtureRequest) -> FlakyMailer:
    """The host's mailer: in memory, refusing the first `failures` messages (0 unless a test
    parametrizes it)."""
    return FlakyMailer(failures=getattr(request, "param", 0))


@pytest.fixture
async def shop(app: FastAPI, api: httpx.AsyncClient, mail: FlakyMailer) -> AsyncIterator[Shop]:
    services: Services = await stock_kajal(app.state.services, quantity=20)
    clock = FakeClock(MORNING)
    cart = CartService(store=cart_store(app.state.resources.store, ttl=CART_TTL_SECONDS),
                       peers=services.cart.peers, clock=clock.now)
    mine = Services({**app.state.assembly.local, "cart": cart})
    host = FunctionContext(app.state.resources, clock=clock.now, services_of=lambda: mine)
    async with hosting(host):
        host.shared("mailer", lambda: mail)
        yield Shop(app, api, host, cart, clock)


async def test_an_idle_cart_of_a_customer_who_said_yes_gets_one_reminder(shop: Shop) -> None:
    cart_id = await shop.customer("asha@example.in")
    await shop.cart.add(cart_id=cart_id, sku=KAJAL, quantity=2)
    await shop.cart.add(cart_id=cart_id, sku=KOHL, quantity=1)
    shop.later(5)
    await shop.run()
    (sent,) = shop.mail.messages
    assert sent.to == "asha@example.in" and sent.subject == "You left something in your bag"
    assert "Hi Asha," in sent.text
    assert "Kajal (Shade 1) × 2" in sent.text and "Kajal (Shade 2) × 1" in sent.text
    assert "https://orchid.example/cart" in sent.text
    assert sent.html is not None and 'href="https://orchid.example/cart"' in sent.html
    assert "Kajal (Shade 1) × 2" in sent.html
    assert not any(c.isdigit() or c == "₹" for c in sent.subject)
    assert "499" not in sent.text and "₹" not in sent.text  # no prices, which may change


async def test_no_reminder_without_a_yes(shop: Shop) -> None:
    for email, consent in (("never@example.in", None), ("no@example.in", False)):
        cart_id = await shop.customer(email, consent=consent)
        await shop.cart.add(cart_id=cart_id, sku=KAJAL, quantity=1)
    await shop.cart.add(cart_id=new_guest_id(), sku=KAJAL, quantity=1)  # guests: never
    said_yes = await shop.customer("yes@example.in")
    await shop.cart.add(cart_id=said_yes, sku=KOHL, quantity=1)
    shop.later(6)
    await shop.run()
    assert [m.to for m in shop.mail.messages] == ["yes@example.in"]


async def test_only_carts_idle_between_four_and_forty_eight_hours(shop: Shop) -> None:
    old = await shop.customer("old@example.in")
    await shop.cart.add(cart_id=old, sku=KAJAL, quantity=1)
    shop.later(45)
    fresh = await shop.customer("fresh@example.in")
    await shop.cart.add(cart_id=fresh, sku=KAJAL, quantity=1)
    shop.later(3.5)  # old: 48.5 h idle (Wednesday 10:30 IST); fresh: 3.5 h
    await shop.run()
    assert shop.mail.messages == []
    shop.later(0.5)  # fresh: 4 h exactly
    await shop.run()
    assert [m.to for m in shop.mail.messages] == ["fresh@example.in"]
    # The run forgot the cart idle past the window; the cart itself is still there.
    found = await shop.app.state.resources.store.zrangebyscore(ACTIVITY_KEY, 0, float("inf"))
    assert [cart_id for cart_id, _ in found] == [fresh]
    assert await shop.cart.get_lines(cart_id=old)


async def test_calls_again_send_nothing_twice(shop: Shop) -> None:
    cart_id = await shop.customer("asha@example.in")
    await shop.cart.add(cart_id=cart_id, sku=KAJAL, quantity=1)
    shop.later(5)
    call = scheduled(JOB, shop.clock.now())
    await shop.run(call)
    await shop.run(call)  # the scheduler retried the same call
    shop.later(1)
    await shop.run()  # the next hour's
    assert len(shop.mail.to("asha@example.in")) == 1


async def test_a_cart_changed_after_its_reminder_is_reminded_again_once_idle(
        shop: Shop) -> None:
    cart_id = await shop.customer("asha@example.in")
    await shop.cart.add(cart_id=cart_id, sku=KAJAL, quantity=1)
    shop.later(4)
    await shop.run()
    shop.later(0.5)
    await shop.cart.set_quantity(cart_id=cart_id, sku=KAJAL, quantity=3)  # back, then gone
    shop.later(1)
    await shop.run()
    assert len(shop.mail.messages) == 1  # idle 1 h: too soon
    shop.later(3)  # 18:30 IST, idle 4 h
    await shop.run()
    first, second = shop.mail.to("asha@example.in")
    assert "× 1" in first.text and "Kajal (Shade 1) × 3" in second.text


async def test_nothing_goes_out_in_quiet_hours_and_the_morning_sends_it(shop: Shop) -> None:
    cart_id = await shop.customer("asha@example.in")
    shop.later(10)  # 20:00 IST
    await shop.cart.add(cart_id=cart_id, sku=KAJAL, quantity=1)
    for _ in range(12):  # hourly, 21:00 IST to 08:00 IST
        shop.later(1)
        await shop.run()
    assert shop.mail.messages == []
    shop.later(1)  # 09:00 IST
    await shop.run()
    assert len(shop.mail.messages) == 1


def test_quiet_hours_are_nine_at_night_to_nine_in_the_morning_in_india() -> None:
    def at(hour: int, minute: int = 0) -> datetime:  # IST, on the UTC date of MORNING
        return MORNING.replace(hour=0, minute=0) + timedelta(hours=hour - 5.5, minutes=minute)

    assert [is_quiet(at(h)) for h in (8, 9, 12, 20, 21, 23)] == [
        True, False, False, False, True, True]
    assert is_quiet(at(8, 59)) and not is_quiet(at(20, 59))


@pytest.mark.parametrize("mail", [1], indirect=True)
async def test_a_refused_send_is_sent_by_the_retry(shop: Shop, mail: FlakyMailer) -> None:
    cart_id = await shop.customer("asha@example.in")
    await shop.cart.add(cart_id=cart_id, sku=KAJAL, quantity=1)
    shop.later(5)
    call = scheduled(JOB, shop.clock.now())
    with pytest.raises(Unavailable):
        await shop.run(call)
    assert mail.failures == 0 and mail.messages == []
    await shop.run(call)
    assert len(mail.to("asha@example.in")) == 1


async def test_the_scheduler_may_set_the_window_and_the_shop(shop: Shop) -> None:
    cart_id = await shop.customer("asha@example.in")
    await shop.cart.add(cart_id=cart_id, sku=KAJAL, quantity=1)
    shop.later(2)
    window = {"min_idle_hours": 1, "max_idle_hours": 3, "shop_url": "https://preprod.test/"}
    await shop.run(scheduled(JOB, shop.clock.now(), window))
    (sent,) = shop.mail.messages
    assert "https://preprod.test/cart" in sent.text
    for bad in ({"min_idle_hours": 5, "max_idle_hours": 4}, {"shop_url": "javascript:1"},
                {"max_idle_hours": 0}, {"cc": "everyone"}):
        with pytest.raises(ValidationError):
            Run.model_validate(bad)


def test_a_long_cart_is_named_in_part_and_names_are_escaped() -> None:
    items = [(f"Shade <{i}>", 1) for i in range(12)]
    reminder = render(name="", items=items, shop_url="https://orchid.example")
    assert reminder.text.startswith("Hello,") and "… and 2 more" in reminder.text
    assert "Shade <11>" not in reminder.text and "&lt;9&gt;" in reminder.html


async def test_only_the_scheduler_may_call_it(
        data_dir: Path, shop: Shop) -> None:
    url = "http://127.0.0.1:8302/"
    callers = {name: ServiceAccount.generate(service_account_email(name))
               for name in ("scheduler", "payments")}
    keys = data_dir / "identity" / "scheduler-keys.json"
    write_public_keys(keys, callers.values())
    app = function_app(FUNCTION,
                       embedded_settings(data_dir, function_url=url, identity_keys_file=keys))
    assert SPEC.callers == ("scheduler",) and SPEC.triggers == ()
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=url) as http:
        headers, body = to_structured(scheduled(JOB, datetime.now(UTC)))
        answers = {}
        for name, account in callers.items():
            token = mint(account, audience=url)
            answers[name] = (await http.post(url, content=body, headers={
                **headers, "Authorization": f"Bearer {token}"})).status_code
    assert answers["payments"] == 403 and 200 <= answers["scheduler"] < 300
