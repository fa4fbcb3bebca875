"""Catalog request and response bodies; inputs are validated strictly here, once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from orchid.kit.numbers import JsonInt, QueryInt
from orchid.kit.pagination import Cursor

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_PAISE = 10_000_000_00  # ₹1 crore: far above any beauty product, well inside INT

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=160)]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{3,40}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShadeHex = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
Size = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Paise = Annotated[int, Field(ge=1, le=MAX_PAISE), JsonInt]
Description = Annotated[str, StringConstraints(max_length=10_000)]
AttributeKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]
AttributeValue = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Attributes = Annotated[
    dict[AttributeKey, Annotated[list[AttributeValue], Field(max_length=20)]],
    Field(max_length=20),
]


_HTTP_URL = TypeAdapter(HttpUrl)


def _http_url(value: str) -> str:
    _HTTP_URL.validate_python(value)  # http(s) with a host, or a ValueError
    return value


ImageUrl = Annotated[str, StringConstraints(max_length=500), AfterValidator(_http_url)]
Images = Annotated[list[ImageUrl], Field(max_length=20)]
SortOrder = Literal["newest", "price_asc", "price_desc", "name"]


class Strict(BaseModel):
    """Refuse unknown fields: a typo in a staff payload must not be silently dropped."""

    model_config = ConfigDict(extra="forbid")


class BrandCreate(Strict):
    """A new brand."""

    slug: Slug
    name: Name


class BrandRef(BaseModel):
    """A brand as shown on a product."""

    slug: str
    name: str


class BrandRead(BrandRef):
    """A brand in the brand list."""

    id: int


class CategoryCreate(Strict):
    """A new category, under `parent` (a category slug) or at the root."""

    slug: Slug
    name: Name
    parent: Slug | None = None
    position: Annotated[int, Field(ge=0, le=10_000), JsonInt] = 0


class CategoryNode(BaseModel):
    """A category with its children, ordered by position."""

    id: int
    slug: str
    name: str
    position: int
    children: list[CategoryNode] = []


class CategoryRef(BaseModel):
    """One step of a breadcrumb."""

    slug: str
    name: str


class VariantCreate(Strict):
    """A shade or size of a new product."""

    sku: Sku
    name: Name
    shade_hex: ShadeHex | None = None
    size: Size | None = None
    mrp_paise: Paise
    price_paise: Paise

    @model_validator(mode="after")
    def _price_within_mrp(self) -> Self:
        if self.price_paise > self.mrp_paise:
            raise ValueError("price_paise must not exceed mrp_paise")
        return self


class VariantInfo(BaseModel):
    """A variant inside a product page."""

    sku: str
    name: str
    shade_hex: str | None
    size: str | None
    mrp_paise: int
    price_paise: int
    currency: str


class VariantRead(VariantInfo):
    """A variant with its product, for carts and orders."""

    product_slug: str
    product_name: str
    category_path: list[str] = []  # category slugs from the department down (GST rates, facets)
    image: str | None = None
    published: bool


class ProductCreate(Strict):
    """A new product with its variants (brand and category by slug)."""

    slug: Slug
    name: Name
    brand: Slug
    category: Slug
    description: Description = ""
    attributes: Attributes = {}
    images: Images = []
    published: bool = False
    variants: Annotated[list[VariantCreate], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _unique_skus(self) -> Self:
        skus = [v.sku for v in self.variants]
        if len(set(skus)) != len(skus):
            raise ValueError("variant SKUs must be unique")
        return self


class ProductUpdate(Strict):
    """A partial change: only the fields sent are applied."""

    slug: Slug | None = None
    name: Name | None = None
    brand: Slug | None = None
    category: Slug | None = None
    description: Description | None = None
    attributes: Attributes | None = None
    images: Images | None = None


class ProductRead(BaseModel):
    """A product page: variants, brand and the category breadcrumb."""

    slug: str
    name: str
    brand: BrandRef
    category: str
    breadcrumb: list[CategoryRef]
    description: str
    attributes: dict[str, list[str]]
    images: list[str]
    published: bool
    rating: float
    price_paise: int
    mrp_paise: int
    currency: str
    variants: list[VariantInfo]
    created_at: datetime
    updated_at: datetime


class ProductChange(ProductRead):
    """A product as the search index pulls it: published or not, with its id."""

    id: int


class ProductSummary(BaseModel):
    """A product in a listing."""

    slug: str
    name: str
    brand: BrandRef
    category: str
    price_paise: int
    mrp_paise: int
    currency: str
    image: str | None
    rating: float


class ProductPage(BaseModel):
    """One page of a listing and the cursor of the next, if any."""

    items: list[ProductSummary]
    next_cursor: str | None


class ProductQuery(BaseModel):
    """Filters, order and page of a product listing."""

    category: Slug | None = None
    brand: Annotated[list[Slug], Field(max_length=20)] = []
    price_min: Annotated[int, Field(ge=0, le=MAX_PAISE), QueryInt] | None = None
    price_max: Annotated[int, Field(ge=0, le=MAX_PAISE), QueryInt] | None = None
    sort: SortOrder = "newest"
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=100), QueryInt] = 24

    @model_validator(mode="after")
    def _price_range(self) -> Self:
        if (self.price_min is not None and self.price_max is not None
                and self.price_min > self.price_max):
            raise ValueError("price_min must not exceed price_max")
        return self


class PriceChange(Strict):
    """A new selling price for a variant, and optionally a new MRP."""

    price_paise: Paise
    mrp_paise: Paise | None = None

    @model_validator(mode="after")
    def _price_within_mrp(self) -> Self:
        if self.mrp_paise is not None and self.price_paise > self.mrp_paise:
            raise ValueError("price_paise must not exceed mrp_paise")
        return self
