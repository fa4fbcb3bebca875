"""Orders queries; every function takes the session and keyword-only arguments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.services.orders import events
from orchid.services.orders.models import Order, OrderEvent, OrderLine
from orchid.services.orders.states import OrderStatus


async def get_order(session: AsyncSession, *, number: str, lock: bool = False) -> Order | None:
    """Return the order with `number`, locked FOR UPDATE (and freshly read) when `lock`."""
    stmt = select(Order).where(Order.number == number)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    order: Order | None = (await session.scalars(stmt)).one_or_none()
    return order


async def get_by_key(session: AsyncSession, *, customer_id: str,
                     idempotency_key: str) -> Order | None:
    """Return the customer's order placed under `idempotency_key`."""
    order: Order | None = await session.scalar(select(Order).where(
        Order.customer_id == customer_id, Order.idempotency_key == idempotency_key))
    return order


async def get_lines(session: AsyncSession, *, order_id: int) -> list[OrderLine]:
    """Return an order's lines in the order they were placed."""
    return list(await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)))


async def get_events(session: AsyncSession, *, order_id: int) -> list[OrderEvent]:
    """Return an order's status history, oldest first."""
    return list(await session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)))


async def add_order(session: AsyncSession, *, order: Order, lines: list[OrderLine],
                    actor: str) -> None:
    """Insert an order with its lines and its first event; the unique keys may fail here."""
    session.add(order)
    await session.flush()
    for line in lines:
        line.order_id = order.id
    session.add_all(lines)
    session.add(OrderEvent(order_id=order.id, from_status=None, to_status=order.status,
                           actor=actor, reason="checkout", created_at=order.created_at))
    events.record_status(session, order, from_status=None, reason="checkout",
                         now=order.created_at, lines=lines)
    await session.flush()


def add_event(session: AsyncSession, *, order: Order, from_status: OrderStatus, actor: str,
              reason: str, now: datetime) -> None:
    """Record that `order` moved from `from_status` to its current status."""
    session.add(OrderEvent(order_id=order.id, from_status=from_status, to_status=order.status,
                           actor=actor[:64], reason=reason[:200], created_at=now))
    events.record_status(session, order, from_status=from_status, reason=reason, now=now)


async def list_orders(session: AsyncSession, *, customer_id: str | None, status: str | None,
                      after: tuple[datetime, int] | None, limit: int) -> list[Any]:
    """Return up to `limit` orders newest first after the keyset `after`, with item counts."""
    conditions: list[ColumnElement[bool]] = [true()]
    if customer_id is not None:
        conditions.append(Order.customer_id == customer_id)
    if status is not None:
        conditions.append(Order.status == status)
    if after is not None:
        created, last_id = after
        conditions.append(or_(Order.created_at < created,
                              and_(Order.created_at == created, Order.id < last_id)))
    items = (select(func.coalesce(func.sum(OrderLine.quantity), 0))
             .where(OrderLine.order_id == Order.id).correlate(Order).scalar_subquery())
    stmt = (select(Order, items.label("item_count")).where(*conditions)
            .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit))
    return list((await session.execute(stmt)).all())


async def expired_pending(session: AsyncSession, *, now: datetime, limit: int) -> list[str]:
    """Return numbers of orders still awaiting payment past their expiry, oldest first."""
    return list(await session.scalars(
        select(Order.number).where(Order.status == "pending_payment", Order.expires_at < now)
        .order_by(Order.expires_at, Order.id).limit(limit)))


async def unallocated_confirmed(session: AsyncSession, *, limit: int) -> list[str]:
    """Return numbers of confirmed orders whose stock allocation is not recorded."""
    return list(await session.scalars(
        select(Order.number).where(Order.status == "confirmed", Order.allocated.is_(False))
        .order_by(Order.id).limit(limit)))


async def cancelled_holding_stock(session: AsyncSession, *, limit: int) -> list[str]:
    """Return numbers of cancelled orders whose allocated units were not yet given back."""
    return list(await session.scalars(
        select(Order.number).where(Order.status == "cancelled", Order.allocated.is_(True),
                                   Order.stock_returned.is_(False))
        .order_by(Order.id).limit(limit)))
