"""Who is shopping: their session, their cart, and the CSRF token of their forms.

Pages use the same cookies as the JSON API — `orchid_session` and `orchid_device` (accounts) and
`orchid_cart` (a guest's cart) — so a shopper can mix the two. A guest gets a cart cookie on
their first page, which the CSRF token is bound to; a signed-in shopper's token is bound to
their session. On a signed-in request a guest cart is merged into the customer's, once, as the
cart API does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from fastapi import Request, Response

from orchid.kit.cookies import drop_cookie, is_secure, set_cookie
from orchid.kit.errors import Forbidden, OrchidError
from orchid.services.accounts.deps import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_MAX_AGE,
    SESSION_COOKIE,
    Principal,
)
from orchid.services.accounts.schemas import SessionRead
from orchid.services.cart import rules
from orchid.services.cart.api import CART_COOKIE
from orchid.services.storefront.csrf import FIELD
from orchid.services.storefront.forms import Form

if TYPE_CHECKING:
    from orchid.services.storefront.service import Storefront

log = structlog.get_logger("orchid.storefront")


class CsrfRejected(Forbidden):
    """A POSTed form came without the token of this visitor's page."""

    code, title = "csrf_rejected", "Form refused"


@dataclass
class Visitor:
    """One request's shopper, and the cookies to set or drop on the way out."""

    user: Principal | None
    cart_id: str
    csrf_token: str
    secure: bool
    cart_count: int | None = 0  # None: the cart could not be asked
    bag_unknown: bool = False  # the cart may hold lines: counted when a page shows the badge
    notices: list[str] = field(default_factory=list)
    binding: str = field(default="", repr=False)
    _set: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False)
    _drop: set[str] = field(default_factory=set, repr=False)

    @property
    def signed_in(self) -> bool:
        """True for a signed-in customer."""
        return self.user is not None

    def set_cookie(self, name: str, value: str, max_age: float) -> None:
        """Set a cookie on the response (HttpOnly, SameSite=Lax, Secure behind TLS)."""
        self._drop.discard(name)
        self._set[name] = (value, int(max_age))

    def drop_cookie(self, name: str) -> None:
        """Delete a cookie on the response."""
        self._set.pop(name, None)
        self._drop.add(name)

    def finish(self, response: Response) -> Response:
        """Apply the cookie changes to `response` and return it."""
        for name, (value, max_age) in self._set.items():
            set_cookie(response, name, value, max_age=max_age, secure=self.secure)
        for name in self._drop:
            drop_cookie(response, name, secure=self.secure)
        return response

    def check_csrf(self, form: Form, storefront: Storefront) -> None:
        """Refuse a form whose token was not made for this visitor."""
        if not storefront.csrf.valid(form.get(FIELD), self.binding):
            raise CsrfRejected("The form's security token is missing or out of date.")


async def find_visitor(request: Request, storefront: Storefront) -> Visitor:
    """Identify the shopper from their cookies, merging a guest cart after sign-in."""
    peers = storefront.peers
    token = request.cookies.get(SESSION_COOKIE) or None
    user = await peers.accounts.authenticate(token=token) if token else None
    cookie = request.cookies.get(CART_COOKIE)
    guest_id = cookie if cookie is not None and rules.is_guest_id(cookie) else None
    secure = is_secure(request.scope, always=storefront.config.cookie_secure)
    if user is None or token is None:
        visitor = Visitor(user=None, cart_id=guest_id or rules.new_guest_id(), csrf_token="",
                          secure=secure)
        if token:
            visitor.drop_cookie(SESSION_COOKIE)  # expired or revoked
        if guest_id is None:
            visitor.cart_count = 0
            visitor.set_cookie(CART_COOKIE, visitor.cart_id, storefront.config.cart_ttl_seconds)
        visitor.binding = visitor.cart_id
    else:
        visitor = Visitor(user=user, cart_id=rules.customer_cart_id(user.customer_id),
                          csrf_token="", secure=secure, binding=f"s:{token}")
        if guest_id is not None:
            await _merge(visitor, storefront, guest_id)
        if cookie is not None:
            visitor.drop_cookie(CART_COOKIE)
    visitor.csrf_token = storefront.csrf.token(visitor.binding)
    # Counting the bag is left to the pages that show it: a form post only redirects.
    visitor.bag_unknown = guest_id is not None or user is not None
    return visitor


async def _merge(visitor: Visitor, storefront: Storefront, guest_id: str) -> None:
    merged = await storefront.peers.cart.merge(from_cart_id=guest_id,
                                                  into_cart_id=visitor.cart_id)
    visitor.notices.extend(merged.notices)


async def count_bag(visitor: Visitor, storefront: Storefront) -> int | None:
    """Units in the visitor's bag, for the badge; None when the cart cannot be asked."""
    # The badge is a nicety: a cart store outage must not take the page down with it.
    try:
        lines = await storefront.peers.cart.get_lines(cart_id=visitor.cart_id)
    except OrchidError as exc:
        log.warning("storefront_cart_count_unknown", error=str(exc))
        return None
    return sum(line.quantity for line in lines)


def sign_in(visitor: Visitor, storefront: Storefront, session: SessionRead) -> None:
    """Set the new session's cookie (and device cookie); the guest cart merges on the next
    page, as in the API."""
    visitor.set_cookie(SESSION_COOKIE, session.token, storefront.config.session_ttl_seconds)
    if session.device_token:
        visitor.set_cookie(DEVICE_COOKIE, session.device_token, DEVICE_COOKIE_MAX_AGE)


def sign_out(visitor: Visitor) -> None:
    """Drop the session cookie."""
    visitor.drop_cookie(SESSION_COOKIE)
