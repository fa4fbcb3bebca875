"""Index documents for search tests, built the way the indexer builds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from orchid.seed.data import slugify
from orchid.services.catalog.schemas import BrandRef, CategoryRef, ProductRead, VariantInfo
from orchid.services.search.documents import build_doc
from orchid.services.search.schemas import IndexDoc

CREATED = datetime(2025, 6, 1, tzinfo=UTC)
PATHS = {
    "lipstick": [("makeup", "Makeup"), ("lips", "Lips"), ("lipstick", "Lipstick")],
    "lip-balm": [("makeup", "Makeup"), ("lips", "Lips"), ("lip-balm", "Lip Balm")],
    "moisturizers": [("skincare", "Skincare"), ("moisturizers", "Moisturizers")],
    "serums": [("skincare", "Skincare"), ("serums", "Serums")],
    "shampoo": [("haircare", "Haircare"), ("shampoo", "Shampoo")],
}


def product(product_id: int, name: str, *, brand: str, category: str, price: int,
            description: str = "", attributes: dict[str, list[str]] | None = None,
            shades: tuple[str, ...] = (), rating: float = 4.2,
            published: bool = True) -> ProductRead:
    """Return a catalog product page (prices in rupees, for readable tests)."""
    brand_slug = slugify(brand)
    variants = [VariantInfo(sku=f"SKU-{product_id}-{n}", name=shade, shade_hex="#AA0000",
                            size=None, mrp_paise=price * 100, price_paise=price * 100,
                            currency="INR") for n, shade in enumerate(shades or ("",))]
    if not shades:
        variants[0].name, variants[0].shade_hex = "50 ml", None
    return ProductRead(
        slug=f"p{product_id}-{brand_slug}", name=name,
        brand=BrandRef(slug=brand_slug, name=brand), category=category,
        breadcrumb=[CategoryRef(slug=s, name=n) for s, n in PATHS[category]],
        description=description, attributes=attributes or {}, images=[], published=published,
        rating=rating, price_paise=price * 100, mrp_paise=price * 100, currency="INR",
        variants=variants, created_at=CREATED + timedelta(days=product_id),
        updated_at=CREATED + timedelta(days=product_id))


def doc(product_id: int, name: str, *, in_stock: bool = True, **fields: Any) -> IndexDoc:
    """Return the index document of a product built by `product`."""
    return build_doc(product(product_id, name, **fields),
                     product_id=product_id, in_stock=in_stock)


def shelf() -> list[IndexDoc]:
    """A small catalogue with the cases the analyzers must handle."""
    return [
        doc(1, "L'Oréal Paris Color Riche Matte Lipstick", brand="L'Oréal Paris",
            category="lipstick", price=649, shades=("Rouge Pure", "Nude Rosé"),
            attributes={"finish": ["matte"]}),
        doc(2, "Maybelline Super Stay Lipsticks", brand="Maybelline", category="lipstick",
            price=299, attributes={"finish": ["satin"]}, in_stock=False),
        doc(3, "Crème Lumière Rose Lip Balm", brand="Crème Lumière", category="lip-balm",
            price=199),
        doc(4, "Glowbar Labs Niacinamide Serum", brand="Glowbar Labs", category="serums",
            price=549, description="A serum with 10% niacinamide for oily skin.",
            attributes={"concern": ["acne"]}),
        doc(5, "Sundari Naturals Saffron Moisturiser", brand="Sundari Naturals",
            category="moisturizers", price=1299, description="Deeply moisturising cream."),
        doc(6, "Amla Grove Gentle Shampoo", brand="Amla Grove", category="shampoo", price=2499,
            description="For dry, frizzy hair.", attributes={"concern": ["dryness"]}),
    ]
