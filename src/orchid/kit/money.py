"""Indian rupees from integer paise, as shoppers in India read them: ₹1,29,999 (lakh grouping).

    inr(129_999_00)              # "₹1,29,999"
    inr(49_950)                  # "₹499.50"
    group_indian(10_000_000)     # "1,00,00,000"
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
