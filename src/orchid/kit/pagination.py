"""Opaque keyset cursors: the last row's sort key, base64url-encoded JSON.

    cursor = encode_cursor("price_asc", [49900, 17])
    sort, key = decode_cursor(cursor)      # ("price_asc", [49900, 17])

A cursor that does not decode, or that belongs to another sort order, is the client's error
(422), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from orchid.kit.errors import InvalidInput

MAX_CURSOR_LENGTH = 512


def encode_cursor(sort: str, key: list[Any]) -> str:
    """Encode the sort name and last row's key."""
    raw = json.dumps({"s": sort, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, *, sort: str, key_types: tuple[type, ...]) -> list[Any]:
    """Decode a cursor made for `sort`, checking the key's shape against `key_types`."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidInput("cursor is too long", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise InvalidInput("cursor is malformed", code="invalid_cursor") from exc
    if not isinstance(data, dict) or data.get("s") != sort:
        raise InvalidInput("cursor belongs to another sort order", code="invalid_cursor")
    key = data.get("k")
    if (not isinstance(key, list) or len(key) != len(key_types)
            or not all(_is(v, t) for v, t in zip(key, key_types, strict=True))):
        raise InvalidInput("cursor is malformed", code="invalid_cursor")
    return key


def _is(value: Any, expected: type) -> bool:
    # bool is an int in Python, but never a valid key part.
    return isinstance(value, expected) and not isinstance(value, bool)
