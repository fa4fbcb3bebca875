"""The order summary shown in the bag and at checkout, priced as checkout will price it.

The figures come from the orders service's own pure pricing functions (GST contained in the
GST-inclusive price, free delivery from ₹499), so what the shopper reads is what they pay.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchid.services.cart.schemas import CartRead
from orchid.services.orders import pricing
from orchid.services.storefront.service import Storefront

FREE_SHIPPING_FROM_PAISE = pricing.FREE_SHIPPING_FROM_PAISE


@dataclass(frozen=True)
class Summary:
    """Money of the purchasable lines of a bag."""

    mrp_total_paise: int
    savings_paise: int
    subtotal_paise: int
    shipping_paise: int
    total_paise: int
    gst_paise: int
    gst_by_rate_bp: dict[int, int]
    to_free_shipping_paise: int  # spend this much more for free delivery (0: it is free)


async def summarise(storefront: Storefront, cart: CartRead) -> Summary | None:
    """Price the bag's purchasable lines; None when nothing in it can be bought."""
    lines = [line for line in cart.lines if line.purchasable]
    if not lines:
        return None
    variants = {v.sku: v for v in await storefront.peers.catalog.get_variants(
        skus=[line.sku for line in lines])}
    priced = [pricing.price_line(
        sku=line.sku, product_slug=line.product_slug, product_name=line.product_name,
        variant_name=line.variant_name, quantity=line.quantity,
        unit_price_paise=line.unit_price_paise, unit_mrp_paise=line.unit_mrp_paise,
        category_path=variants[line.sku].category_path if line.sku in variants else [])
        for line in lines]
    totals = pricing.totals(priced)
    return Summary(mrp_total_paise=totals.mrp_total_paise, savings_paise=totals.savings_paise,
                   subtotal_paise=totals.subtotal_paise, shipping_paise=totals.shipping_paise,
                   total_paise=totals.total_paise, gst_paise=totals.gst_paise,
                   gst_by_rate_bp=totals.gst_by_rate_bp,
                   to_free_shipping_paise=max(0, FREE_SHIPPING_FROM_PAISE
                                              - totals.subtotal_paise))
