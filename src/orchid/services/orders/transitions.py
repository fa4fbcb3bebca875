"""Every change to a stored order: lock its row, check, change, record; one transaction each.

    order, moved = await move(db, number="OR-…", to="confirmed", actor="system", reason="cod",
                              decide=unless_in("confirmed", "packed"))

Locking the row (`SELECT … FOR UPDATE`; the write lock on SQLite) makes the sweeper, a late
webhook and the customer queue on the order, so exactly one of them moves it.
"""

from __future__ import annotations

from collections.abc import Callable

from orchid.kit.db import Database
from orchid.kit.orm import utcnow
from orchid.services.orders import repository
from orchid.services.orders.errors import OrderNotFound
from orchid.services.orders.models import Order
from orchid.services.orders.states import OrderStatus, check_move

# Given the locked order: True → move it, False → leave it as it is, raise → refuse.
Decide = Callable[[Order], bool]
SYSTEM = "system"


def strict(order: Order) -> bool:
    """Always try to move (the state machine refuses what it does not allow)."""
    del order
    return True


def unless_in(*statuses: OrderStatus) -> Decide:
    """Move unless the order is already in one of `statuses` (makes a move repeatable)."""

    def decide(order: Order) -> bool:
        return order.status not in statuses

    return decide


def only_from(*statuses: OrderStatus) -> Decide:
    """Move only from one of `statuses`; leave any other order alone."""

    def decide(order: Order) -> bool:
        return order.status in statuses

    return decide


async def move(db: Database, *, number: str, to: OrderStatus, actor: str, reason: str,
               decide: Decide = strict,
               change: Callable[[Order], None] | None = None) -> tuple[Order, bool]:
    """Move the order to `to` if `decide` says so; return it and whether it moved."""
    async with db.write() as session:
        order = await repository.get_order(session, number=number, lock=True)
        if order is None:
            raise OrderNotFound(order_number=number)
        if not decide(order):
            return order, False
        previous = order.status
        check_move(previous, to)
        now = utcnow()
        order.status, order.updated_at = to, now
        if change is not None:
            change(order)
        repository.add_event(session, order=order, from_status=previous, actor=actor,
                             reason=reason, now=now)
        return order, True


async def update(db: Database, *, number: str,
                 change: Callable[[Order], bool]) -> tuple[Order, bool]:
    """Let `change` edit a locked order's bookkeeping (not its status); True if it did."""
    async with db.write() as session:
        order = await repository.get_order(session, number=number, lock=True)
        if order is None:
            raise OrderNotFound(order_number=number)
        changed = change(order)
        if changed:
            order.updated_at = utcnow()
        return order, changed


async def current(db: Database, *, number: str) -> Order:
    """Return the order as committed on the primary (not a replica that may lag)."""
    async with db.write() as session:
        order = await repository.get_order(session, number=number)
        if order is None:
            raise OrderNotFound(order_number=number)
        return order
