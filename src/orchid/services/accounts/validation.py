"""Pure input rules for accounts: Indian phones, pincodes, states, emails, names, passwords.

Each rule returns the normalised value or raises ValueError with a client-safe message, so the
same rule serves Pydantic schemas (422 with the field's path) and, through `validated`, callers
without a schema (the CLI, other services).

    normalise_phone("098123-45678")                       # "+919812345678"
    validated("phone", normalise_phone, "12345")          # raises InvalidInput (422)
    check_password("password12")                          # raises ValueError: a common password

Passwords follow NIST SP 800-63B §5.1.1.2 (rev. 4 §3.1.1.2): a minimum length in code points
after NFC, no composition rules, and refusals of what guessers try first: common and breached
passwords and dictionary words (zxcvbn's frequency lists), repetitive or sequential characters,
and words from the account itself (its email, name, phone) or the shop's name.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Callable, Iterable

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

NAME_MAX, EMAIL_MAX, PASSWORD_MIN, PASSWORD_MAX = 100, 254, 8, 256
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


SHOP_NAME = "Orchid"
_ADVICE = "try three or four unrelated words"
_CONTEXT_MIN = 3  # shorter bits of a name (initials, "Li") would refuse half of all passwords
_PADDING = string.digits + string.punctuation + " "


def check_password(value: str, *, personal: Iterable[str] = ()) -> str:
    """Return the password NFC-normalised if NIST SP 800-63B's rules accept it.

    `personal` holds what is known of the account (email, name, phone): a password made of
    those, with only a weak rest, is refused.
    """
    password = unicodedata.normalize("NFC", value)
    _check_shape(password)
    folded = password.casefold()
    rest = folded
    for word in _personal_words(personal):
        rest = rest.replace(word, "")
    if rest != folded:
        try:
            _check_shape(rest)
        except ValueError:
            raise ValueError(f"must not be made of your email, name or phone number, or of "
                             f"“{SHOP_NAME}”: {_ADVICE}") from None
    return password


def _check_shape(password: str) -> None:
    """Refuse a password by length, control characters, pattern or presence in a common list."""
    if len(password) < PASSWORD_MIN:
        raise ValueError(f"must be at least {PASSWORD_MIN} characters: {_ADVICE}")
    if len(password) > PASSWORD_MAX:
        raise ValueError(f"must be at most {PASSWORD_MAX} characters")
    # Cc: NUL, line breaks, escapes (invisible, and some clients cut at them); Cs: lone
    # surrogates, which JSON can carry but UTF-8 cannot encode for hashing.
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in password):
        raise ValueError("must not contain control characters (such as NUL, tab or line "
                         "breaks): type it with letters, digits, spaces and symbols")
    folded = password.casefold()
    # Both forms: folding hides "AbCdEfGh" from the raw check, and "ĀāĂăĄą" from the folded one.
    if _is_pattern(password) or _is_pattern(folded):
        raise ValueError("must not be a repeated or sequential pattern like aaaaaaaa, "
                         f"12345678 or abcd1234: {_ADVICE}")
    # A common word padded with digits or symbols ("dragon2024!") is guessed as early as the
    # word: the list is checked for the core as well as the whole.
    common = _common_passwords()
    if folded in common or folded.strip(_PADDING) in common:
        raise ValueError(f"is too common (it is on lists of leaked passwords and dictionary "
                         f"words): {_ADVICE}")


def _is_pattern(text: str) -> bool:
    """True for repeats and runs: aaaaaaaa, 12345678, hgfedcba, abcabcabc, abcd1234, 11112222."""
    if len(set(text)) < 4 or text in (text + text)[1:-1]:  # few characters, or one unit repeated
        return True
    return _runs(text) <= 3


def _runs(text: str) -> int:
    """Count the stretches that repeat a character or count up or down by one."""
    runs, step = 1, None
    for a, b in zip(text, text[1:], strict=False):
        d = _step(a, b)
        if d is not None and step in (None, d):
            step = d
        else:
            runs, step = runs + 1, None
    return runs


def _step(a: str, b: str) -> int | None:
    d = ord(b) - ord(a)
    if a in "0123456789" and b in "0123456789":
        d = (d + 1) % 10 - 1  # 9 then 0 counts on, as on a keypad: 7890123
    return d if -1 <= d <= 1 else None


@functools.cache
def _common_passwords() -> frozenset[str]:
    """Return zxcvbn's lists: 30 k leaked passwords, English words, names and surnames."""
    # Imported on first use: the lists are a 0.8 MB module that only sign-up needs.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    # Words under 4 characters are left out: as the core of a password ("cat!9$7#2x") they
    # leave its strength to what pads them.
    return frozenset(word.casefold() for words in FREQUENCY_LISTS.values() for word in words
                     if len(word) >= 4)


def _personal_words(personal: Iterable[str]) -> list[str]:
    """Return the words a guesser takes from the account, longest first (so "asha sharma"
    goes before "asha")."""
    words = {SHOP_NAME.casefold()}
    for item in personal:
        text = unicodedata.normalize("NFC", item).casefold().strip()
        local = text.partition("@")[0]  # an email's local part; a name or phone stays whole
        # Split at spaces, dots, dashes and other non-letters, but keep marks: Indic vowel
        # signs are marks, and "आशा" must stay one word.
        pieces = "".join(ch if unicodedata.category(ch)[0] in "LMN" else " "
                         for ch in local).split()
        digits = "".join(ch for ch in text if ch in "0123456789")
        words.update([text, local, "".join(pieces), *pieces, digits, digits[-10:]])
    return sorted((w for w in words if len(w) >= _CONTEXT_MIN), key=len, reverse=True)


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
