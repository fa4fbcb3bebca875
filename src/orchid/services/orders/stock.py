"""An order's stock in the inventory service: hold it, ship it, give it back.

    reservation = await reserve_live(inventory, key, lines)    # an active reservation, re-keyed
                                                               # past one that lapsed
    await secure_stock(db, peers, number)                      # confirmed order → allocated
    await give_back(db, peers, number, reason="customer")      # cancelled order → stock back

Every step is idempotent and may run in several processes at once (a retry, a webhook, the
sweeper): inventory's calls are idempotent on the reservation key, and the order's bookkeeping
changes under its row lock.
"""

from __future__ import annotations

from functools import partial

import structlog

from orchid.kit.db import Database
from orchid.kit.errors import Conflict
from orchid.services.inventory.schemas import ReservationRead, ReserveLine
from orchid.services.orders import repository, transitions
from orchid.services.orders.errors import OrderNotFound
from orchid.services.orders.identifiers import next_reservation_key
from orchid.services.orders.models import Order
from orchid.services.orders.payment import refund_if_paid
from orchid.services.orders.peers import Inventory, Peers

log = structlog.get_logger("orchid.orders")
RESERVATION_TTL_SECONDS = 900
LAPSED = ("released", "expired")


async def reserve_live(inventory: Inventory, key: str,
                       lines: list[ReserveLine]) -> ReservationRead:
    """Reserve `lines` under `key`, or under the next derived key while the found one lapsed.

    Inventory's `reserve` answers a known key with its reservation even when it was released,
    so a checkout retried after its hold expired needs a new key to hold stock again (the
    chain of keys is finite: `next_reservation_key` gives up with 409 `reservation_lapsed`).
    """
    while True:
        reservation = await inventory.reserve(key=key, lines=lines,
                                              ttl_seconds=RESERVATION_TTL_SECONDS)
        if reservation.status not in LAPSED:
            return reservation
        key = next_reservation_key(key)


async def order_lines(db: Database, number: str) -> tuple[Order, list[ReserveLine]]:
    """Return the order (as committed) and its lines as reservation lines."""
    async with db.write() as session:
        order = await repository.get_order(session, number=number)
        if order is None:
            raise OrderNotFound(order_number=number)
        lines = await repository.get_lines(session, order_id=order.id)
    return order, [ReserveLine(sku=line.sku, quantity=line.quantity) for line in lines]


async def secure_stock(db: Database, peers: Peers, number: str) -> Order:
    """Allocate a confirmed order's reservation, holding stock again if it lapsed meanwhile."""
    order, lines = await order_lines(db, number)
    if order.status != "confirmed" or order.allocated:
        return order
    key = order.reservation_key
    while True:
        try:
            await peers.inventory.allocate(key=key)
            break
        except Conflict as exc:
            if exc.code != "reservation_released":
                raise
        # Paid after the hold lapsed (a slow 3-D Secure, a late webhook): take the units again,
        # unless the order was cancelled in the meantime.
        order = await transitions.current(db, number=number)
        if order.status != "confirmed" or order.allocated:
            return order
        try:
            fresh = await reserve_live(peers.inventory, next_reservation_key(key), lines)
        except Conflict as exc:
            if exc.code != "out_of_stock":
                raise
            return await _cancel_unfillable(db, peers, number)
        # Recorded before allocating: after a crash between the two, the sweeper finds a
        # confirmed, unallocated order whose key names the new reservation, and allocates it.
        key = fresh.key
        await transitions.update(db, number=number, change=partial(_set_key, key))
    order, _ = await transitions.update(db, number=number, change=_mark_allocated)
    return order


def _set_key(key: str, order: Order) -> bool:
    order.reservation_key = key
    return True


def _mark_allocated(order: Order) -> bool:
    # A fact about stock, recorded whatever the status: a cancelled order with allocated units
    # is found by the sweeper, which gives them back.
    if order.allocated:
        return False
    order.allocated = True
    return True


def _claim_return(order: Order) -> bool:
    # Under the row lock: of two processes giving a cancelled order's units back, one claims.
    if order.stock_returned or not order.allocated:
        return False
    order.stock_returned = True
    return True


async def _cancel_unfillable(db: Database, peers: Peers, number: str) -> Order:
    order, moved = await transitions.move(
        db, number=number, to="cancelled", actor=transitions.SYSTEM, reason="out_of_stock",
        decide=transitions.only_from("confirmed", "pending_payment"))
    if moved:
        log.warning("order_cancelled_out_of_stock", order_number=number)
        await refund_if_paid(peers, order, reason="out_of_stock")
    return order


async def give_back(db: Database, peers: Peers, number: str, *, reason: str) -> Order:
    """Release a cancelled order's reservation, or put its allocated units back on hand."""
    order = await transitions.current(db, number=number)
    if order.status != "cancelled":
        return order
    if not order.allocated:
        try:
            await peers.inventory.release(key=order.reservation_key, reason=reason)
            return order
        except Conflict as exc:
            if exc.code != "reservation_allocated":
                raise
        # An allocation won the race with our release: record it, then give the units back.
        await transitions.update(db, number=number, change=_mark_allocated)
    order, claimed = await transitions.update(db, number=number, change=_claim_return)
    if claimed:
        await _restock(peers, order, reason=reason)
    return order


async def _restock(peers: Peers, order: Order, *, reason: str) -> None:
    # Inventory has no "undo an allocation" call yet, so each line goes back as a restock to
    # the warehouse it left. The claim comes first: if a restock fails, units stay missing
    # (logged for staff), which can never oversell, where a retry could count them twice.
    reservation = await peers.inventory.allocate(key=order.reservation_key)
    for line in reservation.lines:
        try:
            await peers.inventory.restock(
                warehouse_code=line.warehouse_code, sku=line.sku, quantity=line.quantity,
                actor="orders", note=f"{order.number} cancelled ({reason})"[:200])
        except Exception:
            log.exception("order_stock_return_failed", order_number=order.number,
                          sku=line.sku, quantity=line.quantity,
                          warehouse_code=line.warehouse_code)
            raise
