"""Keyset cursors round-trip, and any string a client sends either decodes to a key of the
declared shape within its bounds or is refused as invalid_cursor."""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orchid.kit.errors import InvalidInput
from orchid.kit.pagination import (
    EPOCH,
    INT64_MAX,
    INT64_MIN,
    MAX_CURSOR_LENGTH,
    MAX_MICROS,
    MAX_TEXT,
    decode_cursor,
    encode_cursor,
)

KINDS: list[type] = [int, float, str, datetime]
SHAPES = st.lists(st.sampled_from(KINDS), min_size=1, max_size=3).map(tuple)
LAST_MOMENT = EPOCH + timedelta(microseconds=MAX_MICROS)
# No deadline: two cores shared with other test runs make timings meaningless here.
UNTIMED = settings(deadline=None)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner,
                                                                max_size=3),
    max_leaves=12)


def raw_cursor(data: Any) -> str:
    """A cursor as a client could make one: any JSON, NaN and huge numbers included."""
    return b64(json.dumps(data, allow_nan=True))


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).rstrip(b"=").decode()


def part_of(kind: type) -> st.SearchStrategy[Any]:
    """Values of one key part that the kind allows."""
    if kind is int:
        return st.integers(INT64_MIN, INT64_MAX)
    if kind is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind is str:
        return st.text(st.characters(codec="utf-8"), max_size=MAX_TEXT)
    return st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31),
                        timezones=st.just(UTC))


def keys_of(shape: tuple[type, ...]) -> st.SearchStrategy[list[Any]]:
    return st.tuples(*(part_of(kind) for kind in shape)).map(list)


def assert_in_shape(key: list[Any], shape: tuple[type, ...]) -> None:
    assert len(key) == len(shape)
    for part, kind in zip(key, shape, strict=True):
        assert type(part) is kind, (part, kind)
        if isinstance(part, int):
            assert INT64_MIN <= part <= INT64_MAX
        elif isinstance(part, float):
            assert math.isfinite(part)
        elif isinstance(part, str):
            assert len(part) <= MAX_TEXT
            part.encode("utf-8")  # no lone surrogates
        else:
            assert isinstance(part, datetime) and part.tzinfo is not None
            assert EPOCH <= part <= LAST_MOMENT


def decodes_or_is_refused(cursor: str, shape: tuple[type, ...]) -> None:
    try:
        key = decode_cursor(cursor, sort="s", key_types=shape)
    except InvalidInput as exc:
        assert exc.code == "invalid_cursor"
    else:
        assert_in_shape(key, shape)


@UNTIMED
@given(st.text(max_size=MAX_CURSOR_LENGTH + 10), SHAPES)
def test_any_text_decodes_in_shape_or_is_invalid_cursor(cursor: str,
                                                        shape: tuple[type, ...]) -> None:
    decodes_or_is_refused(cursor, shape)


@UNTIMED
@given(JSON, SHAPES)
@example({"s": "s", "k": [2**64, 1]}, (int, int))
@example({"s": "s", "k": [-(2**63) - 1, 1]}, (int, int))
@example({"s": "s", "k": [float("inf"), 1]}, (float, int))
@example({"s": "s", "k": [float("nan"), 1]}, (float, int))
@example({"s": "s", "k": [1e400, 1]}, (float, int))
@example({"s": "s", "k": ["\ud800", 1]}, (str, int))
@example({"s": "s", "k": ["x" * (MAX_TEXT + 1), 1]}, (str, int))
@example({"s": "s", "k": [[1], {"a": 1}]}, (int, int))
@example({"s": "s", "k": [MAX_MICROS + 1, 1]}, (datetime, int))
@example({"s": "s", "k": [-1, 1]}, (datetime, int))
@example({"s": "s", "k": [True, 1]}, (int, int))
def test_any_json_decodes_in_shape_or_is_invalid_cursor(data: Any,
                                                        shape: tuple[type, ...]) -> None:
    decodes_or_is_refused(raw_cursor(data), shape)
    decodes_or_is_refused(raw_cursor({"s": "s", "k": data}), shape)


@UNTIMED
@given(SHAPES.flatmap(lambda shape: st.tuples(st.just(shape), keys_of(shape))))
def test_a_key_in_shape_round_trips(case: tuple[tuple[type, ...], list[Any]]) -> None:
    shape, key = case
    try:
        cursor = encode_cursor("s", key)
    except ValueError:
        # Only a key with more than one long text part is too big; no list sorts by two.
        assert sum(len(p) for p in key if isinstance(p, str)) > MAX_TEXT
        return
    assert decode_cursor(cursor, sort="s", key_types=shape) == key


def test_the_longest_text_key_fits() -> None:
    for text in ("\x00" * MAX_TEXT, "\U0001f484" * MAX_TEXT, "नमस्ते" * (MAX_TEXT // 6)):
        key = [text, INT64_MIN]
        cursor = encode_cursor("relevance@elasticsearch", key)
        assert len(cursor) <= MAX_CURSOR_LENGTH
        assert decode_cursor(cursor, sort="relevance@elasticsearch",
                             key_types=(str, int)) == key


def test_datetimes_travel_as_epoch_microseconds() -> None:
    moment = datetime(2026, 11, 24, 11, 0, 0, 123456, tzinfo=UTC)
    cursor = encode_cursor("newest", [moment, 17])
    assert decode_cursor(cursor, sort="newest", key_types=(int, int)) == [
        (moment - EPOCH) // timedelta(microseconds=1), 17]
    assert decode_cursor(cursor, sort="newest", key_types=(datetime, int)) == [moment, 17]
    with pytest.raises(ValueError):
        encode_cursor("newest", [datetime(2026, 1, 1), 1])  # naive: which zone?


@pytest.mark.parametrize("cursor", ["", "!!!", "bm90IGpzb24", "x" * (MAX_CURSOR_LENGTH + 1),
                                    encode_cursor("price_asc", [1]),
                                    encode_cursor("price_asc", ["a", 1]),
                                    encode_cursor("price_asc", [True, 1]),
                                    encode_cursor("price_asc", [2**63, 1]),
                                    raw_cursor({"s": "price_asc", "k": [1, 1], "x": 0}),
                                    b64("[" * 760 + "]" * 760), b64('{"s":"price_asc",'),
                                    b64('{"s":"price_asc","k":[NaN,1]}')])
def test_malformed_cursors_are_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor, sort="price_asc", key_types=(int, int))
    assert caught.value.code == "invalid_cursor"


def test_cursor_of_another_sort_is_refused() -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(encode_cursor("name", ["a", 1]), sort="price_asc", key_types=(int, int))


def test_an_unknown_key_kind_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        decode_cursor(encode_cursor("s", [1]), sort="s", key_types=(bytes,))
