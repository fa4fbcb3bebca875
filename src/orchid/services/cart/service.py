"""The cart service's rules and the typed interface other services call.

Carts hold SKUs and quantities only; every read prices them from the catalog and asks the
inventory for stock. A line that would pass 10 units is clamped to 10 with a notice (adding is
forgiving, like merging); setting a quantity outside 1–10 is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from orchid.kit.errors import Unavailable
from orchid.kit.orm import utcnow
from orchid.kit.placement import exposed
from orchid.platform import Resources
from orchid.services.cart import pricing, rules
from orchid.services.cart.errors import SkuNotFound, SkuUnavailable
from orchid.services.cart.peers import Peers
from orchid.services.cart.pricing import Stock
from orchid.services.cart.schemas import CartLine, CartRead, IdleCart, StoredCart
from orchid.services.cart.store import CUSTOMER_PREFIX, CartStore, cart_store
from orchid.services.catalog.schemas import VariantRead

log = structlog.get_logger("orchid.cart")
CART_TTL_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class CartConfig:
    """The settings the cart needs (built from `Settings` at the entry point)."""

    ttl_seconds: float = CART_TTL_SECONDS  # a cart idle this long is gone
    cookie_secure: bool = False


class CartService:
    """Guest and customer carts in the key-value store, priced when read."""

    def __init__(self, *, store: CartStore, peers: Peers,
                 config: CartConfig = CartConfig(),
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.store, self.peers, self.config, self.clock = store, peers, config, clock

    @exposed(idempotent=True)
    async def get(self, *, cart_id: str) -> CartRead:
        """Return the cart priced from the catalog, with stock from the inventory."""
        rules.check_cart_id(cart_id)
        return await self._priced(cart_id, await self.store.load(cart_id))

    @exposed(idempotent=True)
    async def get_lines(self, *, cart_id: str) -> list[CartLine]:
        """Return the cart's SKUs and quantities, unpriced (for checkout)."""
        rules.check_cart_id(cart_id)
        cart = await self.store.load(cart_id)
        return [CartLine(sku=line.sku, quantity=line.quantity, added_at=line.added_at)
                for line in (cart.lines if cart else [])]

    @exposed()
    async def add(self, *, cart_id: str, sku: str, quantity: int) -> CartRead:
        """Put `quantity` more of `sku` into the cart (a line holds at most 10)."""
        cart, _ = await self.add_line(cart_id=cart_id, sku=sku, quantity=quantity)
        return cart

    async def add_line(self, *, cart_id: str, sku: str, quantity: int) -> tuple[CartRead, bool]:
        """Add as `add` does, and say whether the line is new (the API answers 201 then)."""
        rules.check_cart_id(cart_id)
        rules.check_quantity(quantity)
        variant = await self._for_sale(sku)
        now = self.clock()
        edit = await self.store.update(cart_id, lambda cart: rules.add_line(
            cart, sku=sku, quantity=quantity, price_paise=variant.price_paise,
            label=pricing.describe(variant), now=now))
        return await self._priced(cart_id, edit.cart, edit.notices), edit.created

    @exposed()
    async def set_quantity(self, *, cart_id: str, sku: str, quantity: int) -> CartRead:
        """Set how many of `sku` the cart holds (1–10)."""
        rules.check_cart_id(cart_id)
        now = self.clock()
        edit = await self.store.update(cart_id, lambda cart: rules.set_quantity(
            cart, sku=sku, quantity=quantity, now=now))
        return await self._priced(cart_id, edit.cart)

    @exposed()
    async def remove(self, *, cart_id: str, sku: str) -> CartRead:
        """Take `sku` out of the cart (no error when it is not there)."""
        rules.check_cart_id(cart_id)
        now = self.clock()
        edit = await self.store.update(cart_id, lambda cart: rules.remove_line(
            cart, sku=sku, now=now))
        return await self._priced(cart_id, edit.cart)

    @exposed()
    async def clear(self, *, cart_id: str) -> CartRead:
        """Empty the cart."""
        rules.check_cart_id(cart_id)
        await self.store.delete(cart_id)
        return pricing.empty_cart()

    @exposed()
    async def merge(self, *, from_cart_id: str, into_cart_id: str) -> CartRead:
        """Move a guest's lines into a customer's cart (quantities summed, caps kept)."""
        rules.check_cart_id(from_cart_id)
        rules.check_cart_id(into_cart_id)
        if from_cart_id == into_cart_id:
            return await self.get(cart_id=into_cart_id)
        now = self.clock()
        edit = await self.store.absorb(source=from_cart_id, target=into_cart_id,
                                       combine=lambda s, t: rules.merge_carts(s, t, now=now))
        if edit is None:  # nothing to merge: the guest cart expired or was merged already
            return await self.get(cart_id=into_cart_id)
        return await self._priced(into_cart_id, edit.cart, edit.notices)

    @exposed(idempotent=True)
    async def list_idle(self, *, changed_after: datetime, changed_before: datetime,
                        offset: int = 0, limit: int = 500) -> list[IdleCart]:
        """Return signed-in customers' carts last changed in the span (both ends included),
        the longest idle first; `offset` and `limit` page through them."""
        found = await self.store.activity.changed_between(changed_after, changed_before,
                                                          offset=offset, limit=limit)
        return [IdleCart(cart_id=cart_id, customer_id=cart_id.removeprefix(CUSTOMER_PREFIX),
                         changed_at=changed_at) for cart_id, changed_at in found]

    @exposed(idempotent=True)
    async def forget_idle(self, *, changed_before: datetime) -> int:
        """Drop carts unchanged since `changed_before` from the activity index (a later change
        indexes a cart again); return how many."""
        return await self.store.activity.forget_until(changed_before)

    async def _for_sale(self, sku: str) -> VariantRead:
        found = await self.peers.catalog.get_variants(skus=[sku])
        if not found:
            raise SkuNotFound(f"no product has SKU {sku}", sku=sku)
        if not found[0].published:
            raise SkuUnavailable(f"{pricing.describe(found[0])} is not for sale", sku=sku)
        return found[0]

    async def _priced(self, cart_id: str, cart: StoredCart | None,
                      notices: Sequence[str] = ()) -> CartRead:
        """Price a cart just loaded or written, and remember the prices it showed."""
        if cart is None or not cart.lines:
            return pricing.empty_cart(notices)
        skus = [line.sku for line in cart.lines]
        # Two peers, perhaps in other processes: ask both at once.
        variants, stock = await asyncio.gather(
            self.peers.catalog.get_variants(skus=skus), self._stock(skus))
        priced = pricing.price_cart(cart.lines, variants={v.sku: v for v in variants},
                                    stock=stock, notices=notices)
        if priced.shown_prices:
            await self.store.update(
                cart_id, lambda current: rules.remember_prices(current, priced.shown_prices))
        return priced.cart

    async def _stock(self, skus: list[str]) -> dict[str, Stock] | None:
        """Ask the inventory for stock; None (unknown) when it cannot answer."""
        # A cart must still show, and sell, while the inventory is down or not deployed yet.
        try:
            found = await self.peers.inventory.availability(skus=skus)
        except Unavailable as exc:
            log.warning("cart_stock_unknown", error=repr(exc))
            return None
        return {a.sku: Stock(available=a.available, in_stock=a.in_stock) for a in found}


def build(resources: Resources, peers: Peers) -> CartService:
    """Assemble the cart service from the process's shared resources."""
    config = CartConfig(cookie_secure=resources.settings.cookie_secure)
    return CartService(store=cart_store(resources.store, ttl=config.ttl_seconds),
                       peers=peers, config=config)
