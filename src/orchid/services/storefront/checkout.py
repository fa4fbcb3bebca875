"""Checkout (address, cash on delivery or a sandbox card, confirmation) and order history."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import ValidationError

from orchid.kit.errors import Conflict, InvalidInput, NotFound, OrchidError
from orchid.services.orders.errors import PaymentDeclined
from orchid.services.orders.schemas import OrderQuery
from orchid.services.orders.states import CUSTOMER_CANCELLABLE
from orchid.services.payments.schemas import CardMethod, CodMethod
from orchid.services.storefront.addresses import LABELS, REGIONS, AddressForm
from orchid.services.storefront.deps import (
    StorefrontDep,
    VisitorDep,
    customer_id,
    page,
    posted,
    redirect,
)
from orchid.services.storefront.forms import BadForm, Form, field_messages
from orchid.services.storefront.render import PageRoute
from orchid.services.storefront.service import Storefront
from orchid.services.storefront.session import Visitor
from orchid.services.storefront.summary import summarise

router = APIRouter(route_class=PageRoute, include_in_schema=False)
OrderNumber = Annotated[str, Path(min_length=1, max_length=20)]
STATUS_LABELS = {"pending_payment": "Awaiting payment", "confirmed": "Confirmed",
                 "packed": "Packed", "shipped": "Shipped", "delivered": "Delivered",
                 "cancelled": "Cancelled", "returned": "Returned", "refunded": "Refunded"}
PAYMENT_LABELS = {"cod": "Cash on delivery", "card": "Card"}


def _attempt_key() -> str:
    """A fresh Idempotency-Key per checkout page: a double-submitted form places one order."""
    return secrets.token_urlsafe(18)


async def checkout_page(storefront: Storefront, visitor: Visitor, *, status: int = 200,
                        address: AddressForm | None = None, error: str | None = None,
                        chosen: str | None = None, method: str = "cod") -> Response:
    """Render checkout: the bag's summary, where to deliver, how to pay."""
    owner = customer_id(visitor)
    peers = storefront.peers
    bag = await peers.cart.get(cart_id=visitor.cart_id)
    if not bag.lines:
        return redirect(visitor, "/cart")
    addresses = await peers.accounts.list_addresses(customer_id=owner)
    known = {a.public_id for a in addresses}
    selected = chosen if chosen in known else (addresses[0].public_id if addresses else None)
    return await page(storefront, visitor, "checkout.html", status=status, cache="no-store",
                      bag=bag, summary=await summarise(storefront, bag), addresses=addresses,
                      selected=selected, address=address or AddressForm(), regions=REGIONS,
                      labels=LABELS, error=error, method=method, attempt=_attempt_key())


@router.get("/checkout")
async def checkout(storefront: StorefrontDep, visitor: VisitorDep,
                   address: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """The checkout page (sign in first)."""
    return await checkout_page(storefront, visitor, chosen=address)


def _payment(form: Form) -> CodMethod | CardMethod:
    kind = form.text("payment", max_length=10, label="Payment method")
    if kind == "cod":
        return CodMethod(type="cod")
    if kind != "card":
        raise BadForm("Choose cash on delivery or card.")
    try:
        return CardMethod(type="card", card_number=form.text("card_number", max_length=32,
                                                             label="Card number"),
                          expiry=form.text("expiry", max_length=8, label="Expiry"),
                          cvv=form.text("cvv", max_length=4, label="CVV"))
    except ValidationError as exc:
        field = field_messages(exc)[0][0].replace("_", " ")
        raise BadForm(f"Check the card's {field}.") from exc


@router.post("/checkout")
async def place_order(request: Request, storefront: StorefrontDep,
                      visitor: VisitorDep) -> Response:
    """Place the order; a card that needs 3-D Secure goes to its bank page first."""
    owner = customer_id(visitor)
    form = await posted(request, storefront, visitor)
    address_id = form.get("address_id") or ""
    method_name = form.get("payment") or "cod"
    try:
        if not address_id:
            raise BadForm("Choose where to deliver, or add an address.")
        result = await storefront.peers.orders.checkout(
            customer_id=owner, idempotency_key=form.text("attempt", max_length=64),
            address_id=address_id, payment=_payment(form))
    except (InvalidInput, Conflict, PaymentDeclined, NotFound) as exc:
        return await checkout_page(storefront, visitor, status=_status(exc),
                                   error=_explain(exc), chosen=address_id, method=method_name)
    if result.payment and result.payment.next_action_url:
        return redirect(visitor, result.payment.next_action_url)
    return redirect(visitor, f"/orders/{quote(result.order.number)}?placed=1")


def _status(exc: OrchidError) -> int:
    return 400 if exc.status >= 500 else exc.status


def _explain(exc: OrchidError) -> str:
    """Say what went wrong at checkout in the shopper's words."""
    return {"out_of_stock": "Some items just went out of stock. Please update your bag.",
            "payment_declined": "Your card was declined and nothing was charged. "
                                "Try another card or cash on delivery.",
            "address_not_found": "Choose one of your saved addresses.",
            "cart_empty": "Your bag is empty."}.get(exc.code, exc.detail)


@router.get("/orders")
async def orders(storefront: StorefrontDep, visitor: VisitorDep,
                 cursor: Annotated[str | None, Query(max_length=512)] = None) -> Response:
    """The shopper's orders, newest first."""
    owner = customer_id(visitor)
    found = await storefront.peers.orders.list_orders(query=OrderQuery(cursor=cursor),
                                                         customer_id=owner)
    return await page(storefront, visitor, "orders.html", cache="no-store", orders=found,
                      statuses=STATUS_LABELS, payments=PAYMENT_LABELS)


@router.get("/orders/{number}")
async def order(number: OrderNumber, storefront: StorefrontDep, visitor: VisitorDep,
                placed: Annotated[str, Query(max_length=2)] = "") -> Response:
    """One order: its lines, money with GST, delivery address and history."""
    owner = customer_id(visitor)
    found = await storefront.peers.orders.get_order(number=number, customer_id=owner)
    return await page(storefront, visitor, "order.html", cache="no-store", order=found,
                      placed=bool(placed), statuses=STATUS_LABELS, payments=PAYMENT_LABELS,
                      cancellable=found.status in CUSTOMER_CANCELLABLE)


@router.post("/orders/{number}/cancel")
async def cancel(number: OrderNumber, request: Request, storefront: StorefrontDep,
                 visitor: VisitorDep) -> Response:
    """Cancel an order that has not been packed."""
    owner = customer_id(visitor)
    await posted(request, storefront, visitor)
    await storefront.peers.orders.cancel(number=number, customer_id=owner, actor=owner,
                                            reason="customer")
    return redirect(visitor, f"/orders/{quote(number)}")
