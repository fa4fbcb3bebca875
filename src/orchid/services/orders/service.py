"""The orders service: checkout, order history, the status machine, and the sweeper's chores.

    orders = build(resources, peers)
    result = await orders.checkout(customer_id="…", idempotency_key="9f1c…", address_id="…",
                                   payment=CodMethod(type="cod"))
    await orders.settle_payment(order_number=result.order.number, outcome="succeeded")
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.db import Database
from orchid.kit.errors import InvalidInput, OrchidError
from orchid.kit.metrics import CHECKOUT_ATTEMPTS
from orchid.kit.orm import utcnow
from orchid.kit.pagination import decode_cursor, encode_cursor
from orchid.kit.placement import exposed
from orchid.platform import Resources
from orchid.services.orders import events, reads, repository, stock, transitions
from orchid.services.orders.checkout import Attempt, Checkout, Faults, Method
from orchid.services.orders.errors import IllegalTransition, OrderNotFound
from orchid.services.orders.identifiers import normalise_number
from orchid.services.orders.models import Order
from orchid.services.orders.payment import refund_if_paid, stop_payment
from orchid.services.orders.peers import Peers
from orchid.services.orders.schemas import CheckoutResult, OrderPage, OrderQuery, OrderRead
from orchid.services.orders.states import CUSTOMER_CANCELLABLE, STAFF_TARGETS, OrderStatus
from orchid.services.payments.schemas import Outcome

log = structlog.get_logger("orchid.orders")
MAX_SWEEP_BATCH = 5000
SWEEPER = "sweeper"
_Work = Callable[[str], Awaitable[Order]]
_Done = Callable[[Order], bool]


class OrdersService:
    """Orders from checkout to delivery, and the saga that keeps stock and money in step."""

    def __init__(self, *, db: Database, peers: Peers,
                 faults: Faults | None = None) -> None:
        self.db, self.peers = db, peers
        self._checkout = Checkout(db=db, peers=peers, faults=faults, read=self._read)

    @exposed()
    async def checkout(self, *, customer_id: str, idempotency_key: str, address_id: str,
                       payment: Method) -> CheckoutResult:
        """Turn the customer's cart into an order (idempotent on their Idempotency-Key)."""
        try:
            result = await self._checkout.run(Attempt(customer_id=customer_id,
                                                      idempotency_key=idempotency_key,
                                                      address_id=address_id, method=payment))
        except OrchidError as exc:
            CHECKOUT_ATTEMPTS.labels("refused" if exc.status < 500 else "failed").inc()
            raise
        except Exception:
            CHECKOUT_ATTEMPTS.labels("failed").inc()
            raise
        CHECKOUT_ATTEMPTS.labels("placed").inc()
        return result

    @exposed()
    async def settle_payment(self, *, order_number: str, outcome: Outcome) -> OrderRead:
        """Apply a payment's outcome to its order; settling again changes nothing."""
        if outcome == "succeeded":
            order, _ = await transitions.move(
                self.db, number=order_number, to="confirmed", actor="payments",
                reason=events.PAID_REASON,
                decide=transitions.only_from("pending_payment"))
            if order.status == "cancelled":
                # Paid after the order was given up (expired, declined twice): money goes back.
                await refund_if_paid(self.peers, order, reason="order_cancelled")
            elif order.status == "confirmed":
                await stock.secure_stock(self.db, self.peers, order_number)
        else:
            order, _ = await transitions.move(
                self.db, number=order_number, to="cancelled", actor="payments",
                reason="payment_failed", decide=transitions.only_from("pending_payment"))
            if order.status == "cancelled":
                await stock.give_back(self.db, self.peers, order_number,
                                      reason="payment_failed")
        return await self._read(order_number)

    # -- reading ------------------------------------------------------------------------------

    @exposed(idempotent=True)
    async def get_order(self, *, number: str, customer_id: str | None = None) -> OrderRead:
        """Return an order; with `customer_id`, only if it is theirs (else 404)."""
        canonical = normalise_number(number)
        found = await self._read(canonical) if canonical else None
        if found is None or (customer_id is not None and found.customer_id != customer_id):
            raise OrderNotFound(order_number=number)
        return found

    @exposed(idempotent=True)
    async def list_orders(self, *, query: OrderQuery, customer_id: str | None = None) -> OrderPage:
        """Return a page of orders, newest first: a customer's, or everyone's for staff."""
        after = None
        if query.cursor is not None:
            created, last_id = decode_cursor(query.cursor, sort="newest",
                                             key_types=(datetime, int))
            after = (created, last_id)
        rows = await self.db.read(lambda s: repository.list_orders(
            s, customer_id=customer_id, status=query.status, after=after,
            limit=query.limit + 1))
        page = rows[:query.limit]
        next_cursor = None
        if len(rows) > query.limit:
            last: Order = page[-1][0]
            next_cursor = encode_cursor("newest", [last.created_at, last.id])
        return OrderPage(items=[reads.summary(order, count) for order, count in page],
                         next_cursor=next_cursor)

    async def _read(self, number: str) -> OrderRead:
        async def load(session: AsyncSession) -> OrderRead | None:
            order = await repository.get_order(session, number=number)
            return await reads.load(session, order) if order else None

        found = await self.db.read(load)
        if found is None:
            raise OrderNotFound(order_number=number)
        return found

    # -- customer and staff changes -----------------------------------------------------------

    @exposed()
    async def cancel(self, *, number: str, customer_id: str | None, actor: str,
                     reason: str = "") -> OrderRead:
        """Cancel an order before packing: stop or refund its payment, give its stock back."""
        order = await self.get_order(number=number, customer_id=customer_id)

        def decide(row: Order) -> bool:
            if row.status == "cancelled":
                return False  # repeating a cancel finishes its follow-ups below
            if row.status not in CUSTOMER_CANCELLABLE:
                raise IllegalTransition(f"a {row.status} order can no longer be cancelled",
                                        current=row.status, target="cancelled")
            return True

        row, _ = await transitions.move(self.db, number=order.number, to="cancelled",
                                        actor=actor, reason=reason or "cancelled",
                                        decide=decide)
        await stop_payment(self.peers, row, reason=reason or "order_cancelled")
        await stock.give_back(self.db, self.peers, row.number, reason=reason or "cancel")
        return await self._read(row.number)

    @exposed()
    async def transition(self, *, number: str, to: OrderStatus, actor: str,
                         reason: str = "") -> OrderRead:
        """Move an order along fulfilment (staff); refunding pays back a card payment."""
        if to not in STAFF_TARGETS:
            raise IllegalTransition(f"staff cannot move an order to {to}", target=to)
        if to == "cancelled":
            return await self.cancel(number=number, customer_id=None, actor=actor, reason=reason)
        order = await self.get_order(number=number)
        row, _ = await transitions.move(self.db, number=order.number, to=to, actor=actor,
                                        reason=reason)
        if to == "refunded":
            await refund_if_paid(self.peers, row, reason=reason or "returned")
        return await self._read(row.number)

    # -- the sweeper's chores -----------------------------------------------------------------

    @exposed()
    async def cancel_expired(self, *, now: datetime | None = None,
                             limit: int = 500) -> list[str]:
        """Cancel orders still unpaid past their expiry; return their numbers."""
        moment = _check_sweep(now, limit)
        numbers = await self.db.read(
            lambda s: repository.expired_pending(s, now=moment, limit=limit))
        cancelled: list[str] = []
        for number in numbers:
            try:
                if await self._expire(number, moment):
                    cancelled.append(number)
            except Exception:  # one stuck order must not stop the sweep
                log.exception("order_expiry_failed", order_number=number)
        if cancelled:
            log.info("orders_expired", count=len(cancelled))
        return cancelled

    async def _expire(self, number: str, now: datetime) -> bool:
        order = await transitions.current(self.db, number=number)
        # Stop the payment first: one that succeeded meanwhile settles the order instead.
        intent = await stop_payment(self.peers, order, reason="payment_expired")
        if intent is not None and intent.status in ("succeeded", "refunded"):
            if intent.status == "succeeded":
                await self.settle_payment(order_number=number, outcome="succeeded")
            return False

        def decide(row: Order) -> bool:
            return row.status == "pending_payment" and row.expires_at < now

        _, moved = await transitions.move(self.db, number=number, to="cancelled",
                                          actor=SWEEPER, reason="payment_expired",
                                          decide=decide)
        await stock.give_back(self.db, self.peers, number, reason="payment_expired")
        return moved

    @exposed()
    async def finish_allocations(self, *, limit: int = 500) -> list[str]:
        """Allocate the stock of confirmed orders whose allocation was not recorded."""
        _check_sweep(None, limit)
        numbers = await self.db.read(lambda s: repository.unallocated_confirmed(s, limit=limit))
        return await self._each(numbers, "order_allocation_failed",
                                lambda n: stock.secure_stock(self.db, self.peers, n),
                                lambda order: order.allocated)

    @exposed()
    async def finish_returns(self, *, limit: int = 500) -> list[str]:
        """Give back the allocated units of cancelled orders that still hold them."""
        _check_sweep(None, limit)
        numbers = await self.db.read(lambda s: repository.cancelled_holding_stock(s, limit=limit))
        return await self._each(numbers, "order_stock_return_failed",
                                lambda n: stock.give_back(self.db, self.peers, n,
                                                          reason="sweeper"),
                                lambda order: order.stock_returned)

    async def _each(self, numbers: list[str], event: str, work: _Work,
                    done: _Done) -> list[str]:
        finished: list[str] = []
        for number in numbers:
            try:
                if done(await work(number)):
                    finished.append(number)
            except Exception:  # one stuck order must not stop the sweep
                log.exception(event, order_number=number)
        return finished


def _check_sweep(now: datetime | None, limit: int) -> datetime:
    if now is not None and now.utcoffset() != timedelta(0):
        raise InvalidInput("now must be an aware UTC datetime", code="naive_datetime")
    if not 1 <= limit <= MAX_SWEEP_BATCH:
        raise InvalidInput(f"limit must be 1..{MAX_SWEEP_BATCH}", code="invalid_limit")
    return now or utcnow()


def build(resources: Resources, peers: Peers) -> OrdersService:
    """Build the orders service on the main database."""
    return OrdersService(db=resources.main_db, peers=peers)
