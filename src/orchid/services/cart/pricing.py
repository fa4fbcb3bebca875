"""Pure cart arithmetic: price stored lines from catalog variants and stock, in integer paise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from orchid.kit.money import inr as rupees  # the one formatter (cart notices say ₹499)
from orchid.services.cart.schemas import CartLineRead, CartRead, StoredLine
from orchid.services.catalog.schemas import VariantRead


class Stock(NamedTuple):
    """What the inventory says about one SKU."""

    available: int
    in_stock: bool


@dataclass(frozen=True)
class Priced:
    """A priced cart and the prices to remember as shown (SKU → paise)."""

    cart: CartRead
    shown_prices: dict[str, int]


def empty_cart(notices: Sequence[str] = ()) -> CartRead:
    """Return a cart without lines."""
    return CartRead(lines=[], item_count=0, subtotal_paise=0, mrp_total_paise=0,
                    savings_paise=0, notices=list(notices))


def price_cart(lines: Sequence[StoredLine], *, variants: dict[str, VariantRead],
               stock: dict[str, Stock] | None, notices: Sequence[str] = ()) -> Priced:
    """Price `lines` at today's catalog prices; `stock` None means availability is unknown."""
    said = list(notices)
    shown: dict[str, int] = {}
    out: list[CartLineRead] = []
    for line in lines:
        variant = variants.get(line.sku)
        if variant is None:
            # Kept in the store: a catalog that briefly misses a SKU must not empty a cart.
            said.append(f"{line.sku} is no longer sold and is left out of your cart.")
            continue
        label = describe(variant)
        if line.seen_price_paise != variant.price_paise:
            shown[line.sku] = variant.price_paise
            if line.seen_price_paise is not None:
                said.append(f"The price of {label} changed from "
                            f"{rupees(line.seen_price_paise)} to {rupees(variant.price_paise)}.")
        known = stock.get(line.sku) if stock is not None else None
        purchasable, why = _purchasable(variant, line.quantity, known, label)
        if why:
            said.append(why)
        out.append(CartLineRead(
            sku=line.sku, product_slug=variant.product_slug, product_name=variant.product_name,
            variant_name=variant.name, image=variant.image, quantity=line.quantity,
            unit_price_paise=variant.price_paise, unit_mrp_paise=variant.mrp_paise,
            line_total_paise=variant.price_paise * line.quantity,
            available=known.available if known else None,
            in_stock=known.in_stock if known else None, purchasable=purchasable))
    return Priced(cart=totals(out, said), shown_prices=shown)


def totals(lines: list[CartLineRead], notices: Sequence[str] = ()) -> CartRead:
    """Sum a cart: the subtotal, MRP total and savings count purchasable lines only."""
    buyable = [line for line in lines if line.purchasable]
    subtotal = sum(line.line_total_paise for line in buyable)
    mrp_total = sum(line.unit_mrp_paise * line.quantity for line in buyable)
    return CartRead(lines=lines, item_count=sum(line.quantity for line in lines),
                    subtotal_paise=subtotal, mrp_total_paise=mrp_total,
                    savings_paise=mrp_total - subtotal, notices=list(dict.fromkeys(notices)))


def _purchasable(variant: VariantRead, quantity: int, stock: Stock | None,
                 label: str) -> tuple[bool, str | None]:
    if not variant.published:
        return False, f"{label} is no longer available."
    if stock is None:
        return True, None  # unknown stock: checkout's reservation has the final word
    if not stock.in_stock or stock.available <= 0:
        return False, f"{label} is out of stock."
    if stock.available < quantity:
        return False, f"Only {stock.available} left of {label}."
    return True, None


def describe(variant: VariantRead) -> str:
    """Name a variant for a notice: product and shade or size."""
    return f"{variant.product_name} ({variant.name})"


