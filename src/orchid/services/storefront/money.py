"""Money as a shopper in India reads it: ₹1,29,999 (lakh grouping), MRP, discount and GST.

    inr(129_999_00)              # "₹1,29,999"
    inr(49_950)                  # "₹499.50"
    discount_percent(price_paise=29_900, mrp_paise=39_900)   # 25
"""

from __future__ import annotations

from orchid.kit.money import group_indian, inr

__all__ = ["discount_percent", "group_indian", "inr", "percent_label"]


def discount_percent(*, price_paise: int, mrp_paise: int) -> int:
    """Return the discount on MRP in whole percent, rounded down (never overstated)."""
    if mrp_paise <= 0 or price_paise >= mrp_paise:
        return 0
    return (mrp_paise - price_paise) * 100 // mrp_paise


def percent_label(rate_bp: int) -> str:
    """Format a rate in basis points: 1800 → "18%", 250 → "2.5%"."""
    whole, rest = divmod(rate_bp, 100)
    return f"{whole}%" if not rest else f"{rate_bp / 100:g}%"
