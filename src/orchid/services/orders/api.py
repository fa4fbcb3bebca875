"""Orders HTTP routes: checkout, a customer's orders, and staff fulfilment; each a thin call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, status

from orchid.kit.errors import problems
from orchid.services.accounts.deps import CurrentUser, StaffUser
from orchid.services.orders.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    CheckoutRequest,
    CheckoutResult,
    OrderPage,
    OrderQuery,
    OrderRead,
    TransitionRequest,
)
from orchid.services.orders.service import OrdersService

router = APIRouter(prefix="/api/v1", tags=["orders"])


async def get_orders(request: Request) -> OrdersService:
    """Return the orders service of this process."""
    orders: OrdersService = request.app.state.services.orders
    return orders


OrdersDep = Annotated[OrdersService, Depends(get_orders)]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN,
                                       description="8–64 characters of A–Z, a–z, 0–9, _ and -; "
                                                   "a retry with the same key returns the "
                                                   "same order.")]
OrderNumber = Annotated[str, Path(min_length=1, max_length=20)]
SIGNED_IN = {401: "Not signed in", 422: "The input did not validate"}
STAFF = SIGNED_IN | {403: "Not staff"}
ORDER = problems(SIGNED_IN | {404: "No order of yours has this number"})


@router.post("/checkout", status_code=status.HTTP_201_CREATED, responses=problems(SIGNED_IN | {
    402: "Card declined; the order was cancelled",
    404: "No such address of yours",
    409: "Out of stock, items unavailable, or the Idempotency-Key was used for another request",
    422: "Empty cart, unknown items, COD above its cap, or invalid input",
    503: "A service the checkout needs is unavailable; retry with the same key"}))
async def checkout(orders: OrdersDep, user: CurrentUser, idempotency_key: IdempotencyKey,
                   data: CheckoutRequest) -> CheckoutResult:
    """Place an order from the cart; 3-D Secure cards answer with a `next_action_url`."""
    return await orders.checkout(customer_id=user.customer_id, idempotency_key=idempotency_key,
                                 address_id=data.address_id, payment=data.payment)


@router.get("/orders", responses=problems(SIGNED_IN))
async def list_my_orders(orders: OrdersDep, user: CurrentUser,
                         query: Annotated[OrderQuery, Query()]) -> OrderPage:
    """List the caller's orders, newest first, a page at a time."""
    return await orders.list_orders(query=query, customer_id=user.customer_id)


@router.get("/orders/{number}", responses=ORDER)
async def get_my_order(orders: OrdersDep, user: CurrentUser, number: OrderNumber) -> OrderRead:
    """Return one of the caller's orders with its lines and history."""
    return await orders.get_order(number=number, customer_id=user.customer_id)


@router.post("/orders/{number}/cancel",
             responses=problems(SIGNED_IN | {404: "No order of yours has this number",
                                             409: "Already packed: too late to cancel"}))
async def cancel_my_order(orders: OrdersDep, user: CurrentUser, number: OrderNumber) -> OrderRead:
    """Cancel one of the caller's orders before it is packed (repeating is harmless)."""
    return await orders.cancel(number=number, customer_id=user.customer_id,
                               actor=user.customer_id, reason="customer")


@router.post("/orders/{number}/transition",
             responses=problems(STAFF | {404: "No such order", 409: "Illegal transition"}))
async def transition_order(orders: OrdersDep, staff: StaffUser, number: OrderNumber,
                           data: TransitionRequest) -> OrderRead:
    """Move an order along fulfilment: packed, shipped, delivered, returned, refunded (staff)."""
    return await orders.transition(number=number, to=data.to, actor=staff.customer_id,
                                   reason=data.reason)


@router.get("/admin/orders", responses=problems(STAFF))
async def list_all_orders(orders: OrdersDep, _staff: StaffUser,
                          query: Annotated[OrderQuery, Query()]) -> OrderPage:
    """List every order, optionally of one status, newest first (staff)."""
    return await orders.list_orders(query=query)


@router.get("/admin/orders/{number}", responses=problems(STAFF | {404: "No such order"}))
async def get_any_order(orders: OrdersDep, _staff: StaffUser, number: OrderNumber) -> OrderRead:
    """Return any order with its lines and history (staff)."""
    return await orders.get_order(number=number)
