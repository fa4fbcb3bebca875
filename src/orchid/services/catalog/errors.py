"""Catalog domain errors, each with a stable code.

    NotFound       ├── ProductNotFound    404 product_not_found
                   ├── VariantNotFound    404 variant_not_found
                   └── CategoryNotFound   404 category_not_found
    Conflict       ├── DuplicateSlug      409 duplicate_slug
                   └── DuplicateSku       409 duplicate_sku
    InvalidInput   ├── UnknownReference   422 unknown_reference  (brand/category slug in a payload)
                   └── PriceAboveMrp      422 price_above_mrp
"""

from __future__ import annotations

from orchid.kit.errors import Conflict, InvalidInput, NotFound


class ProductNotFound(NotFound):
    """No published product has this slug."""

    code, title = "product_not_found", "Product not found"


class VariantNotFound(NotFound):
    """No variant has this SKU."""

    code, title = "variant_not_found", "Variant not found"


class CategoryNotFound(NotFound):
    """No category has this slug."""

    code, title = "category_not_found", "Category not found"


class DuplicateSlug(Conflict):
    """The slug is taken."""

    code, title = "duplicate_slug", "Slug already in use"


class DuplicateSku(Conflict):
    """A SKU is taken."""

    code, title = "duplicate_sku", "SKU already in use"


class UnknownReference(InvalidInput):
    """A payload names a brand or category that does not exist."""

    code, title = "unknown_reference", "Unknown brand or category"


class PriceAboveMrp(InvalidInput):
    """A selling price above the MRP is illegal in India (and makes no sense)."""

    code, title = "price_above_mrp", "Price above MRP"
