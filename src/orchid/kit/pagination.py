"""Opaque keyset cursors: the last row's sort key, base64url-encoded JSON.

    cursor = encode_cursor("price_asc", [49900, 17])
    decode_cursor(cursor, sort="price_asc", key_types=(int, int))     # [49900, 17]

A key is a list of parts, each of a declared kind and bounded, so that nothing a client puts
in a cursor can blow up later in a database driver, Elasticsearch or datetime arithmetic:

    int       a signed 64-bit integer (what SQLite, MariaDB BIGINT and an ES long hold)
    float     a finite float: no NaN, no infinities
    str       at most MAX_TEXT characters that encode as UTF-8 (no lone surrogates)
    datetime  an aware moment from 1970 to 9999, carried as epoch microseconds (UTC)

A cursor that does not decode, has another shape, or belongs to another sort order is the
client's error (422 `invalid_cursor`), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import StringConstraints

from orchid.kit.errors import InvalidInput

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_TEXT = 200  # the longest text any list sorts by (a product name)
# A key with one MAX_TEXT part, each character at its longest in JSON (\u0000), fits.
MAX_CURSOR_LENGTH = 2048
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
MAX_MICROS = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - EPOCH) // _MICROSECOND
KEY_KINDS = (int, float, str, datetime)

# The query parameter that carries a cursor; longer is refused before it is decoded.
Cursor = Annotated[str, StringConstraints(max_length=MAX_CURSOR_LENGTH)]


def encode_cursor(sort: str, key: list[Any]) -> str:
    """Encode the sort name and last row's key (datetimes as epoch microseconds)."""
    parts = [_micros(part) if isinstance(part, datetime) else part for part in key]
    # Not ASCII-escaped: a Devanagari name is 3 bytes a letter in UTF-8, 6 as \uXXXX.
    raw = json.dumps({"s": sort, "k": parts}, separators=(",", ":"), ensure_ascii=False,
                     allow_nan=False).encode()
    cursor = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise ValueError(f"a {sort} key of {len(cursor)} characters cannot make a cursor")
    return cursor


def decode_cursor(cursor: str, *, sort: str, key_types: tuple[type, ...]) -> list[Any]:
    """Decode a cursor made for `sort`, checking the key's shape against `key_types`."""
    unknown = [kind for kind in key_types if kind not in KEY_KINDS]
    if unknown:
        raise TypeError(f"cursor keys hold int, float, str or datetime, not {unknown}")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidInput("cursor is too long", code="invalid_cursor")
    data = _load(cursor)
    if not isinstance(data, dict) or data.keys() != {"s", "k"}:
        raise InvalidInput("cursor is malformed", code="invalid_cursor")
    if data["s"] != sort:
        raise InvalidInput("cursor belongs to another sort order", code="invalid_cursor")
    key = data["k"]
    if not isinstance(key, list) or len(key) != len(key_types):
        raise InvalidInput("cursor is malformed", code="invalid_cursor")
    return [_part(value, kind) for value, kind in zip(key, key_types, strict=True)]


def _load(cursor: str) -> Any:
    try:
        padded = (cursor + "=" * (-len(cursor) % 4)).encode("ascii")
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
        return json.loads(text, parse_constant=_no_constant)
    # Deep nesting ("[[[[…") exhausts the parser's recursion before the length limit does.
    except (binascii.Error, ValueError, UnicodeError, RecursionError) as exc:
        raise InvalidInput("cursor is malformed", code="invalid_cursor") from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")  # NaN and ±Infinity, which JSON lacks


def _part(value: Any, kind: type) -> Any:
    """Return one key part as `kind`, or fail with invalid_cursor."""
    # bool is an int in Python, but never a valid key part.
    if isinstance(value, bool):
        raise InvalidInput("cursor is malformed", code="invalid_cursor")
    if kind is int and isinstance(value, int) and INT64_MIN <= value <= INT64_MAX:
        return value
    if kind is float and isinstance(value, float) and math.isfinite(value):
        return value
    if kind is str and isinstance(value, str) and len(value) <= MAX_TEXT and _utf8(value):
        return value
    if kind is datetime and isinstance(value, int) and 0 <= value <= MAX_MICROS:
        return EPOCH + value * _MICROSECOND
    raise InvalidInput("cursor is malformed", code="invalid_cursor")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("a cursor's datetime must be aware")
    return (moment - EPOCH) // _MICROSECOND
