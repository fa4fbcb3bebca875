"""Idempotent consumers: a subscriber records each event it applied, in the transaction that
applies it, so a redelivered event (Pub/Sub is at least once; a relay may publish twice)
changes nothing the second time.

    async with db.write() as session:
        if await first_time(session, "daily-sales", event):
            ...apply the event's effect in this same session...

A second delivery — concurrent or later — finds the row (or loses the race on its unique key,
rolled back with the effect) and applies nothing. The rows are the consumer's own: kept in the
database its effects are written to (main: `processed_events`, Alembic 0007).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from orchid.kit.orm import MainBase, UTCDateTime, utcnow
from orchid.kit.outbox import Event


class ProcessedEvent(MainBase):
    """An event a subscription has applied."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("subscription", "event_id",
                                       name="uq_processed_events_subscription"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(64))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


async def first_time(session: AsyncSession, subscription: str, event: Event) -> bool:
    """True (and recorded in this transaction) when `subscription` has not applied `event`.

    A concurrent twin that records it first makes this transaction's flush fail on the unique
    key (IntegrityError): the caller's transaction, effect included, rolls back."""
    found = await session.execute(select(ProcessedEvent.id).where(
        ProcessedEvent.subscription == subscription, ProcessedEvent.event_id == event.id))
    if found.first() is not None:
        return False
    session.add(ProcessedEvent(subscription=subscription, event_id=event.id,
                               event_type=event.type))
    await session.flush()
    return True
