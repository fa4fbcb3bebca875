"""The bag: add, change and remove lines with plain forms (no JavaScript needed)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from orchid.services.cart.api import CART_COOKIE
from orchid.services.cart.schemas import MAX_QUANTITY, SKU_PATTERN
from orchid.services.storefront.deps import (
    StorefrontDep,
    VisitorDep,
    page,
    posted,
    redirect,
    safe_next,
)
from orchid.services.storefront.forms import BadForm, Form
from orchid.services.storefront.render import PageRoute
from orchid.services.storefront.summary import summarise

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _sku(form: Form) -> str:
    sku = form.text("sku", max_length=40, label="Shade or size")
    if not re.match(SKU_PATTERN, sku):
        raise BadForm("Pick a shade or size first.", field="sku")
    return sku


@router.get("/cart")
async def cart(storefront: StorefrontDep, visitor: VisitorDep,
               added: Annotated[str, Query(max_length=2)] = "") -> Response:
    """The bag with its lines, what can be bought, and the order summary."""
    bag = await storefront.peers.cart.get(cart_id=visitor.cart_id)
    summary = await summarise(storefront, bag)
    return await page(storefront, visitor, "cart.html", cache="no-store", bag=bag,
                      summary=summary, max_quantity=MAX_QUANTITY, added=bool(added),
                      notices=[*visitor.notices, *bag.notices])


@router.post("/cart/add")
async def add(request: Request, storefront: StorefrontDep, visitor: VisitorDep) -> Response:
    """Put a shade or size into the bag, then show the bag."""
    form = await posted(request, storefront, visitor)
    sku = _sku(form)
    quantity = form.integer("quantity", low=1, high=MAX_QUANTITY, default=1)
    await storefront.peers.cart.add(cart_id=visitor.cart_id, sku=sku, quantity=quantity)
    if not visitor.signed_in:  # a guest's cart lives 30 days from its last change
        visitor.set_cookie(CART_COOKIE, visitor.cart_id, storefront.config.cart_ttl_seconds)
    return redirect(visitor, safe_next(form.get("next"), "/cart?added=1"))


@router.post("/cart/update")
async def update(request: Request, storefront: StorefrontDep, visitor: VisitorDep) -> Response:
    """Set how many of a line the bag holds."""
    form = await posted(request, storefront, visitor)
    quantity = form.integer("quantity", low=1, high=MAX_QUANTITY)
    await storefront.peers.cart.set_quantity(cart_id=visitor.cart_id, sku=_sku(form),
                                                quantity=quantity)
    return redirect(visitor, "/cart")


@router.post("/cart/remove")
async def remove(request: Request, storefront: StorefrontDep, visitor: VisitorDep) -> Response:
    """Take a line out of the bag."""
    form = await posted(request, storefront, visitor)
    await storefront.peers.cart.remove(cart_id=visitor.cart_id, sku=_sku(form))
    return redirect(visitor, "/cart")
