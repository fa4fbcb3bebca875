"""Cart HTTP routes: the caller's own cart, found from their session or their guest cookie.

A signed-in customer always gets "c:<their id>"; a guest gets the id in the `orchid_cart` cookie,
set on their first add. A request carrying both merges the guest cart into the customer's once
and drops the cookie. Nothing a client sends can name another shopper's cart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from orchid.kit.cookies import drop_cookie, is_secure, set_cookie
from orchid.kit.errors import problems
from orchid.services.accounts.deps import OPTIONAL_SESSION, Accounts, Principal, Token
from orchid.services.cart import pricing, rules
from orchid.services.cart.errors import LineNotFound
from orchid.services.cart.schemas import SKU_PATTERN, CartItemAdd, CartItemUpdate, CartRead
from orchid.services.cart.service import CartService

router = APIRouter(prefix="/api/v1/cart", tags=["cart"])
CART_COOKIE = "orchid_cart"
SkuPath = Annotated[str, Path(pattern=SKU_PATTERN)]
INVALID = {422: "The input did not validate", 503: "Cart store unavailable"}


async def get_cart(request: Request) -> CartService:
    """Return the cart service of this process (its routes are only mounted where it runs)."""
    cart: CartService = request.app.state.services.cart
    return cart


CartDep = Annotated[CartService, Depends(get_cart)]


async def optional_user(token: Token, accounts: Accounts) -> Principal | None:
    """Return the signed-in caller, or None for a guest (a bad token is just a guest)."""
    return await accounts.authenticate(token=token) if token else None


OptionalUser = Annotated[Principal | None, Depends(optional_user)]


@dataclass
class Shopper:
    """Whose cart a request reaches, and what to tell them about it."""

    cart_id: str | None  # None: a guest who has no cart yet
    guest: bool
    secure: bool  # its cookie must be Secure (see kit/cookies.py)
    notices: list[str] = field(default_factory=list)

    def told(self, cart: CartRead) -> CartRead:
        """Return `cart` with this request's earlier notices (a merge's) in front."""
        merged = list(dict.fromkeys([*self.notices, *cart.notices]))
        return cart.model_copy(update={"notices": merged})


async def shopper(request: Request, response: Response, cart: CartDep,
                  user: OptionalUser) -> Shopper:
    """Find the caller's cart; merge a guest cart into a customer's on their first request."""
    response.headers["Cache-Control"] = "no-store"  # one shopper's cart, never a shared cache's
    cookie = request.cookies.get(CART_COOKIE)
    guest_id = cookie if cookie is not None and rules.is_guest_id(cookie) else None
    secure = is_secure(request.scope, always=cart.config.cookie_secure)
    if user is None:
        return Shopper(cart_id=guest_id, guest=True, secure=secure)
    own = rules.customer_cart_id(user.customer_id)
    notices: list[str] = []
    if guest_id is not None:
        notices = (await cart.merge(from_cart_id=guest_id, into_cart_id=own)).notices
    if cookie is not None:
        drop_cookie(response, CART_COOKIE, secure=secure)
    return Shopper(cart_id=own, guest=False, secure=secure, notices=notices)


ShopperDep = Annotated[Shopper, Depends(shopper)]


def _guest_cart(response: Response, cart: CartService, who: Shopper) -> str:
    """Return the guest's cart id, minting one, and (re)set its cookie for another 30 days."""
    cart_id = who.cart_id or rules.new_guest_id()
    set_cookie(response, CART_COOKIE, cart_id, max_age=int(cart.config.ttl_seconds),
               secure=who.secure)
    return cart_id


@router.get("", openapi_extra=OPTIONAL_SESSION,
            responses=problems({503: "Cart store unavailable"}))
async def get_my_cart(cart: CartDep, who: ShopperDep) -> CartRead:
    """Return the caller's cart, priced now (an empty cart sets no cookie)."""
    if who.cart_id is None:
        return pricing.empty_cart(who.notices)
    return who.told(await cart.get(cart_id=who.cart_id))


@router.post("/items", openapi_extra=OPTIONAL_SESSION, status_code=status.HTTP_201_CREATED,
             responses=problems(
    {404: "No such SKU", 422: "Not for sale, cart full or invalid input"} | INVALID))
async def add_item(data: CartItemAdd, response: Response, cart: CartDep,
                   who: ShopperDep) -> CartRead:
    """Add a SKU: 201 for a new line, 200 when an existing line grew (capped at 10)."""
    cart_id = who.cart_id if who.cart_id and not who.guest else _guest_cart(response, cart, who)
    read, created = await cart.add_line(cart_id=cart_id, sku=data.sku, quantity=data.quantity)
    if not created:
        response.status_code = status.HTTP_200_OK
    return who.told(read)


@router.patch("/items/{sku}", openapi_extra=OPTIONAL_SESSION,
              responses=problems({404: "Not in the cart"} | INVALID))
async def update_item(sku: SkuPath, data: CartItemUpdate, response: Response, cart: CartDep,
                      who: ShopperDep) -> CartRead:
    """Set a line's quantity (1–10)."""
    if who.cart_id is None:
        raise LineNotFound(f"{sku} is not in the cart", sku=sku)
    if who.guest:
        _guest_cart(response, cart, who)
    return who.told(await cart.set_quantity(cart_id=who.cart_id, sku=sku,
                                            quantity=data.quantity))


@router.delete("/items/{sku}", openapi_extra=OPTIONAL_SESSION, responses=problems(INVALID))
async def remove_item(sku: SkuPath, cart: CartDep, who: ShopperDep) -> CartRead:
    """Take a SKU out of the cart (done already is fine)."""
    if who.cart_id is None:
        return pricing.empty_cart(who.notices)
    return who.told(await cart.remove(cart_id=who.cart_id, sku=sku))


@router.delete("", openapi_extra=OPTIONAL_SESSION,
               responses=problems({503: "Cart store unavailable"}))
async def clear_cart(cart: CartDep, who: ShopperDep) -> CartRead:
    """Empty the cart."""
    if who.cart_id is None:
        return pricing.empty_cart(who.notices)
    return who.told(await cart.clear(cart_id=who.cart_id))
