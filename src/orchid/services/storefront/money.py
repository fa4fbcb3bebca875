"""Money as a shopper in India reads it: ₹1,29,999 (lakh grouping), MRP, discount and GST.

    inr(129_999_00)              # "₹1,29,999"
    inr(49_950)                  # "₹499.50"
    discount_percent(price_paise=29_900, mrp_paise=39_900)   # 25
"""

from __future__ import annotations


def group_indian(number: int) -> str:
    """Group the digits of a whole number the Indian way: 1,29,999 and 1,00,00,000."""
    sign, digits = ("-", str(-number)) if number < 0 else ("", str(number))
    if len(digits) <= 3:
        return sign + digits
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        head, pair = head[:-2], head[-2:]
        pairs.insert(0, pair)
    return sign + ",".join([head, *pairs, tail])


def inr(paise: int) -> str:
    """Format integer paise as rupees: whole rupees plainly, paise only when there are some."""
    sign, paise = ("-", -paise) if paise < 0 else ("", paise)
    rupees, rest = divmod(paise, 100)
    text = f"₹{group_indian(rupees)}"
    return sign + (f"{text}.{rest:02d}" if rest else text)


def discount_percent(*, price_paise: int, mrp_paise: int) -> int:
    """Return the discount on MRP in whole percent, rounded down (never overstated)."""
    if mrp_paise <= 0 or price_paise >= mrp_paise:
        return 0
    return (mrp_paise - price_paise) * 100 // mrp_paise


def percent_label(rate_bp: int) -> str:
    """Format a rate in basis points: 1800 → "18%", 250 → "2.5%"."""
    whole, rest = divmod(rate_bp, 100)
    return f"{whole}%" if not rest else f"{rate_bp / 100:g}%"
