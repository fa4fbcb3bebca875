"""Payments queries; every function takes the session first and only talks SQL."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.services.payments.models import PaymentEvent, PaymentIntent, Refund

RowT = TypeVar("RowT", PaymentIntent, PaymentEvent, Refund)


async def add(s: AsyncSession, row: RowT) -> RowT:
    """Insert `row` now, so constraint violations surface here and its id is known."""
    s.add(row)
    await s.flush()
    return row


async def get_intent(s: AsyncSession, *, order_number: str) -> PaymentIntent | None:
    """Return the intent of an order."""
    return await s.scalar(select(PaymentIntent).where(PaymentIntent.order_number == order_number))


async def get_intent_by_public_id(s: AsyncSession, *, public_id: str) -> PaymentIntent | None:
    """Return the intent with this public id."""
    return await s.scalar(select(PaymentIntent).where(PaymentIntent.public_id == public_id))


async def lock_intent(s: AsyncSession, *, order_number: str) -> PaymentIntent | None:
    """Return the intent of an order, locked for update."""
    # Every change to an intent (checkout, webhook, sweeper, refund) queues on this row lock.
    query = select(PaymentIntent).where(PaymentIntent.order_number == order_number)
    return await s.scalar(query.with_for_update())


async def lock_intent_by_public_id(s: AsyncSession, *, public_id: str) -> PaymentIntent | None:
    """Return the intent with this public id, locked for update."""
    query = select(PaymentIntent).where(PaymentIntent.public_id == public_id)
    return await s.scalar(query.with_for_update())


async def delete_intent(s: AsyncSession, *, intent_id: int) -> None:
    """Delete an intent that never reached the provider."""
    await s.execute(delete(PaymentIntent).where(PaymentIntent.id == intent_id))


async def event_seen(s: AsyncSession, *, event_id: str) -> bool:
    """True when an event with this id was recorded."""
    found = await s.scalar(select(PaymentEvent.id).where(PaymentEvent.event_id == event_id))
    return found is not None


async def unnotified_events(s: AsyncSession, *,
                            limit: int) -> list[tuple[PaymentEvent, PaymentIntent]]:
    """Return the oldest events whose settlement orders has not yet taken, with their intent."""
    query = (select(PaymentEvent, PaymentIntent)
             .join(PaymentIntent, PaymentIntent.id == PaymentEvent.intent_id)
             .where(PaymentEvent.notified_at.is_(None))
             .order_by(PaymentEvent.id).limit(limit))
    return [(event, intent) for event, intent in (await s.execute(query)).all()]


async def get_event(s: AsyncSession, *, pk: int) -> PaymentEvent | None:
    """Return the event with this internal id."""
    return await s.get(PaymentEvent, pk)


async def committed_refunds(s: AsyncSession, *, intent_id: int) -> int:
    """Return the paise refunded or being refunded on an intent."""
    query = (select(func.coalesce(func.sum(Refund.amount_paise), 0))
             .where(Refund.intent_id == intent_id, Refund.status != "failed"))
    return int(await s.scalar(query) or 0)


async def refunded(s: AsyncSession, *, intent_id: int) -> int:
    """Return the paise whose refund the provider confirmed."""
    query = (select(func.coalesce(func.sum(Refund.amount_paise), 0))
             .where(Refund.intent_id == intent_id, Refund.status == "succeeded"))
    return int(await s.scalar(query) or 0)


async def get_refund(s: AsyncSession, *, public_id: str) -> Refund | None:
    """Return the refund with this public id."""
    return await s.scalar(select(Refund).where(Refund.public_id == public_id))
