"""Payments service on a migrated SQLite database: card and COD outcomes, idempotency, refunds."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import structlog
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from orchid.kit.db import Database
from orchid.kit.errors import OrchidError
from orchid.kit.orm import MainBase
from orchid.services.payments import cards, errors, states
from orchid.services.payments.models import PaymentEvent, PaymentIntent
from orchid.services.payments.schemas import CardMethod, CodMethod, PaymentMethod
from tests.unit.payments_factories import (
    CHALLENGE,
    COD,
    CUSTOMER,
    DECLINE,
    FUTURE,
    OTHER,
    SUCCESS,
    Harness,
    RecordingDelivery,
    card,
    drain,
    live,
    make,
    pay,
    recorded,
    status_of,
)

__all__ = ["live", "recorded"]  # the fixtures imported above, so they are not unused
METHOD = TypeAdapter(PaymentMethod)


# -- card outcomes --------------------------------------------------------------------------


async def test_a_good_card_succeeds_and_its_webhook_settles_the_order(live: Harness) -> None:
    intent = await pay(live, "OR-1", card(SUCCESS))
    assert (intent.status, intent.provider, intent.currency) == ("succeeded", "sandbox", "INR")
    assert (intent.card_brand, intent.card_last4, intent.next_action_url) == ("visa", "1111", None)
    await drain(live)
    assert live.settled.calls == [("OR-1", "succeeded")]


@pytest.mark.parametrize(("number", "code", "brand"), [
    (DECLINE, "card_declined", "visa"), (OTHER, "card_not_supported", "mastercard")])
async def test_declined_cards_fail_with_a_code(live: Harness, number: str, code: str,
                                               brand: str) -> None:
    intent = await pay(live, "OR-2", card(number))
    assert (intent.status, intent.failure_code, intent.card_brand) == ("failed", code, brand)
    await drain(live)
    assert live.settled.calls == [("OR-2", "failed")]
    assert (await status_of(live, "OR-2")) == "failed"


async def test_3ds_approved_succeeds_through_the_webhook(live: Harness) -> None:
    intent = await pay(live, "OR-3", card(CHALLENGE))
    assert intent.status == "requires_action"
    assert intent.next_action_url == f"/api/v1/payments/sandbox/3ds/{intent.public_id}"
    await drain(live)
    assert live.settled.calls == []
    await live.service.complete_challenge(intent_id=intent.public_id, approve=True)
    await drain(live)
    after = await live.service.get_intent(order_number="OR-3")
    assert after is not None and (after.status, after.next_action_url) == ("succeeded", None)
    assert live.settled.calls == [("OR-3", "succeeded")]
    with pytest.raises(errors.IllegalTransition):
        await live.service.complete_challenge(intent_id=intent.public_id, approve=True)


async def test_3ds_denied_fails(live: Harness) -> None:
    intent = await pay(live, "OR-4", card(CHALLENGE))
    await live.service.complete_challenge(intent_id=intent.public_id, approve=False)
    await drain(live)
    after = await live.service.get_intent(order_number="OR-4")
    assert after is not None and (after.status, after.failure_code) == (
        "failed", "authentication_failed")
    assert live.settled.calls == [("OR-4", "failed")]


async def test_challenge_needs_a_known_sandbox_intent(live: Harness) -> None:
    cod = await pay(live, "OR-5", COD)
    for intent_id in ("pi_nosuchintent", cod.public_id):
        with pytest.raises(errors.IntentNotFound):
            await live.service.complete_challenge(intent_id=intent_id, approve=True)
        with pytest.raises(errors.IntentNotFound):
            await live.service.get_challenge(intent_id=intent_id)


# -- cash on delivery -------------------------------------------------------------------------


async def test_cod_is_pending_up_to_the_cap(live: Harness) -> None:
    intent = await pay(live, "OR-6", COD, amount=500_000)
    assert (intent.status, intent.provider, intent.card_last4) == ("cod_pending", "cod", None)
    await drain(live)
    assert live.settled.calls == []


async def test_cod_above_the_cap_is_refused_and_leaves_nothing(live: Harness) -> None:
    with pytest.raises(errors.CodLimitExceeded) as caught:
        await pay(live, "OR-7", COD, amount=500_001)
    assert caught.value.code == "cod_limit_exceeded" and caught.value.status == 422
    assert caught.value.data == {"limit_paise": 500_000}
    assert await live.service.get_intent(order_number="OR-7") is None
    # Nothing was left behind, so paying the same order by card works.
    assert (await pay(live, "OR-7", card(), amount=500_001)).status == "succeeded"


async def test_the_cod_cap_is_a_constructor_argument(db: Database) -> None:
    harness = make(db, cod_limit=100_000)
    with pytest.raises(errors.CodLimitExceeded):
        await pay(harness, "OR-8", COD, amount=100_001)


# -- idempotency ------------------------------------------------------------------------------


async def test_create_intent_is_idempotent_on_the_order_number(
        recorded: tuple[Harness, RecordingDelivery]) -> None:
    harness, delivery = recorded
    first = await pay(harness, "OR-9", card())
    again = await pay(harness, "OR-9", card())
    assert again == first and len(delivery.sent) == 1
    with pytest.raises(errors.IntentMismatch):
        await pay(harness, "OR-9", card(), amount=1)
    with pytest.raises(errors.IntentMismatch):
        await pay(harness, "OR-9", COD)


async def test_concurrent_creates_make_one_intent_and_one_charge(
        db: Database, recorded: tuple[Harness, RecordingDelivery]) -> None:
    harness, delivery = recorded
    results = await asyncio.gather(*(pay(harness, "OR-10", card()) for _ in range(20)))
    assert len({r.public_id for r in results}) == 1
    assert len(delivery.sent) == 1  # the provider was asked once
    count = await db.read(lambda s: s.scalar(select(func.count()).select_from(PaymentIntent)))
    assert count == 1
    assert (await status_of(harness, "OR-10")) == "succeeded"


# -- card data --------------------------------------------------------------------------------


async def test_card_numbers_are_never_stored_or_logged(live: Harness, db: Database,
                                                       data_dir: Path) -> None:
    numbers = [n.replace(" ", "") for n in (SUCCESS, DECLINE, CHALLENGE, OTHER)]
    with structlog.testing.capture_logs() as logs:
        for i, number in enumerate(numbers):
            await pay(live, f"OR-C{i}", card(number, cvv="9876"))
        await drain(live)
    assert any(entry["event"] == "payment_intent_created" for entry in logs)
    async with db.primary.engine.connect() as conn:
        tables = await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        cells = [str(cell) for (name,) in tables.all()
                 for row in (await conn.execute(text(f'SELECT * FROM "{name}"'))).all()
                 for cell in row]
    dump = "\n".join(cells)
    files = b"".join(path.read_bytes() for path in data_dir.glob("main.db*"))
    for number in numbers:
        assert number not in dump and number not in str(logs)
        assert number.encode() not in files
    # Four digits turn up by chance inside random ids and timestamps, so the CVV is looked for
    # as a value of its own, and as a field of any stored document.
    assert "9876" not in cells and "cvv" not in dump.lower()
    assert "1111" in cells  # the last four are kept
    assert "card_number" not in repr(card())


def test_card_input_is_validated_and_normalised() -> None:
    assert card("4111-1111-1111-1111").card_number == "4111111111111111"
    bad: list[dict[str, Any]] = [
        {"card_number": "4111 1111 1111 1112"},  # fails Luhn
        {"card_number": "4111"}, {"card_number": "4111 1111 1111 111x"},
        {"expiry": "01/20"}, {"expiry": "13/40"}, {"expiry": "1240"},
        {"cvv": "12"}, {"cvv": "12345"}, {"cvv": "12a"}]
    for overrides in bad:
        fields = {"type": "card", "card_number": SUCCESS, "expiry": FUTURE, "cvv": "123",
                  **overrides}
        with pytest.raises(ValidationError):
            METHOD.validate_python(fields)
        with pytest.raises(ValidationError) as caught:
            CardMethod.model_validate(fields)
        assert "4111" not in str(caught.value)  # the card's own errors never echo its input
    with pytest.raises(ValidationError):
        METHOD.validate_python({"type": "cod", "note": "extra"})
    with pytest.raises(ValidationError):
        METHOD.validate_python({"type": "upi"})
    assert isinstance(METHOD.validate_python({"type": "cod"}), CodMethod)


def test_card_rules() -> None:
    assert cards.luhn_valid("4000000000003220") and not cards.luhn_valid("4000000000003221")
    numbers = ("4111", "5555", "2221", "371449", "6521", "6011", "6522", "6070", "9999")
    assert [cards.brand(n) for n in numbers] == [
        "visa", "mastercard", "mastercard", "amex", "rupay", "discover", "rupay", "rupay",
        "unknown"]
    now = datetime(2031, 6, 15)
    assert cards.check_expiry("06/31", now=now) == "06/31"  # valid through its month
    with pytest.raises(ValueError):
        cards.check_expiry("05/31", now=now)




# -- refunds and transitions ----------------------------------------------------------------


async def test_refunds_add_up_to_the_amount(live: Harness, db: Database) -> None:
    await pay(live, "OR-R1", card(), amount=100_000)
    await drain(live)  # the payment's own event first, so the order of events is known
    partial = await live.service.refund(order_number="OR-R1", amount_paise=30_000,
                                        reason="one shade missing")
    assert partial.status == "succeeded"
    with pytest.raises(errors.RefundTooLarge) as caught:
        await live.service.refund(order_number="OR-R1", amount_paise=70_001, reason="rest")
    assert caught.value.data == {"refundable_paise": 70_000}
    rest = await live.service.refund(order_number="OR-R1", amount_paise=70_000, reason="return")
    assert rest.status == "refunded"
    await drain(live)
    kinds = await db.read(lambda s: s.scalars(select(PaymentEvent.type)
                                              .order_by(PaymentEvent.id)))
    assert list(kinds) == ["payment.succeeded", "refund.succeeded", "refund.succeeded"]
    with pytest.raises(errors.IllegalTransition):
        await live.service.refund(order_number="OR-R1", amount_paise=1, reason="again")
    assert live.settled.calls == [("OR-R1", "succeeded")]  # refunds settle nothing in orders


async def test_only_succeeded_payments_are_refunded(live: Harness) -> None:
    await pay(live, "OR-R2", card(DECLINE))
    await pay(live, "OR-R3", COD)
    for order in ("OR-R2", "OR-R3"):
        with pytest.raises(errors.IllegalTransition) as caught:
            await live.service.refund(order_number=order, amount_paise=100, reason="why")
        assert caught.value.status == 409 and caught.value.code == "illegal_transition"
    with pytest.raises(errors.IntentNotFound):
        await live.service.refund(order_number="OR-NONE", amount_paise=100, reason="why")
    for amount, reason in ((0, "why"), (100, "  ")):
        with pytest.raises(OrchidError) as bad:
            await live.service.refund(order_number="OR-R3", amount_paise=amount, reason=reason)
        assert bad.value.status == 422


async def test_cancel_follows_the_state_machine(live: Harness) -> None:
    await pay(live, "OR-T1", card(CHALLENGE))
    await pay(live, "OR-T2", card())
    await pay(live, "OR-T3", COD)
    first = await live.service.cancel_intent(order_number="OR-T1")
    again = await live.service.cancel_intent(order_number="OR-T1")
    assert first is not None and first == again and first.status == "cancelled"
    with pytest.raises(errors.IllegalTransition) as caught:
        await live.service.cancel_intent(order_number="OR-T2")
    assert caught.value.data == {"current": "succeeded", "target": "cancelled"}
    assert (await live.service.cancel_intent(order_number="OR-T3")) is not None
    assert await live.service.cancel_intent(order_number="OR-NONE") is None


def test_the_state_machine() -> None:
    assert states.can_move("requires_action", "succeeded")
    assert states.can_move("pending", "cancelled") and states.can_move("succeeded", "refunded")
    for current, target in [("succeeded", "failed"), ("failed", "succeeded"),
                            ("cancelled", "succeeded"), ("refunded", "succeeded"),
                            ("requires_action", "refunded"), ("cod_pending", "failed")]:
        assert not states.can_move(current, target), (current, target)


async def test_bad_arguments_are_refused(live: Harness) -> None:
    for order, customer, amount in (("OR-B", CUSTOMER, 0), ("", CUSTOMER, 100),
                                    ("OR-B", "", 100), ("X" * 33, CUSTOMER, 100)):
        with pytest.raises(OrchidError) as caught:
            await live.service.create_intent(order_number=order, customer_id=customer,
                                             amount_paise=amount, method=COD)
        assert caught.value.status == 422




async def test_migration_matches_the_models(db: Database) -> None:
    def mine(item: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        table = item if kind == "table" else getattr(item, "table", None)
        return table is None or table.name in {"payment_intents", "payment_events", "refunds"}

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": mine})
        return list(compare_metadata(context, MainBase.metadata))

    async with db.primary.engine.connect() as connection:
        assert await connection.run_sync(differences) == []
