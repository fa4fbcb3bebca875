"""The payments service: one intent per order, settled by the provider's signed webhooks.

    payments = build(resources, services)
    intent = await payments.create_intent(order_number="OR-7KQ2-M9XD-3P", customer_id="…",
                                          amount_paise=49_900, method=CodMethod(type="cod"))
    await payments.handle_webhook(raw_body=body, signature_header=header)   # → orders settles

An intent is claimed (`pending`) before the provider is asked, so concurrent or retried calls
for one order reach the provider once. Card data goes to the provider and is forgotten; only
the brand and last four digits are kept.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.exc import IntegrityError

from orchid.kit.db import Database
from orchid.kit.errors import InvalidInput, OrchidError
from orchid.kit.orm import utcnow
from orchid.kit.placement import exposed
from orchid.services.payments import (
    events,
    outbox,  # noqa: F401  (its listener writes our events)
    repository,
    states,
)
from orchid.services.payments.delivery import BackgroundDelivery
from orchid.services.payments.errors import (
    IllegalTransition,
    IntentMismatch,
    IntentNotFound,
    RefundTooLarge,
    WebhookReplayed,
)
from orchid.services.payments.models import (
    CUSTOMER_ID_LENGTH,
    ORDER_NUMBER_LENGTH,
    REASON_LENGTH,
    PaymentEvent,
    PaymentIntent,
    Refund,
)
from orchid.services.payments.providers import (
    CodProvider,
    PaymentProvider,
    ProviderResult,
    Reference,
)
from orchid.services.payments.sandbox import SandboxProvider, sandbox_webhook_secret
from orchid.services.payments.schemas import (
    CardMethod,
    CodMethod,
    IntentRead,
    Outcome,
    PaymentMethod,
    WebhookOutcome,
)

if TYPE_CHECKING:
    from orchid.platform import Resources
    from orchid.services.payments.peers import Peers

OnSettled = Callable[[str, Outcome], Awaitable[None]]
CURRENCY = "INR"
MAX_AMOUNT_PAISE = 1_000_000_000  # ₹1 crore; far above any basket, well inside a 32-bit column
CLAIM_ATTEMPTS = 3
log = structlog.get_logger("orchid.payments")


class PaymentsService:
    """Payment intents, provider webhooks and refunds; the interface orders calls."""

    def __init__(self, *, db: Database, card: PaymentProvider, cod: PaymentProvider,
                 on_settled: OnSettled, clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.card, self.cod = db, card, cod
        self.on_settled, self.clock = on_settled, clock

    # -- the interface ----------------------------------------------------------------------

    @exposed(idempotent=True)
    async def create_intent(self, *, order_number: str, customer_id: str, amount_paise: int,
                            method: PaymentMethod) -> IntentRead:
        """Start paying for an order; the same order number returns its existing intent."""
        _check_new(order_number=order_number, customer_id=customer_id, amount_paise=amount_paise)
        provider = self.cod if isinstance(method, CodMethod) else self.card
        intent, claimed = await self._claim(order_number=order_number, customer_id=customer_id,
                                            amount_paise=amount_paise, provider=provider.name,
                                            method=method)
        if not claimed:
            _check_same(intent, customer_id=customer_id, amount_paise=amount_paise,
                        provider=provider.name)
            return IntentRead.model_validate(intent)
        try:
            result = await provider.create_intent(
                reference=Reference(intent.public_id, order_number), amount_paise=amount_paise,
                currency=CURRENCY, method=method)
        except InvalidInput:
            # Refused before anything happened at the provider: leave no trace, so a retry
            # gets the same answer instead of a dead intent.
            async with self.db.write() as s:
                await repository.delete_intent(s, intent_id=intent.id)
            raise
        return await self._record(order_number, result)

    @exposed(idempotent=True)
    async def get_intent(self, *, order_number: str) -> IntentRead | None:
        """Return the intent of an order, if it has one."""
        intent = await self.db.read(lambda s: repository.get_intent(s, order_number=order_number))
        return IntentRead.model_validate(intent) if intent is not None else None

    @exposed(idempotent=True)
    async def cancel_intent(self, *, order_number: str) -> IntentRead | None:
        """Cancel an unpaid intent (pending, awaiting 3-D Secure, or COD); repeats are no-ops."""
        async with self.db.write() as s:
            intent = await repository.lock_intent(s, order_number=order_number)
            if intent is None:
                return None
            if intent.status != "cancelled":
                states.move(intent, "cancelled")
        log.info("payment_intent_cancelled", order_number=order_number)
        return IntentRead.model_validate(intent)

    @exposed()
    async def refund(self, *, order_number: str, amount_paise: int, reason: str) -> IntentRead:
        """Return part or all of a succeeded payment; full refunds make the intent refunded."""
        reason = _check_refund(amount_paise=amount_paise, reason=reason)
        async with self.db.write() as s:
            intent = _existing(await repository.lock_intent(s, order_number=order_number))
            if intent.status != "succeeded":
                raise IllegalTransition(f"A {intent.status} payment cannot be refunded.",
                                        current=intent.status, target="refunded")
            refundable = intent.amount_paise - await repository.committed_refunds(
                s, intent_id=intent.id)
            if amount_paise > refundable:
                raise RefundTooLarge(f"At most {refundable} paise can still be refunded.",
                                     refundable_paise=refundable)
            # Written before the provider call, so it counts against the amount meanwhile.
            refund = await repository.add(s, Refund(intent_id=intent.id, amount_paise=amount_paise,
                                                    status="pending", reason=reason))
        result = await self._provider(intent.provider).refund(
            reference=Reference(intent.public_id, order_number), provider_ref=intent.provider_ref,
            refund_id=refund.public_id, amount_paise=amount_paise)
        async with self.db.write() as s:
            intent = _existing(await repository.lock_intent(s, order_number=order_number))
            row = await repository.get_refund(s, public_id=refund.public_id)
            assert row is not None  # refunds are never deleted
            row.provider_ref = result.provider_ref
            if row.status == "pending" and result.status in ("succeeded", "failed"):
                row.status = result.status
            await events.finish_refunds(s, intent)
        log.info("payment_refunded", order_number=order_number, amount_paise=amount_paise,
                 refund_status=row.status, status=intent.status)
        return IntentRead.model_validate(intent)

    @exposed()
    async def retry_settlements(self, *, limit: int = 100) -> int:
        """Tell orders the settlements it has not yet taken; return how many it took now."""
        pending = await self.db.read(lambda s: repository.unnotified_events(s, limit=limit))
        done = 0
        for event, intent in pending:
            outcome = events.OUTCOMES.get(event.type)
            if outcome is not None and await self._notify(event.id, intent.order_number, outcome):
                done += 1
        return done

    # -- webhooks -----------------------------------------------------------------------------

    async def handle_webhook(self, *, raw_body: bytes, signature_header: str) -> WebhookOutcome:
        """Verify a provider event, apply it once, then tell orders how the payment ended."""
        now = self.clock()
        event = self.card.verify_webhook(raw_body=raw_body, signature_header=signature_header,
                                         now=now)
        try:
            async with self.db.write() as s:
                intent = await repository.lock_intent_by_public_id(
                    s, public_id=event.data.intent_id)
                if intent is None:
                    raise IntentNotFound("The event names no known payment intent.")
                if await repository.event_seen(s, event_id=event.id):
                    raise WebhookReplayed("This event was received before.", event_id=event.id)
                applied = await events.apply(s, intent, event)
                outcome = events.settlement(intent, event.type)
                row = await repository.add(s, PaymentEvent(
                    event_id=event.id, type=event.type, intent_id=intent.id,
                    payload=json.loads(raw_body), received_at=now,
                    notified_at=None if outcome is not None else now))
        except IntegrityError as exc:
            # A concurrent delivery of the same event recorded it first.
            raise WebhookReplayed("This event was received before.", event_id=event.id) from exc
        log.info("payment_event_applied", event_id=event.id, event_type=event.type,
                 order_number=intent.order_number, status=intent.status, applied=applied)
        if outcome is not None:
            await self._notify(row.id, intent.order_number, outcome)
        return WebhookOutcome(event_id=event.id, type=event.type, applied=applied,
                              intent=IntentRead.model_validate(intent))

    async def _notify(self, event_pk: int, order_number: str, outcome: Outcome) -> bool:
        try:
            await self.on_settled(order_number, outcome)
        except Exception as exc:
            # The event is recorded either way; `retry_settlements` sends it again later, so
            # the provider is not asked to resend what we already have.
            log.warning("payment_settlement_failed", order_number=order_number, outcome=outcome,
                        error=exc.code if isinstance(exc, OrchidError) else repr(exc))
            return False
        async with self.db.write() as s:
            row = await repository.get_event(s, pk=event_pk)
            if row is not None:
                row.notified_at = self.clock()
        return True

    # -- the sandbox's 3-D Secure page ----------------------------------------------------

    async def get_challenge(self, *, intent_id: str) -> IntentRead:
        """Return a sandbox intent by public id, for the fake bank page."""
        intent = await self.db.read(
            lambda s: repository.get_intent_by_public_id(s, public_id=intent_id))
        if intent is None or intent.provider != SandboxProvider.name:
            raise IntentNotFound("No sandbox payment has this id.")
        return IntentRead.model_validate(intent)

    async def complete_challenge(self, *, intent_id: str, approve: bool) -> IntentRead:
        """Answer the sandbox's 3-D Secure challenge; the outcome arrives as a webhook."""
        sandbox = self.card
        if not isinstance(sandbox, SandboxProvider):
            raise IntentNotFound("No sandbox payment has this id.")
        async with self.db.write() as s:
            intent = await repository.lock_intent_by_public_id(s, public_id=intent_id)
            if intent is None or intent.provider != sandbox.name:
                raise IntentNotFound("No sandbox payment has this id.")
            if intent.status != "requires_action":
                raise IllegalTransition(f"This payment is {intent.status}; nothing to confirm.",
                                        current=intent.status, target="succeeded")
        await sandbox.complete_challenge(reference=Reference(intent.public_id,
                                                             intent.order_number),
                                         amount_paise=intent.amount_paise, approve=approve)
        return IntentRead.model_validate(intent)

    # -- steps ----------------------------------------------------------------------------------

    async def _claim(self, *, order_number: str, customer_id: str, amount_paise: int,
                     provider: str, method: CodMethod | CardMethod) -> tuple[PaymentIntent, bool]:
        """Insert the order's pending intent, or return the one already there (and False)."""
        card = method if isinstance(method, CardMethod) else None
        for _ in range(CLAIM_ATTEMPTS):
            try:
                async with self.db.write() as s:
                    existing = await repository.get_intent(s, order_number=order_number)
                    if existing is not None:
                        return existing, False
                    return await repository.add(s, PaymentIntent(
                        order_number=order_number, customer_id=customer_id, provider=provider,
                        status="pending", amount_paise=amount_paise, currency=CURRENCY,
                        card_brand=card.brand if card else None,
                        card_last4=card.last4 if card else None)), True
            except IntegrityError:
                # A concurrent call claimed the order between our read and insert: theirs wins.
                async with self.db.write() as s:
                    winner = await repository.get_intent(s, order_number=order_number)
                if winner is not None:
                    return winner, False
                # The winner's claim was refused by the provider and dropped: claim again.
        raise IntentMismatch("The payment for this order is being changed; try again.")

    async def _record(self, order_number: str, result: ProviderResult) -> IntentRead:
        """Store the provider's answer on the claimed intent."""
        async with self.db.write() as s:
            intent = _existing(await repository.lock_intent(s, order_number=order_number))
            intent.provider_ref = intent.provider_ref or result.provider_ref
            # The provider's webhook may have overtaken its own answer; then it already moved.
            if intent.status == "pending" and result.status != "pending":
                states.move(intent, result.status)
                intent.next_action_url = result.next_action_url
                intent.failure_code = result.decline_code
            elif intent.status not in ("pending", result.status):
                # Cancelled (by the sweeper) while the provider answered: staff reconcile.
                log.warning("payment_answer_conflicts", order_number=order_number,
                            status=intent.status, provider_status=result.status)
        log.info("payment_intent_created", order_number=order_number, provider=intent.provider,
                 status=intent.status, card_brand=intent.card_brand, card_last4=intent.card_last4)
        return IntentRead.model_validate(intent)

    def _provider(self, name: str) -> PaymentProvider:
        return self.cod if name == self.cod.name else self.card

    async def close(self) -> None:
        """Let the providers finish their background work while the database is still open."""
        await self.card.close()
        await self.cod.close()


def _existing(intent: PaymentIntent | None) -> PaymentIntent:
    if intent is None:
        raise IntentNotFound("This order has no payment.")
    return intent


def _check_new(*, order_number: str, customer_id: str, amount_paise: int) -> None:
    if not 0 < amount_paise <= MAX_AMOUNT_PAISE:
        raise InvalidInput("The amount must be a positive number of paise.",
                           code="invalid_amount")
    if not 0 < len(order_number) <= ORDER_NUMBER_LENGTH:
        raise InvalidInput("The order number is missing or too long.", code="invalid_order")
    if not 0 < len(customer_id) <= CUSTOMER_ID_LENGTH:
        raise InvalidInput("The customer id is missing or too long.", code="invalid_customer")


def _check_same(intent: PaymentIntent, *, customer_id: str, amount_paise: int,
                provider: str) -> None:
    if (intent.customer_id, intent.amount_paise, intent.provider) != (
            customer_id, amount_paise, provider):
        raise IntentMismatch("This order already has a payment with other details.")


def _check_refund(*, amount_paise: int, reason: str) -> str:
    reason = reason.strip()
    if amount_paise <= 0:
        raise InvalidInput("The refund must be a positive number of paise.",
                           code="invalid_amount")
    if not 0 < len(reason) <= REASON_LENGTH:
        raise InvalidInput(f"Give a reason of at most {REASON_LENGTH} characters.",
                           code="invalid_reason")
    return reason


def build(resources: Resources, peers: Peers) -> PaymentsService:
    """Assemble payments: the main DB, the sandbox card provider, COD, and orders' settlement."""
    delivery = BackgroundDelivery()
    secret = sandbox_webhook_secret(resources.settings.require_secret_key())

    async def settle(order_number: str, outcome: Outcome) -> None:
        await peers.orders.settle_payment(order_number=order_number, outcome=outcome)

    service = PaymentsService(db=resources.main_db,
                              card=SandboxProvider(secret=secret, delivery=delivery),
                              cod=CodProvider(), on_settled=settle)
    delivery.connect(service.handle_webhook)
    return service
