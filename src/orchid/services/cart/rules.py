"""Cart ids and the pure edits of a stored cart: caps, merging, remembered prices.

Every edit returns a new cart, so a store may run it again when a concurrent writer won.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from orchid.services.cart.errors import BadCartId, BadQuantity, CartFull, LineNotFound
from orchid.services.cart.schemas import MAX_LINES, MAX_QUANTITY, StoredCart, StoredLine

GUEST_ID = re.compile(r"^g:[A-Za-z0-9_-]{24}$")  # token_urlsafe(18): 144 random bits
CUSTOMER_ID = re.compile(r"^c:[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Edit:
    """A cart after a change, what the shopper should be told, and whether a line is new."""

    cart: StoredCart
    notices: tuple[str, ...] = ()
    created: bool = False


def new_guest_id() -> str:
    """Return a fresh, unguessable guest cart id."""
    return "g:" + secrets.token_urlsafe(18)


def customer_cart_id(customer_id: str) -> str:
    """Return the cart id of a signed-in customer."""
    return check_cart_id("c:" + customer_id)


def is_guest_id(value: str) -> bool:
    """True when `value` is a well-formed guest cart id."""
    return GUEST_ID.match(value) is not None


def check_cart_id(cart_id: str) -> str:
    """Return `cart_id` if it is a guest's or a customer's cart id, else fail."""
    if GUEST_ID.match(cart_id) is None and CUSTOMER_ID.match(cart_id) is None:
        raise BadCartId("not a cart id")
    return cart_id


def check_quantity(quantity: int) -> int:
    """Return `quantity` if a line may hold it (1–10), else fail."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise BadQuantity(f"quantity must be 1–{MAX_QUANTITY}", max=MAX_QUANTITY)
    return quantity


def add_line(cart: StoredCart, *, sku: str, quantity: int, price_paise: int, label: str,
             now: datetime) -> Edit:
    """Add `quantity` of `sku`; an existing line grows, clamped at the cap with a notice."""
    check_quantity(quantity)
    lines = list(cart.lines)
    for i, line in enumerate(lines):
        if line.sku == sku:
            wanted = line.quantity + quantity
            # The shopper saw today's price when adding, so that is the price to compare with later.
            lines[i] = line.model_copy(update={"quantity": min(wanted, MAX_QUANTITY),
                                               "seen_price_paise": price_paise})
            notices = (capped_notice(label),) if wanted > MAX_QUANTITY else ()
            return Edit(StoredCart(lines=lines, updated_at=now), notices)
    if len(lines) >= MAX_LINES:
        raise CartFull(f"a cart holds at most {MAX_LINES} different items", max=MAX_LINES)
    lines.append(StoredLine(sku=sku, quantity=quantity, added_at=now,
                            seen_price_paise=price_paise))
    return Edit(StoredCart(lines=lines, updated_at=now), created=True)


def set_quantity(cart: StoredCart, *, sku: str, quantity: int, now: datetime) -> Edit:
    """Set the quantity of the line for `sku`."""
    check_quantity(quantity)
    if not any(line.sku == sku for line in cart.lines):
        raise LineNotFound(f"{sku} is not in the cart", sku=sku)
    lines = [line.model_copy(update={"quantity": quantity}) if line.sku == sku else line
             for line in cart.lines]
    return Edit(StoredCart(lines=lines, updated_at=now))


def remove_line(cart: StoredCart, *, sku: str, now: datetime) -> Edit:
    """Drop the line for `sku` (nothing happens when there is none)."""
    return Edit(StoredCart(lines=[line for line in cart.lines if line.sku != sku],
                           updated_at=now))


def merge_carts(source: StoredCart, target: StoredCart, *, now: datetime) -> Edit:
    """Add the lines of `source` (a guest's cart) to `target`, within both caps."""
    lines = list(target.lines)
    index = {line.sku: i for i, line in enumerate(lines)}
    capped: list[str] = []
    dropped: list[str] = []
    for line in source.lines:
        if line.sku in index:
            mine = lines[index[line.sku]]
            wanted = mine.quantity + line.quantity
            if wanted > MAX_QUANTITY:
                capped.append(line.sku)
            lines[index[line.sku]] = mine.model_copy(update={
                "quantity": min(wanted, MAX_QUANTITY),
                "seen_price_paise": mine.seen_price_paise or line.seen_price_paise})
        elif len(lines) < MAX_LINES:
            index[line.sku] = len(lines)
            lines.append(line)
        else:
            dropped.append(line.sku)
    notices = [capped_notice(sku) for sku in capped]
    if dropped:
        notices.append(f"A cart holds at most {MAX_LINES} different items, so these were not "
                       f"added from your earlier cart: {', '.join(dropped)}.")
    return Edit(StoredCart(lines=lines, updated_at=now), tuple(notices))


def remember_prices(cart: StoredCart, prices: dict[str, int]) -> Edit:
    """Record the prices just shown, so each price change is reported once."""
    lines = [line.model_copy(update={"seen_price_paise": prices[line.sku]})
             if line.sku in prices else line for line in cart.lines]
    # Not the shopper's edit: updated_at stays (the key's TTL is still renewed by the write).
    return Edit(StoredCart(lines=lines, updated_at=cart.updated_at))


def capped_notice(label: str) -> str:
    """Tell the shopper a line was clamped at the per-item cap."""
    return f"You can buy at most {MAX_QUANTITY} of {label}; the quantity is now {MAX_QUANTITY}."
