"""The catalog's events (docs/events.md), written in the transaction that makes the change: a
product created, changed, published or unpublished, a variant's price changed. The aggregate is
the product (its id: a slug may change), so one product's events keep their order."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.outbox import MainOutbox, record
from orchid.services.catalog.models import Product, Variant

AGGREGATE = "product"


def _product(product: Product) -> dict[str, Any]:
    return {"product_id": product.id, "slug": product.slug, "name": product.name,
            "published": product.published, "price_paise": product.price_paise}


def created(session: AsyncSession, product: Product) -> None:
    record(session, MainOutbox, "product.created", AGGREGATE, str(product.id),
           {**_product(product), "skus": [v.sku for v in product.variants]})


def changed(session: AsyncSession, product: Product, *, fields: list[str],
            old_slug: str) -> None:
    record(session, MainOutbox, "product.changed", AGGREGATE, str(product.id),
           {**_product(product), "fields": sorted(fields), "old_slug": old_slug})


def published(session: AsyncSession, product: Product) -> None:
    record(session, MainOutbox, "product.published", AGGREGATE, str(product.id),
           _product(product))


def price_changed(session: AsyncSession, product: Product, variant: Variant) -> None:
    record(session, MainOutbox, "product.price_changed", AGGREGATE, str(product.id),
           {**_product(product), "sku": variant.sku, "variant_price_paise": variant.price_paise,
            "mrp_paise": variant.mrp_paise})
