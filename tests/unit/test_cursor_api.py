"""Every cursor-paged list answers a forged cursor with 422 invalid_cursor, never a 500: numbers
beyond 64 bits or beyond the calendar, infinities, lone surrogates and nested values."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.support.problems import assert_problem

# A route, the query naming its sort, and that sort's name inside the cursor.
ROUTES = [
    ("/api/v1/catalog/products", {}, "newest"),
    ("/api/v1/catalog/products", {"sort": "price_asc"}, "price_asc"),
    ("/api/v1/catalog/products", {"sort": "name"}, "name"),
    ("/api/v1/search", {}, "popular"),
    ("/api/v1/search", {"q": "kajal"}, "relevance@fts5"),
    ("/api/v1/orders", {}, "newest"),
    ("/api/v1/admin/orders", {}, "newest"),
]
KEYS = [
    "[18446744073709551616,1]",  # 2**64: SQLite's driver raised OverflowError
    "[1,-9223372036854775809]",  # below -2**63
    "[1e999,1]",  # infinity
    '["\\ud800",1]',  # a lone surrogate, which no database driver can encode
    "[[1],{\"a\":1}]",
]
# Fits 64 bits, but as microseconds since 1970 it is a datetime past the year 9999.
BEYOND_THE_CALENDAR = "[4611686018427387904,1]"


def cursor(sort: str, key: str) -> str:
    raw = f'{{"s":"{sort}","k":{key}}}'.encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(("path", "params", "sort"), ROUTES)
async def test_forged_cursors_are_invalid_cursor(api: httpx.AsyncClient,
                                                 staff_headers: dict[str, str], path: str,
                                                 params: dict[str, str], sort: str) -> None:
    for key in KEYS + ([BEYOND_THE_CALENDAR] if sort == "newest" else []):
        response = await api.get(path, params={**params, "cursor": cursor(sort, key)},
                                 headers=staff_headers)
        assert_problem(response, 422, "invalid_cursor")
