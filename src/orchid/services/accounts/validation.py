"""Pure input rules for accounts: Indian phones, pincodes, states, emails, names, passwords.

Each rule returns the normalised value or raises ValueError with a client-safe message, so the
same rule serves Pydantic schemas (422 with the field's path) and, through `validated`, callers
without a schema (the CLI, other services).

    normalise_phone("098123-45678")                       # "+919812345678"
    validated("phone", normalise_phone, "12345")          # raises InvalidInput (422)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email

from orchid.kit.errors import InvalidInput

ROLES = ("customer", "staff", "admin")

STATES: tuple[str, ...] = (
    "Andhra Pradesh", "Arunachal Pradesh", "Assam", "Bihar", "Chhattisgarh", "Goa", "Gujarat",
    "Haryana", "Himachal Pradesh", "Jharkhand", "Karnataka", "Kerala", "Madhya Pradesh",
    "Maharashtra", "Manipur", "Meghalaya", "Mizoram", "Nagaland", "Odisha", "Punjab", "Rajasthan",
    "Sikkim", "Tamil Nadu", "Telangana", "Tripura", "Uttar Pradesh", "Uttarakhand", "West Bengal",
)
UNION_TERRITORIES: tuple[str, ...] = (
    "Andaman and Nicobar Islands", "Chandigarh", "Dadra and Nagar Haveli and Daman and Diu",
    "Delhi", "Jammu and Kashmir", "Ladakh", "Lakshadweep", "Puducherry",
)
_STATE_BY_KEY = {name.casefold(): name for name in (*STATES, *UNION_TERRITORIES)}

NAME_MAX, EMAIL_MAX, PASSWORD_MIN, PASSWORD_MAX = 100, 254, 10, 256
# [0-9], not \d: \d also matches Devanagari and other Unicode digits.
_PHONE = re.compile(r"(?:\+91|0091|91|0)?([6-9][0-9]{9})")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_PINCODE = re.compile(r"[1-9][0-9]{5}")
_JOINERS = {"\u200c", "\u200d"}


def normalise_phone(value: str) -> str:
    """Return an Indian mobile number as E.164 (+91XXXXXXXXXX)."""
    compact = _PHONE_SEPARATORS.sub("", value)
    match = _PHONE.fullmatch(compact) if len(compact) <= 16 else None
    if match is None:
        raise ValueError("must be an Indian mobile number, e.g. +91 98123 45678")
    return f"+91{match.group(1)}"


def check_pincode(value: str) -> str:
    """Return a valid six-digit Indian pincode."""
    if not _PINCODE.fullmatch(value):
        raise ValueError("must be a 6-digit pincode not starting with 0")
    return value


def normalise_state(value: str) -> str:
    """Return the canonical name of an Indian state or union territory."""
    name = _STATE_BY_KEY.get(" ".join(value.split()).casefold())
    if name is None:
        raise ValueError("must be one of India's states or union territories")
    return name


def normalise_email(value: str) -> str:
    """Return a syntactically valid email address, lower-cased."""
    if len(value) > EMAIL_MAX:
        raise ValueError(f"must be at most {EMAIL_MAX} characters")
    try:
        # Syntax only: deliverability is proven by a mail, not a DNS lookup on the request path.
        # test_environment admits the reserved .test domain that staging and tests use.
        result = validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError("must be a valid email address") from exc
    return result.normalized.lower()


def clean_text(value: str, *, max_length: int) -> str:
    """Return free text on one line, trimmed; any script is welcome, control characters not."""
    text = " ".join(value.split())
    if not text or len(text) > max_length:
        raise ValueError(f"must be 1 to {max_length} characters")
    # Category C* holds control and format characters (bidi overrides are used for spoofing);
    # ZWJ/ZWNJ are format characters too, but Indic scripts need them to shape conjuncts.
    if any(unicodedata.category(ch).startswith("C") and ch not in _JOINERS for ch in text):
        raise ValueError("must not contain control characters")
    return text


def check_name(value: str) -> str:
    """Return a person's name, trimmed."""
    return clean_text(value, max_length=NAME_MAX)


def check_password(value: str) -> str:
    """Return the password if it is long enough and not only digits."""
    if len(value) < PASSWORD_MIN:
        raise ValueError(f"must be at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise ValueError(f"must be at most {PASSWORD_MAX} characters")
    if value.isdigit():
        raise ValueError("must not be only digits")
    return value


def check_role(value: str) -> str:
    """Return the role if it is one Orchid knows."""
    if value not in ROLES:
        raise ValueError(f"must be one of {', '.join(ROLES)}")
    return value


def validated(field: str, check: Callable[[str], str], value: str) -> str:
    """Apply `check` for a caller without a schema (CLI, other services): 422 like a request."""
    try:
        return check(value)
    except ValueError as exc:
        raise InvalidInput(f"{field} {exc}", errors=[
            {"field": field, "message": str(exc), "type": "value_error"}]) from exc
