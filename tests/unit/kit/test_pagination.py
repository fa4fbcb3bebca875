"""Keyset cursors round-trip and refuse anything malformed."""

from __future__ import annotations

import pytest

from orchid.kit.errors import InvalidInput
from orchid.kit.pagination import decode_cursor, encode_cursor


def test_round_trip() -> None:
    cursor = encode_cursor("price_asc", [49900, 17])
    assert decode_cursor(cursor, sort="price_asc", key_types=(int, int)) == [49900, 17]


@pytest.mark.parametrize("cursor", ["", "!!!", "bm90IGpzb24", "x" * 600,
                                    encode_cursor("price_asc", [1]),
                                    encode_cursor("price_asc", ["a", 1]),
                                    encode_cursor("price_asc", [True, 1])])
def test_malformed_cursors_are_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(cursor, sort="price_asc", key_types=(int, int))


def test_cursor_of_another_sort_is_refused() -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(encode_cursor("name", ["a", 1]), sort="price_asc", key_types=(int, int))
