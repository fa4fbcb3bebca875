"""The checkout saga (docs/checkout.md), one named step per method, each safe to repeat.

A replay is looked up first, before the cart is read: the cart of a checkout that succeeded is
already empty, and the answer to a retry must not depend on it. A new checkout then runs
load → reserve → create order → create intent → settle; a retry with the same key resumes at
the first step its order has not passed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.db import Database
from orchid.kit.errors import Conflict, InvalidInput, OrchidError
from orchid.kit.metrics import ORDER_VALUE, ORDERS_PLACED
from orchid.kit.orm import utcnow
from orchid.services.inventory.schemas import ReservationRead, ReserveLine
from orchid.services.orders import events, pricing, repository, stock, transitions
from orchid.services.orders.errors import (
    CartEmpty,
    IdempotencyKeyReused,
    ItemsUnavailable,
    OrderCancelled,
    PaymentDeclined,
    UnknownSkus,
)
from orchid.services.orders.identifiers import fingerprint, new_number, reservation_key
from orchid.services.orders.models import Order, OrderLine
from orchid.services.orders.payment import method_summary, payment_info
from orchid.services.orders.peers import Peers
from orchid.services.orders.reads import priced
from orchid.services.orders.schemas import CheckoutResult, OrderAddress, OrderRead
from orchid.services.payments.schemas import CardMethod, CodMethod, IntentRead

Faults = Callable[[str], Awaitable[None]]
Method = CodMethod | CardMethod
log = structlog.get_logger("orchid.orders")
NUMBER_ATTEMPTS = 3


@dataclass(frozen=True)
class Attempt:
    """One checkout attempt as the customer sent it."""

    customer_id: str
    idempotency_key: str
    address_id: str
    method: Method

    def fingerprint(self, lines: list[pricing.PricedLine]) -> str:
        """Hash this attempt with the priced lines it is for."""
        return fingerprint(
            customer_id=self.customer_id, address_id=self.address_id,
            lines=[(line.sku, line.quantity, line.unit_price_paise) for line in lines],
            payment=method_summary(self.method))


@dataclass(frozen=True)
class Placed:
    """An order found under an attempt's key, with its lines."""

    order: Order
    lines: list[OrderLine]


@dataclass(frozen=True)
class Context:
    """Everything a new order needs, loaded once, then priced by pure functions."""

    lines: list[pricing.PricedLine]
    totals: pricing.Totals
    address: OrderAddress


class Checkout:
    """Runs checkouts; `faults` is called after each named step (tests make it raise)."""

    def __init__(self, *, db: Database, peers: Peers, faults: Faults | None = None,
                 read: Callable[[str], Awaitable[OrderRead]]) -> None:
        self.db, self.peers, self.faults, self.read = db, peers, faults, read

    async def run(self, attempt: Attempt) -> CheckoutResult:
        """Place the order for `attempt`, or return (resume) the one its key placed before."""
        existing = await self.find(attempt, primary=False)
        if existing is not None:
            return await self.resume(existing, attempt)
        try:
            context = await self.load(attempt)
        except CartEmpty:
            # A replica may not have the order whose success emptied the cart yet.
            existing = await self.find(attempt, primary=True)
            if existing is None:
                raise
            return await self.resume(existing, attempt)
        reservation = await self.reserve(attempt, context)
        await self.fault("reserved")
        order = await self.create_order(attempt, context, reservation)
        if isinstance(order, Placed):  # a concurrent twin of this attempt inserted first
            return await self.resume(order, attempt)
        await self.fault("order_created")
        ORDERS_PLACED.labels(order.payment_method).inc()
        ORDER_VALUE.labels(order.payment_method).inc(order.total_paise)
        return await self.advance(order, attempt)

    async def fault(self, step: str) -> None:
        """Give the fault hook its chance to fail after `step`."""
        if self.faults is not None:
            await self.faults(step)

    # -- 1. load and price ------------------------------------------------------------------

    async def load(self, attempt: Attempt) -> Context:
        """Read cart, catalog prices and the address; price the lines."""
        # Both at once; and both finished before answering, even when one fails, so no read
        # is left running on a connection after the request.
        lines, address = await asyncio.gather(
            self.priced_cart(attempt.customer_id),
            self.peers.accounts.get_address(customer_id=attempt.customer_id,
                                               address_id=attempt.address_id),
            return_exceptions=True)
        if isinstance(lines, BaseException):
            raise lines
        if isinstance(address, BaseException):
            raise address
        snapshot = OrderAddress.model_validate(address.model_dump())
        return Context(lines=lines, totals=pricing.totals(lines), address=snapshot)

    async def priced_cart(self, customer_id: str) -> list[pricing.PricedLine]:
        """Return the customer's cart lines re-priced from the catalog."""
        cart = await self.peers.cart.get_lines(cart_id=f"c:{customer_id}")
        wanted: dict[str, int] = {}
        for item in cart:
            wanted[item.sku] = wanted.get(item.sku, 0) + item.quantity
        if not wanted:
            raise CartEmpty("Your cart is empty.")
        # Priced from the database, not the cache the cart page reads: what is charged is the
        # price as it is now, even if an invalidation was lost.
        variants = {v.sku: v for v in
                    await self.peers.catalog.get_variants(skus=sorted(wanted), fresh=True)}
        unknown = sorted(set(wanted) - set(variants))
        if unknown:
            raise UnknownSkus(f"no longer sold: {', '.join(unknown)}", skus=unknown)
        hidden = sorted(sku for sku, v in variants.items() if not v.published)
        if hidden:
            raise ItemsUnavailable(f"no longer available: {', '.join(hidden)}", skus=hidden)
        return [pricing.price_line(
            sku=sku, product_slug=v.product_slug, product_name=v.product_name,
            variant_name=v.name, quantity=quantity, unit_price_paise=v.price_paise,
            unit_mrp_paise=v.mrp_paise, category_path=v.category_path)
            for sku, quantity in sorted(wanted.items()) for v in (variants[sku],)]

    # -- 2. idempotency ---------------------------------------------------------------------

    async def find(self, attempt: Attempt, *, primary: bool) -> Placed | None:
        """Return the order this customer placed under the attempt's key, with its lines."""

        async def query(session: AsyncSession) -> Placed | None:
            order = await repository.get_by_key(session, customer_id=attempt.customer_id,
                                                idempotency_key=attempt.idempotency_key)
            if order is None:
                return None
            return Placed(order, await repository.get_lines(session, order_id=order.id))

        if not primary:
            return await self.db.read(query)
        async with self.db.write() as session:
            return await query(session)

    async def resume(self, placed: Placed, attempt: Attempt) -> CheckoutResult:
        """Continue the order placed under this key, if this is the same request again."""
        if placed.order.fingerprint != attempt.fingerprint([priced(x) for x in placed.lines]):
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for another checkout; use a new key.")
        return await self.advance(placed.order, attempt)

    # -- 3. reserve -------------------------------------------------------------------------

    async def reserve(self, attempt: Attempt, context: Context) -> ReservationRead:
        """Hold the stock (409 out_of_stock, with nothing written, when there is not enough)."""
        key = reservation_key(attempt.customer_id, attempt.idempotency_key)
        lines = [ReserveLine(sku=line.sku, quantity=line.quantity) for line in context.lines]
        try:
            return await stock.reserve_live(self.peers.inventory, key, lines)
        except Conflict as exc:
            if exc.code == "reservation_mismatch":
                # An earlier attempt with this key held other lines: the cart changed since.
                raise IdempotencyKeyReused("The cart changed since this Idempotency-Key was "
                                           "first used; use a new key.") from exc
            raise

    # -- 4. create the order ----------------------------------------------------------------

    async def create_order(self, attempt: Attempt, context: Context,
                           reservation: ReservationRead) -> Order | Placed:
        """Insert the order; a concurrent twin that won the insert is returned instead."""
        for _ in range(NUMBER_ATTEMPTS):
            order = self.new_order(attempt, context, reservation)
            lines = [OrderLine(**asdict(line)) for line in context.lines]
            try:
                async with self.db.write() as session:
                    await repository.add_order(session, order=order, lines=lines,
                                               actor=attempt.customer_id)
                return order
            except IntegrityError:
                winner = await self.find(attempt, primary=True)
                if winner is not None:
                    return winner
                # Otherwise the random number collided with another order's: draw again.
        raise OrchidError("could not allocate an order number")

    def new_order(self, attempt: Attempt, context: Context,
                  reservation: ReservationRead) -> Order:
        """Build the order row for a priced context and its reservation."""
        totals, now = context.totals, utcnow()
        return Order(
            number=new_number(), customer_id=attempt.customer_id,
            idempotency_key=attempt.idempotency_key,
            fingerprint=attempt.fingerprint(context.lines), status="pending_payment",
            reservation_key=reservation.key, payment_method=attempt.method.type,
            subtotal_paise=totals.subtotal_paise, shipping_paise=totals.shipping_paise,
            gst_paise=totals.gst_paise, total_paise=totals.total_paise, currency="INR",
            address=context.address.model_dump(), expires_at=reservation.expires_at,
            allocated=False, stock_returned=False, created_at=now, updated_at=now)

    # -- 5 and 6. pay and settle ------------------------------------------------------------

    async def advance(self, order: Order, attempt: Attempt) -> CheckoutResult:
        """Take the order from wherever it stands to settled, and answer."""
        unfinished = order.status == "pending_payment" or (
            order.status == "confirmed" and not order.allocated)
        intent: IntentRead | None = None
        if order.status == "pending_payment":
            intent = await self.create_intent(order, attempt.method)
            await self.fault("intent_created")
            order = await self.settle(order, intent)
        elif order.status == "confirmed" and not order.allocated:
            order = await stock.secure_stock(self.db, self.peers, order.number)
        intent = await self.peers.payments.get_intent(order_number=order.number) or intent
        if order.status == "cancelled":
            raise await self.cancelled(order, intent)
        if unfinished:
            await self.clear_cart(attempt.customer_id)
        return CheckoutResult(order=await self.read(order.number), payment=payment_info(intent))

    async def create_intent(self, order: Order, method: Method) -> IntentRead:
        """Ask payments to collect the total; a method it refuses cancels the order."""
        try:
            return await self.peers.payments.create_intent(
                order_number=order.number, customer_id=order.customer_id,
                amount_paise=order.total_paise, method=method)
        except InvalidInput as exc:
            # Refused before anything happened (COD above its cap): the stock goes back now.
            await self.cancel(order, reason=exc.code)
            raise

    async def settle(self, order: Order, intent: IntentRead) -> Order:
        """Move the order as the payment stands: confirmed, cancelled, or still waiting."""
        if intent.status in ("cod_pending", "succeeded"):
            order, _ = await transitions.move(
                self.db, number=order.number, to="confirmed", actor=transitions.SYSTEM,
                reason="cod" if intent.status == "cod_pending" else events.PAID_REASON,
                decide=transitions.only_from("pending_payment"))
            await self.fault("confirmed")
            return await stock.secure_stock(self.db, self.peers, order.number)
        if intent.status in ("failed", "cancelled"):
            return await self.cancel(order, reason=f"payment_{intent.status}")
        return order  # requires_action / pending: the webhook settles it

    async def cancel(self, order: Order, *, reason: str) -> Order:
        """Cancel an order still awaiting payment and give its stock back."""
        order, _ = await transitions.move(
            self.db, number=order.number, to="cancelled", actor=transitions.SYSTEM,
            reason=reason, decide=transitions.only_from("pending_payment"))
        return await stock.give_back(self.db, self.peers, order.number, reason=reason)

    async def cancelled(self, order: Order, intent: IntentRead | None) -> OrchidError:
        """Return the error that tells a customer why their checkout ended cancelled."""
        if intent is not None and intent.status == "failed":
            return PaymentDeclined("The payment was declined; nothing was charged.",
                                   order_number=order.number, decline_code=intent.failure_code)
        history = await self.db.read(lambda s: repository.get_events(s, order_id=order.id))
        reason = history[-1].reason if history else ""
        return OrderCancelled(f"Order {order.number} was cancelled ({reason}).",
                              order_number=order.number, reason=reason)

    async def clear_cart(self, customer_id: str) -> None:
        """Empty the cart of a placed order; a cart outage must not fail a placed order."""
        try:
            await self.peers.cart.clear(cart_id=f"c:{customer_id}")
        except OrchidError as exc:
            log.warning("checkout_cart_not_cleared", customer_id=customer_id, code=exc.code)
