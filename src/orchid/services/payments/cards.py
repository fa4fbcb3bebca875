"""Card number, expiry and CVV rules; pure functions, so the schemas and tests share them."""

from __future__ import annotations

import re
from datetime import datetime

_DIGITS = re.compile(r"^[0-9]{12,19}$")
_EXPIRY = re.compile(r"^(0[1-9]|1[0-2])/([0-9]{2})$")
_CVV = re.compile(r"^[0-9]{3,4}$")
# The longest matching prefix wins (6521 is RuPay inside Discover's 65); RuPay is India's own.
_BRANDS: tuple[tuple[str, str], ...] = (
    ("508", "rupay"), ("60", "rupay"), ("6521", "rupay"), ("6522", "rupay"), ("81", "rupay"),
    ("82", "rupay"), ("6011", "discover"), ("65", "discover"), ("34", "amex"), ("37", "amex"),
    ("36", "diners"), ("4", "visa"),
    *((str(p), "mastercard") for p in range(51, 56)),
    *((str(p), "mastercard") for p in range(2221, 2721)),
)


def normalise_number(raw: str) -> str:
    """Strip spaces and dashes; refuse anything but 12–19 digits passing the Luhn check."""
    number = raw.replace(" ", "").replace("-", "")
    if not _DIGITS.match(number):
        raise ValueError("card number must be 12 to 19 digits")
    if not luhn_valid(number):
        raise ValueError("card number is not valid")
    return number


def luhn_valid(number: str) -> bool:
    """True when the digits pass the Luhn checksum."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def check_expiry(raw: str, *, now: datetime) -> str:
    """Accept MM/YY for this month or later (a card is valid through its expiry month)."""
    match = _EXPIRY.match(raw.strip())
    if match is None:
        raise ValueError("expiry must be MM/YY")
    month, year = int(match.group(1)), 2000 + int(match.group(2))
    if (year, month) < (now.year, now.month):
        raise ValueError("card has expired")
    return f"{month:02d}/{year % 100:02d}"


def check_cvv(raw: str) -> str:
    """Accept 3 or 4 digits."""
    if not _CVV.match(raw):
        raise ValueError("CVV must be 3 or 4 digits")
    return raw


def brand(number: str) -> str:
    """Return the card network guessed from the number's prefix."""
    matches = [(len(prefix), name) for prefix, name in _BRANDS if number.startswith(prefix)]
    return max(matches)[1] if matches else "unknown"
