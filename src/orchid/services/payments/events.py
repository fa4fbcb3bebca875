"""Apply a verified provider event to its (locked) intent, inside the caller's transaction."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.services.payments import repository, states
from orchid.services.payments.errors import WebhookMalformed
from orchid.services.payments.models import PaymentIntent
from orchid.services.payments.schemas import EventType, Outcome, WebhookEvent

OUTCOMES: dict[str, Outcome] = {"payment.succeeded": "succeeded", "payment.failed": "failed"}
log = structlog.get_logger("orchid.payments")


async def apply(s: AsyncSession, intent: PaymentIntent, event: WebhookEvent) -> bool:
    """Change the intent as the event says; False when it already had (or is past) that state."""
    _check_matches(intent, event)
    if event.type == "refund.succeeded":
        return await _apply_refund(s, intent, event)
    target = OUTCOMES[event.type]
    if intent.status == target or (target, intent.status) == ("succeeded", "refunded"):
        return False  # the synchronous answer, or an earlier event, got here first
    if intent.status not in states.OPEN:
        # A final intent is not reopened; staff reconcile from the recorded event and this line.
        log.warning("payment_event_conflicts", order_number=intent.order_number,
                    status=intent.status, event_type=event.type, event_id=event.id)
        return False
    states.move(intent, target)
    if target == "failed":
        intent.failure_code = event.data.failure_code or "payment_failed"
    return True


def settlement(intent: PaymentIntent, event_type: EventType) -> Outcome | None:
    """Return what to tell orders after the event: its outcome, if the intent now has it."""
    outcome = OUTCOMES.get(event_type)
    return outcome if outcome is not None and intent.status == outcome else None


async def finish_refunds(s: AsyncSession, intent: PaymentIntent) -> None:
    """Mark the intent refunded once confirmed refunds add up to its amount."""
    await s.flush()
    refunded = await repository.refunded(s, intent_id=intent.id)
    if intent.status == "succeeded" and refunded >= intent.amount_paise:
        states.move(intent, "refunded")


def _check_matches(intent: PaymentIntent, event: WebhookEvent) -> None:
    # Signed by our provider, so a mismatch is a bug on one side: refuse rather than guess.
    same_amount = event.type == "refund.succeeded" or event.data.amount_paise == intent.amount_paise
    if event.data.order_number != intent.order_number or not same_amount:
        raise WebhookMalformed("The event does not match its payment intent.",
                               code="webhook_mismatch")


async def _apply_refund(s: AsyncSession, intent: PaymentIntent, event: WebhookEvent) -> bool:
    refund_id = event.data.refund_id
    refund = await repository.get_refund(s, public_id=refund_id) if refund_id else None
    if refund is None or refund.intent_id != intent.id:
        raise WebhookMalformed("The event names no refund of this payment.")
    if refund.status == "succeeded":
        return False
    refund.status = "succeeded"
    await finish_refunds(s, intent)
    return True
