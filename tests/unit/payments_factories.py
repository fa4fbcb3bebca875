"""Payments test data: a service on the migrated test database with fakes passed in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from orchid.kit.db import Database
from orchid.kit.errors import OrchidError
from orchid.kit.orm import utcnow
from orchid.services.payments import signing
from orchid.services.payments.delivery import BackgroundDelivery, WebhookDelivery
from orchid.services.payments.providers import CodProvider
from orchid.services.payments.sandbox import SandboxProvider
from orchid.services.payments.schemas import CardMethod, CodMethod, IntentRead
from orchid.services.payments.service import PaymentsService

SECRET = "payments-unit-test-webhook-secret"
CUSTOMER = "cust0000000000000000000001"
SUCCESS, DECLINE, CHALLENGE = "4111 1111 1111 1111", "4000 0000 0000 0002", "4000 0000 0000 3220"
OTHER = "5555 5555 5555 4444"  # valid, but not a sandbox test number
FUTURE = f"12/{(utcnow().year + 3) % 100:02d}"
COD = CodMethod(type="cod")


def card(number: str = SUCCESS, **overrides: str) -> CardMethod:
    """Return a card method with a future expiry."""
    fields = {"type": "card", "card_number": number, "expiry": FUTURE, "cvv": "123", **overrides}
    return CardMethod.model_validate(fields)


@dataclass
class RecordingDelivery:
    """Keeps the sandbox's events so a test decides when (and how often) they arrive."""

    sent: list[tuple[bytes, str]] = field(default_factory=list)

    async def deliver(self, *, raw_body: bytes, signature_header: str) -> None:
        self.sent.append((raw_body, signature_header))

    async def close(self) -> None:
        """Nothing is on its way: the test delivers what it kept."""


@dataclass
class Settlements:
    """Stands in for orders' settle_payment; can fail its next `failures` calls."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    failures: int = 0

    async def __call__(self, order_number: str, outcome: str) -> None:
        if self.failures:
            self.failures -= 1
            raise OrchidError("orders is down")
        self.calls.append((order_number, outcome))


@dataclass
class Harness:
    """A payments service with its fakes."""

    service: PaymentsService
    sandbox: SandboxProvider
    settled: Settlements


def make(db: Database, delivery: WebhookDelivery | None = None, *, cod_limit: int = 500_000,
         clock: Callable[[], datetime] = utcnow) -> Harness:
    """Build the service as `build` does; events go back into it unless a delivery is given."""
    background = BackgroundDelivery()
    sandbox = SandboxProvider(secret=SECRET, delivery=delivery or background)
    settled = Settlements()
    service = PaymentsService(db=db, card=sandbox, cod=CodProvider(limit_paise=cod_limit),
                              on_settled=settled, clock=clock)
    background.connect(service.handle_webhook)
    return Harness(service, sandbox, settled)


@pytest.fixture
async def live(db: Database) -> AsyncIterator[Harness]:
    """Payments whose sandbox events arrive in the background, as webhooks would."""
    harness = make(db)
    yield harness
    await drain(harness)


@pytest.fixture
def recorded(db: Database) -> tuple[Harness, RecordingDelivery]:
    """Payments whose sandbox events are kept for the test to deliver."""
    delivery = RecordingDelivery()
    return make(db, delivery), delivery


async def drain(harness: Harness) -> None:
    """Wait until the background webhooks (and what they caused) were handled."""
    delivery = harness.sandbox.delivery
    if isinstance(delivery, BackgroundDelivery):
        await delivery.drain()


async def pay(harness: Harness, order: str, method: CardMethod | CodMethod,
              amount: int = 49_900) -> IntentRead:
    """Create an intent for `order` as orders would."""
    return await harness.service.create_intent(order_number=order, customer_id=CUSTOMER,
                                               amount_paise=amount, method=method)


async def status_of(harness: Harness, order: str) -> str | None:
    """Return the status of the order's intent."""
    intent = await harness.service.get_intent(order_number=order)
    return intent.status if intent else None



async def challenged(harness: Harness, delivery: RecordingDelivery, order: str,
                     approve: bool = True) -> tuple[IntentRead, bytes, str]:
    """Create a 3-D Secure intent, answer it, and return the event the sandbox sent."""
    intent = await pay(harness, order, card(CHALLENGE))
    await harness.service.complete_challenge(intent_id=intent.public_id, approve=approve)
    body, header = delivery.sent[-1]
    return intent, body, header


def resign(body: bytes, *, secret: str = SECRET, at: datetime | None = None) -> str:
    """Sign `body` again, with another secret or time."""
    return signing.sign(secret=secret, raw_body=body,
                        timestamp=int((at or utcnow()).timestamp()))

