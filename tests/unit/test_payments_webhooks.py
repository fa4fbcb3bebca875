"""Payments webhooks: signatures (real HMAC), tolerance, replays, ordering and settlement."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from orchid.kit.db import Database
from orchid.kit.errors import OrchidError
from orchid.kit.orm import utcnow
from orchid.services.payments import errors, signing
from orchid.services.payments.delivery import BackgroundDelivery
from tests.unit.payments_factories import (
    DECLINE,
    SECRET,
    SUCCESS,
    Harness,
    RecordingDelivery,
    card,
    challenged,
    make,
    pay,
    recorded,
    resign,
    status_of,
)

__all__ = ["recorded"]  # the fixture imported above, so it is not unused


async def test_a_verified_event_is_applied_once(
        recorded: tuple[Harness, RecordingDelivery]) -> None:
    harness, delivery = recorded
    intent, body, header = await challenged(harness, delivery, "OR-W1")
    outcome = await harness.service.handle_webhook(raw_body=body, signature_header=header)
    assert outcome.applied and outcome.type == "payment.succeeded"
    assert (outcome.intent.public_id, outcome.intent.status) == (intent.public_id, "succeeded")
    assert outcome.event_id == json.loads(body)["id"]
    with pytest.raises(errors.WebhookReplayed) as caught:
        await harness.service.handle_webhook(raw_body=body, signature_header=header)
    assert caught.value.status == 409 and caught.value.code == "webhook_replayed"
    assert harness.settled.calls == [("OR-W1", "succeeded")]  # no second settlement


async def test_concurrent_deliveries_of_one_event_settle_once(
        recorded: tuple[Harness, RecordingDelivery]) -> None:
    harness, delivery = recorded
    _, body, header = await challenged(harness, delivery, "OR-W2")
    results = await asyncio.gather(
        *(harness.service.handle_webhook(raw_body=body, signature_header=header)
          for _ in range(5)), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, errors.WebhookReplayed) for r in results if isinstance(r, Exception))
    assert harness.settled.calls == [("OR-W2", "succeeded")]


async def test_a_tampered_event_is_refused_and_changes_nothing(
        recorded: tuple[Harness, RecordingDelivery]) -> None:
    harness, delivery = recorded
    _, body, header = await challenged(harness, delivery, "OR-W3", approve=False)
    forged = body.replace(b"payment.failed", b"payment.succeeded")
    assert forged != body
    timestamp = header.split(",")[0]
    for raw, signature in [
            (forged, header),                                         # body changed
            (body, f"{timestamp},v1={'0' * 64}"),                     # signature changed
            (body, header.replace("t=", "t=1")),                      # timestamp changed
            (forged, resign(forged, secret="not-the-sandbox-secret")),  # wrong secret
            (body, ""), (body, "v1=abc"), (body, "t=now,v1=abc"), (body, "t=1,v1=é" * 200)]:
        with pytest.raises(errors.WebhookSignatureInvalid) as caught:
            await harness.service.handle_webhook(raw_body=raw, signature_header=signature)
        assert caught.value.status == 401 and caught.value.code == "webhook_signature_invalid"
    assert (await status_of(harness, "OR-W3")) == "requires_action"
    assert harness.settled.calls == []


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_a_stale_event_is_refused(recorded: tuple[Harness, RecordingDelivery],
                                        skew: timedelta) -> None:
    harness, delivery = recorded
    _, body, _ = await challenged(harness, delivery, "OR-W4")
    with pytest.raises(errors.WebhookStale) as caught:
        await harness.service.handle_webhook(raw_body=body,
                                             signature_header=resign(body, at=utcnow() + skew))
    assert caught.value.code == "webhook_timestamp_stale"
    # Inside the tolerance the same body is accepted.
    late = resign(body, at=utcnow() - timedelta(minutes=4))
    assert (await harness.service.handle_webhook(raw_body=body, signature_header=late)).applied


async def test_a_signed_event_must_make_sense(
        recorded: tuple[Harness, RecordingDelivery]) -> None:
    harness, delivery = recorded
    intent, body, _ = await challenged(harness, delivery, "OR-W5")
    event = json.loads(body)
    cases: list[tuple[Any, type[OrchidError], str]] = [
        (b"not json", errors.WebhookMalformed, "webhook_malformed"),
        ({**event, "type": "payment.teleported"}, errors.WebhookMalformed, "webhook_malformed"),
        ({**event, "id": "evt_2", "data": {**event["data"], "intent_id": "pi_unknown"}},
         errors.IntentNotFound, "intent_not_found"),
        ({**event, "id": "evt_3", "data": {**event["data"], "order_number": "OR-OTHER"}},
         errors.WebhookMalformed, "webhook_mismatch"),
        ({**event, "id": "evt_4", "data": {**event["data"], "amount_paise": 1}},
         errors.WebhookMalformed, "webhook_mismatch"),
    ]
    for payload, error, code in cases:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        with pytest.raises(error) as caught:
            await harness.service.handle_webhook(raw_body=raw, signature_header=resign(raw))
        assert caught.value.code == code
    assert (await status_of(harness, "OR-W5")) == "requires_action"
    assert intent.status == "requires_action"


async def test_an_event_for_a_final_intent_is_acknowledged_not_applied(
        recorded: tuple[Harness, RecordingDelivery]) -> None:
    harness, delivery = recorded
    intent, body, header = await challenged(harness, delivery, "OR-W6")
    cancelled = await harness.service.cancel_intent(order_number="OR-W6")
    assert cancelled is not None and cancelled.status == "cancelled"
    outcome = await harness.service.handle_webhook(raw_body=body, signature_header=header)
    assert not outcome.applied and outcome.intent.status == "cancelled"
    assert harness.settled.calls == []
    with pytest.raises(errors.IllegalTransition):
        await harness.service.complete_challenge(intent_id=intent.public_id, approve=True)


async def test_a_failed_settlement_is_retried_later(
        recorded: tuple[Harness, RecordingDelivery]) -> None:
    harness, delivery = recorded
    harness.settled.failures = 1
    _, body, header = await challenged(harness, delivery, "OR-W7")
    outcome = await harness.service.handle_webhook(raw_body=body, signature_header=header)
    assert outcome.intent.status == "succeeded" and harness.settled.calls == []
    with pytest.raises(errors.WebhookReplayed):  # recorded: the provider need not resend
        await harness.service.handle_webhook(raw_body=body, signature_header=header)
    assert await harness.service.retry_settlements() == 1
    assert harness.settled.calls == [("OR-W7", "succeeded")]
    assert await harness.service.retry_settlements() == 0



async def test_a_late_payment_event_for_a_refunded_intent_is_quiet(
        recorded: tuple[Harness, RecordingDelivery]) -> None:
    harness, delivery = recorded
    await pay(harness, "OR-W8", card())
    refunded = await harness.service.refund(order_number="OR-W8", amount_paise=49_900,
                                            reason="cancelled")
    assert refunded.status == "refunded"
    outcomes = [await harness.service.handle_webhook(raw_body=body, signature_header=header)
                for body, header in delivery.sent]
    assert [(o.type, o.applied, o.intent.status) for o in outcomes] == [
        ("payment.succeeded", False, "refunded"), ("refund.succeeded", False, "refunded")]
    assert harness.settled.calls == []


@dataclass
class InlineDelivery:
    """Handles each event before the provider call returns: the webhook wins the race."""

    handler: Any = None

    async def deliver(self, *, raw_body: bytes, signature_header: str) -> None:
        await self.handler(raw_body=raw_body, signature_header=signature_header)

    async def close(self) -> None:
        """Nothing is on its way: each event was handled as it was sent."""


@pytest.mark.parametrize(("number", "status", "code"), [
    (SUCCESS, "succeeded", None), (DECLINE, "failed", "card_declined")])
async def test_a_webhook_may_overtake_the_providers_answer(db: Database, number: str,
                                                           status: str, code: str | None) -> None:
    delivery = InlineDelivery()
    harness = make(db, delivery)
    delivery.handler = harness.service.handle_webhook
    intent = await pay(harness, "OR-W9", card(number))
    assert (intent.status, intent.failure_code) == (status, code)
    assert harness.settled.calls == [("OR-W9", status)]


# -- signatures --------------------------------------------------------------------


def test_signatures_round_trip_and_accept_a_rotated_secret() -> None:
    body, now = b'{"id":"evt_1"}', utcnow()
    header = resign(body, at=now)
    assert signing.verify(secret=SECRET, raw_body=body, signature_header=header,
                          now=now) == int(now.timestamp())
    old = resign(body, secret="old-secret", at=now).split(",")[1]
    rotated = f"{header},{old}"
    signing.verify(secret="old-secret", raw_body=body, signature_header=rotated, now=now)


async def test_closing_the_delivery_handles_the_events_on_their_way() -> None:
    handled: list[bytes] = []

    async def handler(*, raw_body: bytes, signature_header: str) -> None:
        await asyncio.sleep(0)  # handled later, as a webhook arrives after the call
        handled.append(raw_body)

    delivery = BackgroundDelivery(handler)
    await delivery.deliver(raw_body=b"evt-1", signature_header="t=1,v1=x")
    assert handled == []
    await delivery.close()  # the app stops: nobody would send this event again
    assert handled == [b"evt-1"]


async def test_closing_the_delivery_gives_up_on_a_handler_that_hangs() -> None:
    stuck, cancelled = asyncio.Event(), asyncio.Event()

    async def handler(*, raw_body: bytes, signature_header: str) -> None:
        try:
            await stuck.wait()  # a database that never answers
        except asyncio.CancelledError:
            cancelled.set()
            raise

    delivery = BackgroundDelivery(handler)
    await delivery.deliver(raw_body=b"evt-1", signature_header="t=1,v1=x")
    await delivery.close(timeout=0.05)
    assert cancelled.is_set()  # nothing is left to reopen the database after it closed
