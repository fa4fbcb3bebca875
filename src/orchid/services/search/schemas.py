"""Search request and response bodies, and the document both engines index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from orchid.kit.numbers import QueryInt
from orchid.kit.pagination import Cursor

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_PAISE = 10_000_000_00
MAX_LIMIT, MAX_SUGGESTIONS = 100, 10

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=160)]
SearchSort = Literal["relevance", "price_asc", "price_desc", "newest", "popular"]
Paise = Annotated[int, Field(ge=0, le=MAX_PAISE), QueryInt]


class SearchQuery(BaseModel):
    """Full text, filters, order and page of a product search."""

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    brand: Annotated[list[Slug], Field(max_length=20)] = []
    category: Slug | None = None
    price_min: Paise | None = None
    price_max: Paise | None = None
    in_stock: bool | None = None
    sort: SearchSort = "relevance"
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT), QueryInt] = 24
    # Counting facets over the whole result set is most of a search's cost; a shelf of products
    # that shows no filters (the home page, "you may also like") asks for none.
    facets: bool = True

    @model_validator(mode="after")
    def _price_range(self) -> Self:
        if (self.price_min is not None and self.price_max is not None
                and self.price_min > self.price_max):
            raise ValueError("price_min must not exceed price_max")
        return self


class BrandRef(BaseModel):
    """A brand as shown on a search hit."""

    slug: str
    name: str


class SearchHit(BaseModel):
    """A product in search results."""

    slug: str
    name: str
    brand: BrandRef
    category: str
    price_paise: int
    mrp_paise: int
    currency: str
    rating: float
    image: str | None
    in_stock: bool


class FacetValue(BaseModel):
    """One value of a facet and how many results carry it."""

    value: str
    label: str
    count: int


class Facets(BaseModel):
    """Counts of the results by brand, category (every level), price band and attribute."""

    brand: list[FacetValue] = []
    category: list[FacetValue] = []
    price: list[FacetValue] = []
    attributes: dict[str, list[FacetValue]] = {}


class SearchPage(BaseModel):
    """One page of results, the facets of the whole result set, and the next page's cursor."""

    items: list[SearchHit]
    total: int
    facets: Facets
    next_cursor: str | None
    engine: Literal["elasticsearch", "fts5"]


class Suggestion(BaseModel):
    """An autocomplete entry: a brand or a product name."""

    text: str
    kind: Literal["brand", "product"]
    slug: str


class SuggestPage(BaseModel):
    """Autocomplete entries for a prefix."""

    items: list[Suggestion]
    engine: Literal["elasticsearch", "fts5"]


class SyncReport(BaseModel):
    """What one incremental sync applied."""

    upserted: int
    removed: int
    stock_checked: int
    stock_changed: int = 0  # of those checked, documents whose in-stock flag flipped


class ReindexReport(BaseModel):
    """What a full reindex built."""

    engine: str
    index: str
    documents: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Watermark:
    """The last catalog change an index has applied: keyset (updated_at, product id), and when
    the sync that applied it began reading the catalog (where a restart resumes re-reading)."""

    updated_at: datetime
    product_id: int
    read_at: datetime | None = None

    def to_json(self) -> dict[str, object]:
        """The stored form (ISO times)."""
        data: dict[str, object] = {"updated_at": self.updated_at.isoformat(),
                                   "product_id": self.product_id}
        if self.read_at is not None:
            data["read_at"] = self.read_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Watermark:
        """Read the stored form."""
        read_at = data.get("read_at")
        return cls(datetime.fromisoformat(data["updated_at"]), int(data["product_id"]),
                   datetime.fromisoformat(read_at) if read_at else None)


@dataclass(slots=True)
class IndexDoc:
    """A product as both engines index it: analysed text, filter fields and the hit to show."""

    id: int
    slug: str
    published: bool
    in_stock: bool
    price_paise: int
    rating: float
    popularity: int
    created_at: datetime
    brand_slug: str
    category_path: list[str]  # slugs from the department down to the product's category
    attributes: list[tuple[str, str]]
    skus: list[str]
    # Analysed text (see text.py), by field, in falling boost order.
    name: str
    brand: str
    category: str
    description: str
    extra: str  # attribute values and shade names
    plain: str  # folded, unstemmed name and brand: prefixes and suggestions
    hit: SearchHit
