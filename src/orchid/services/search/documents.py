"""Turn catalog products into index documents, and ask inventory which are in stock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from orchid.kit.errors import OrchidError
from orchid.services.catalog.schemas import ProductChange, ProductRead
from orchid.services.search.schemas import BrandRef, IndexDoc, SearchHit
from orchid.services.search.text import index_text, plain_text

log = structlog.get_logger("orchid.search")
AVAILABILITY_BATCH = 100  # the inventory's per-call limit
Availability = Callable[[list[str]], Awaitable[dict[str, bool]]]


def popularity(*, rating: float, product_id: int) -> int:
    """Return a deterministic popularity: rating first, a stable per-product spread second."""
    # No sales data yet; a multiplicative hash of the id spreads ties without randomness.
    return round(rating * 1000) + (product_id * 2654435761) % 100


def build_doc(product: ProductRead, *, product_id: int, in_stock: bool) -> IndexDoc:
    """Build the document of one product."""
    path = [c.slug for c in product.breadcrumb] or [product.category]
    attributes = [(key, value) for key, values in sorted(product.attributes.items())
                  for value in values]
    shades = [v.name for v in product.variants if v.shade_hex]
    cheapest = min(product.variants, key=lambda v: v.price_paise)
    hit = SearchHit(slug=product.slug, name=product.name,
                    brand=BrandRef(slug=product.brand.slug, name=product.brand.name),
                    category=product.category, price_paise=cheapest.price_paise,
                    mrp_paise=cheapest.mrp_paise, currency=cheapest.currency,
                    rating=product.rating, image=product.images[0] if product.images else None,
                    in_stock=in_stock)
    return IndexDoc(
        id=product_id, slug=product.slug, published=product.published, in_stock=in_stock,
        price_paise=cheapest.price_paise, rating=product.rating,
        popularity=popularity(rating=product.rating, product_id=product_id),
        created_at=product.created_at, brand_slug=product.brand.slug, category_path=path,
        attributes=attributes, skus=[v.sku for v in product.variants],
        name=index_text(product.name), brand=index_text(product.brand.name),
        category=index_text(*(c.name for c in product.breadcrumb)),
        description=index_text(product.description),
        extra=index_text(*(value for _, value in attributes), *shades),
        plain=plain_text(product.name, product.brand.name), hit=hit)


async def build_docs(products: list[ProductChange], *,
                     availability: Availability | None) -> list[IndexDoc]:
    """Build documents for `products`, with stock from `availability` when it answers."""
    skus = [v.sku for p in products for v in p.variants]
    stock = await stock_of(skus, availability)
    return [build_doc(p, product_id=p.id,
                      in_stock=any(stock.get(v.sku, True) for v in p.variants))
            for p in products]


async def stock_of(skus: list[str], availability: Availability | None) -> dict[str, bool]:
    """Return in-stock per SKU; SKUs missing from the answer count as in stock (unknown)."""
    if availability is None:
        return {}
    found: dict[str, bool] = {}
    try:
        for start in range(0, len(skus), AVAILABILITY_BATCH):
            found.update(await availability(skus[start:start + AVAILABILITY_BATCH]))
    except (OrchidError, AttributeError, NotImplementedError) as exc:
        # Inventory down or not deployed: show products as available rather than hide them all.
        log.warning("search_stock_unknown", error=repr(exc))
        return {}
    return found
