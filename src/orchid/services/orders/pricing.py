"""Pure money arithmetic of an order: integer paise in, integer paise out, no I/O.

Indian retail prices are GST-inclusive (the MRP rules), so GST is never added on top: each line
shows the tax it already contains, `price × rate / (100 + rate)`, rounded half up to the paisa.
Rates are basis points (1800 = 18 %) so every step stays in integers.

    line = price_line(sku="KAJAL-1", ..., quantity=2, unit_price_paise=29900,
                      unit_mrp_paise=39900, category_path=["makeup", "eyes", "kajal"])
    summary = totals([line])      # subtotal, MRP total, savings, GST by rate, shipping, total
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_GST_BP = 1800
# Rates by category slug; the deepest category on a product's path that is listed here wins.
# Finance keeps this table current with the GST schedule; anything unlisted is 18 %.
GST_RATES_BP: Mapping[str, int] = {
    "supplements": 1800,
    "herbal-supplements": 1200,  # Ayurvedic preparations
    "herbal-teas": 500,
}
FREE_SHIPPING_FROM_PAISE = 49_900  # ₹499
SHIPPING_FEE_PAISE = 4_900  # ₹49


@dataclass(frozen=True)
class PricedLine:
    """One order line with its money worked out."""

    sku: str
    product_slug: str
    product_name: str
    variant_name: str
    quantity: int
    unit_price_paise: int
    unit_mrp_paise: int
    gst_rate_bp: int
    gst_paise: int
    line_total_paise: int

    @property
    def line_mrp_paise(self) -> int:
        """The line at MRP."""
        return self.unit_mrp_paise * self.quantity


@dataclass(frozen=True)
class Totals:
    """The money of a whole order."""

    subtotal_paise: int
    mrp_total_paise: int
    savings_paise: int
    gst_paise: int
    gst_by_rate_bp: dict[int, int]
    shipping_paise: int
    total_paise: int


def round_half_up(numerator: int, denominator: int) -> int:
    """Divide non-negative integers, rounding a half up (₹0.005 → ₹0.01, as invoices do)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up takes a non-negative numerator and positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def gst_rate_bp(category_path: Sequence[str], rates: Mapping[str, int] = GST_RATES_BP) -> int:
    """Return the GST rate of a product from its category path (department first)."""
    for slug in reversed(category_path):
        if slug in rates:
            return rates[slug]
    return DEFAULT_GST_BP


def gst_included(amount_paise: int, rate_bp: int) -> int:
    """Return the GST contained in a GST-inclusive amount."""
    return round_half_up(amount_paise * rate_bp, 10_000 + rate_bp)


def price_line(*, sku: str, product_slug: str, product_name: str, variant_name: str,
               quantity: int, unit_price_paise: int, unit_mrp_paise: int,
               category_path: Sequence[str],
               rates: Mapping[str, int] = GST_RATES_BP) -> PricedLine:
    """Price one line; the GST is taken from the line total, so it is rounded once per line."""
    if quantity < 1 or unit_price_paise < 0 or unit_mrp_paise < unit_price_paise:
        raise ValueError(f"cannot price {sku}: quantity {quantity}, price {unit_price_paise}, "
                         f"MRP {unit_mrp_paise}")
    rate = gst_rate_bp(category_path, rates)
    line_total = unit_price_paise * quantity
    return PricedLine(sku=sku, product_slug=product_slug, product_name=product_name,
                      variant_name=variant_name, quantity=quantity,
                      unit_price_paise=unit_price_paise, unit_mrp_paise=unit_mrp_paise,
                      gst_rate_bp=rate, gst_paise=gst_included(line_total, rate),
                      line_total_paise=line_total)


def shipping_paise(subtotal_paise: int) -> int:
    """Return the delivery fee: free from ₹499, else ₹49."""
    return 0 if subtotal_paise >= FREE_SHIPPING_FROM_PAISE else SHIPPING_FEE_PAISE


def gst_breakdown(lines: Iterable[PricedLine]) -> dict[int, int]:
    """Return the GST contained per rate (basis points → paise), lowest rate first."""
    by_rate: dict[int, int] = {}
    for line in lines:
        by_rate[line.gst_rate_bp] = by_rate.get(line.gst_rate_bp, 0) + line.gst_paise
    return dict(sorted(by_rate.items()))


def totals(lines: Sequence[PricedLine]) -> Totals:
    """Add up priced lines into the order's totals."""
    if not lines:
        raise ValueError("an order needs at least one line")
    subtotal = sum(line.line_total_paise for line in lines)
    mrp_total = sum(line.line_mrp_paise for line in lines)
    by_rate = gst_breakdown(lines)
    shipping = shipping_paise(subtotal)
    return Totals(subtotal_paise=subtotal, mrp_total_paise=mrp_total,
                  savings_paise=mrp_total - subtotal, gst_paise=sum(by_rate.values()),
                  gst_by_rate_bp=by_rate, shipping_paise=shipping,
                  total_paise=subtotal + shipping)
