"""Catalog test data: a small beauty taxonomy and product payloads."""

from __future__ import annotations

from typing import Any

from orchid.services.catalog.schemas import (
    BrandCreate,
    CategoryCreate,
    ProductCreate,
    VariantCreate,
)
from orchid.services.catalog.service import CatalogService

BRANDS = [("lakme", "Lakmé"), ("maybelline", "Maybelline New York"),
          ("forest", "Forest Essentials")]
# (slug, name, parent): makeup > eyes > {kajal, mascara}, makeup > lips > lipstick, skincare > …
CATEGORIES = [
    ("makeup", "Makeup", None), ("eyes", "Eyes", "makeup"), ("kajal", "Kajal", "eyes"),
    ("mascara", "Mascara", "eyes"), ("lips", "Lips", "makeup"), ("lipstick", "Lipstick", "lips"),
    ("skincare", "Skincare", None), ("moisturiser", "Moisturiser", "skincare"),
]


def brand_create(slug: str = "lakme", name: str = "Lakmé") -> BrandCreate:
    """Return a brand payload."""
    return BrandCreate(slug=slug, name=name)


def category_create(slug: str, name: str, parent: str | None = None) -> CategoryCreate:
    """Return a category payload."""
    return CategoryCreate(slug=slug, name=name, parent=parent)


def product_create(slug: str, *, brand: str = "lakme", category: str = "kajal",
                   prices: list[tuple[int, int]] | None = None, published: bool = True,
                   name: str | None = None, **extra: Any) -> ProductCreate:
    """Return a product payload; `prices` are (price, mrp) per variant."""
    prices = prices or [(49900, 59900)]
    variants = [VariantCreate(sku=f"{slug.upper()}-{i}", name=f"Shade {i}", mrp_paise=mrp,
                              price_paise=price, shade_hex="#1A1A1A")
                for i, (price, mrp) in enumerate(prices, start=1)]
    return ProductCreate(slug=slug, name=name or slug.replace("-", " ").title(), brand=brand,
                         category=category, published=published, variants=variants,
                         images=[f"https://cdn.orchid.test/{slug}.jpg"],
                         attributes={"finish": ["matte"]}, **extra)


async def seed_taxonomy(service: CatalogService) -> None:
    """Create the brands and the category tree."""
    for slug, name in BRANDS:
        await service.create_brand(data=brand_create(slug, name))
    for slug, name, parent in CATEGORIES:
        await service.create_category(data=category_create(slug, name, parent))
