"""Order numbers, reservation keys and request fingerprints.

    new_number()                       # "OR-7KQ2-M9XD-3P": 50 random bits, Crockford base32
    reservation_key("cust", "key-1")   # "chk_" + 56 hex digits of sha256(customer, key)
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from orchid.services.orders.errors import ReservationLapsed

# Crockford's alphabet has no I, L, O or U: nothing to misread when a number is read aloud.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_NUMBER = re.compile(r"^OR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$")
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Inventory keys are at most 64 characters; 56 hex digits (224 bits) leave room for a suffix.
_KEY_DIGITS = 56
MAX_REKEYS = 9


def new_number() -> str:
    """Return a fresh random order number."""
    chars = "".join(secrets.choice(CROCKFORD) for _ in range(10))
    return f"OR-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def normalise_number(raw: str) -> str | None:
    """Return the canonical form of a number a customer typed (any case, O for 0), or None."""
    if len(raw) > 20:
        return None
    candidate = raw.strip().upper().translate(_MISREAD)
    if candidate.startswith("0R-"):
        candidate = "OR-" + candidate[3:]  # the prefix's O was turned into a zero above
    return candidate if _NUMBER.match(candidate) else None


def _digest(*parts: str) -> str:
    # JSON, not a joined string: no choice of parts can make two different lists hash alike.
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def reservation_key(customer_id: str, idempotency_key: str) -> str:
    """Return the inventory reservation key of one customer's checkout attempt."""
    return "chk_" + _digest(customer_id, idempotency_key)[:_KEY_DIGITS]


def next_reservation_key(key: str) -> str:
    """Return the key to re-reserve under once `key`'s reservation was let go.

    Derived, not random, so two processes re-reserving for the same order share one
    reservation (inventory's `reserve` is idempotent on its key).
    """
    base, _, suffix = key.partition(".r")
    attempt = int(suffix) + 1 if suffix.isdigit() else 1
    if attempt > MAX_REKEYS:
        raise ReservationLapsed("The stock hold lapsed too often; start a new checkout.",
                                key=base)
    return f"{base}.r{attempt}"


def fingerprint(*, customer_id: str, lines: list[tuple[str, int, int]], address_id: str,
                payment: dict[str, Any]) -> str:
    """Hash what makes a checkout request what it is: who, which priced lines, where, how paid.

    `lines` are (sku, quantity, unit price); `payment` must hold no card number or CVV.
    """
    body = {"customer": customer_id, "lines": sorted(lines), "address": address_id,
            "payment": payment}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()
