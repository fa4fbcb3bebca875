"""What every search engine offers, and the rules they share: sorts, cursors and price bands.

Both engines take the same `SearchQuery`, analyse text with `text.py` and return the same
`SearchPage`, so the service (and a fallback between them) never knows which one answered.
Facet labels are left as the raw values; the service names brands and categories.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from orchid.kit.errors import Unavailable
from orchid.kit.pagination import decode_cursor, encode_cursor
from orchid.services.search.schemas import (
    IndexDoc,
    SearchPage,
    SearchQuery,
    SuggestPage,
    Watermark,
)

EngineName = Literal["elasticsearch", "fts5"]
Progress = Callable[[int], None]


class EngineUnavailable(Unavailable):
    """The search engine cannot be reached (down, timing out or failing)."""

    code, title = "search_unavailable", "Search unavailable"


@dataclass(frozen=True)
class PriceBand:
    """A price facet bucket: [low, high) in paise."""

    key: str
    label: str
    low: int
    high: int | None


PRICE_BANDS = (
    PriceBand("under-299", "Under ₹299", 0, 29900),
    PriceBand("299-499", "₹299 – ₹499", 29900, 50000),
    PriceBand("500-999", "₹500 – ₹999", 50000, 100000),
    PriceBand("1000-1999", "₹1,000 – ₹1,999", 100000, 200000),
    PriceBand("2000-plus", "₹2,000 and above", 200000, None),
)
BAND_LABELS = {band.key: band.label for band in PRICE_BANDS}


@dataclass(frozen=True)
class SortSpec:
    """How a sort orders hits: by one field, then product id, in the given directions."""

    field: str  # "score" | "price_paise" | "created_us" | "popularity"
    descending: bool
    id_descending: bool
    key_types: tuple[type, ...]


SORTS: dict[str, SortSpec] = {
    "relevance": SortSpec("score", True, False, (float, int)),
    "price_asc": SortSpec("price_paise", False, False, (int, int)),
    "price_desc": SortSpec("price_paise", True, True, (int, int)),
    "newest": SortSpec("created_us", True, True, (int, int)),
    "popular": SortSpec("popularity", True, True, (int, int)),
}


def effective_sort(query: SearchQuery) -> str:
    """Return the sort actually applied: relevance without words means most popular."""
    return "popular" if query.sort == "relevance" and not query.q else query.sort


def cursor_sort_name(sort: str, engine: EngineName) -> str:
    """Name the cursor's order; relevance scores differ per engine, so the engine is in it."""
    return f"relevance@{engine}" if sort == "relevance" else sort


def read_cursor(query: SearchQuery, engine: EngineName) -> list[Any] | None:
    """Decode the query's cursor for this engine and sort (422 when it does not fit)."""
    if query.cursor is None:
        return None
    sort = effective_sort(query)
    key = decode_cursor(query.cursor, sort=cursor_sort_name(sort, engine),
                        key_types=SORTS[sort].key_types)
    if sort == "relevance":
        key[0] = float(key[0])
    return key


def make_cursor(query: SearchQuery, engine: EngineName, key: list[Any]) -> str:
    """Encode the last hit's sort key as the next page's cursor."""
    return encode_cursor(cursor_sort_name(effective_sort(query), engine), key)


class SearchEngine(Protocol):
    """An index of product documents that answers searches and suggestions."""

    name: EngineName

    async def search(self, query: SearchQuery) -> SearchPage:
        """Return one page of hits with facets."""
        ...

    async def suggest(self, *, q: str, limit: int) -> SuggestPage:
        """Return product names completing `q`."""
        ...

    async def upsert(self, docs: list[IndexDoc]) -> None:
        """Add or replace documents (by product id)."""
        ...

    async def delete(self, ids: list[int]) -> None:
        """Remove documents by product id; unknown ids are ignored."""
        ...

    async def find_id(self, slug: str) -> int | None:
        """Return the product id indexed under `slug`."""
        ...

    async def rebuild(self, batches: AsyncIterator[list[IndexDoc]], *,
                      watermark: Callable[[], Watermark | None],
                      progress: Progress | None = None) -> str:
        """Build a fresh index from `batches`, switch readers to it at once; return its name."""
        ...

    async def watermark(self) -> Watermark | None:
        """Return the last catalog change applied, None for a never-built index."""
        ...

    async def set_watermark(self, mark: Watermark) -> None:
        """Record the last catalog change applied."""
        ...

    async def stock_slice(self, *, after_id: int, limit: int) -> list[tuple[int, list[str], bool]]:
        """Return (id, skus, in_stock) of the next `limit` documents after `after_id`."""
        ...

    async def set_stock(self, changes: dict[int, bool]) -> None:
        """Set in_stock on documents by product id."""
        ...

    async def count(self) -> int:
        """Return how many documents are searchable."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
