"""Listing pages' queries: filters from the URL into a search, and the links that change them.

Category pages and search results both run on the search service, which returns the facets
the filters are drawn from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from pydantic import ValidationError

from orchid.services.search.engine import PRICE_BANDS
from orchid.services.search.schemas import SearchQuery
from orchid.services.storefront.forms import BadForm

PAGE_SIZE = 24
SORTS = {"relevance": "Relevance", "popular": "Popularity", "price_asc": "Price: low to high",
         "price_desc": "Price: high to low", "newest": "New arrivals"}
BANDS = {band.key: band for band in PRICE_BANDS}


@dataclass(frozen=True)
class Filters:
    """What a listing URL asks for."""

    q: str = ""
    brands: list[str] = field(default_factory=list)
    price: str = ""
    sort: str = "relevance"
    in_stock: bool = False
    cursor: str | None = None

    def query(self, *, category: str | None, limit: int = PAGE_SIZE) -> SearchQuery:
        """Build the search for these filters, refusing values no page would send."""
        band = BANDS.get(self.price) if self.price else None
        if self.price and band is None:
            raise BadForm("That price range is not one we offer.")
        if self.sort not in SORTS:
            raise BadForm("That sort order is not one we offer.")
        try:
            return SearchQuery(q=self.q, brand=self.brands, category=category,
                               price_min=band.low if band else None,
                               price_max=band.high - 1 if band and band.high else None,
                               in_stock=True if self.in_stock else None, sort=self.sort,
                               cursor=self.cursor, limit=limit)
        except ValidationError as exc:
            raise BadForm("Some of the filters in the address are not valid.") from exc

    def params(self, **changes: object) -> dict[str, object]:
        """The URL parameters of these filters with `changes` applied (the cursor dropped)."""
        values: dict[str, object] = {"q": self.q, "brand": self.brands, "price": self.price,
                                     "sort": self.sort if self.sort != "relevance" else "",
                                     "in_stock": "1" if self.in_stock else ""}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", [], None)}

    def link(self, path: str, **changes: object) -> str:
        """Return `path` with these filters' parameters (and `changes`)."""
        params = self.params(**changes)
        return path + ("?" + urlencode(params, doseq=True) if params else "")

    @property
    def active(self) -> int:
        """How many filters are set (the badge on the filter button)."""
        return len(self.brands) + bool(self.price) + self.in_stock
