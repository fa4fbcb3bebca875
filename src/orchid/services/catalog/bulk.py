"""Bulk loading of the catalog for seeding and imports: multi-row inserts, batch by batch.

Kept in the catalog folder because it writes catalog tables; the seeder calls it with plain rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.db import Database
from orchid.kit.orm import utcnow
from orchid.services.catalog.models import Brand, Category, Product, Variant


class VariantLike(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def shade_hex(self) -> str | None: ...
    @property
    def size(self) -> str | None: ...
    @property
    def mrp_paise(self) -> int: ...
    @property
    def price_paise(self) -> int: ...


class ProductLike(Protocol):
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def brand_slug(self) -> str: ...
    @property
    def category_slug(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def attributes(self) -> dict[str, list[str]]: ...
    @property
    def images(self) -> list[str]: ...
    @property
    def rating_x10(self) -> int: ...
    @property
    def variants(self) -> list[Any]: ...
    @property
    def created_at(self) -> Any: ...


async def count_products(db: Database) -> int:
    """Return how many products exist."""

    async def count(session: AsyncSession) -> int:
        return int((await session.execute(select(func.count()).select_from(Product))).scalar_one())

    return await db.read(count)


async def upsert_brands(db: Database, brands: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Insert (slug, name) brands that are missing; return slug → id for all of them."""
    async with db.write() as session:
        existing = {slug: id_ for slug, id_ in await session.execute(select(Brand.slug, Brand.id))}
        missing = [{"slug": slug, "name": name} for slug, name in brands if slug not in existing]
        if missing:
            await session.execute(insert(Brand), missing)
        return {slug: id_ for slug, id_ in await session.execute(select(Brand.slug, Brand.id))}


async def upsert_categories(db: Database,
                            categories: Iterable[tuple[str, str, str | None]]) -> dict[str, int]:
    """Insert (slug, name, parent_slug) categories, parents first; return slug → id."""
    async with db.write() as session:
        ids = {slug: id_ for slug, id_ in await session.execute(select(Category.slug, Category.id))}
        for position, (slug, name, parent) in enumerate(categories):
            if slug in ids:
                continue
            category = Category(slug=slug, name=name, parent_id=ids[parent] if parent else None,
                                position=position)
            session.add(category)
            await session.flush()
            ids[slug] = category.id
        return ids


async def insert_products(db: Database, products: Iterable[ProductLike], *,
                          brand_ids: dict[str, int], category_ids: dict[str, int],
                          batch_size: int = 1000, published: Callable[[int], bool] = bool,
                          on_batch: Callable[[int], None] | None = None) -> int:
    """Insert products with their variants in batches; return how many were inserted."""
    async with db.write() as session:
        next_id = int((await session.execute(select(func.coalesce(func.max(Product.id), 0)))
                       ).scalar_one()) + 1
    inserted = 0
    batch: list[ProductLike] = []

    async def flush() -> None:
        nonlocal next_id, inserted
        now = utcnow()
        product_rows: list[dict[str, Any]] = []
        variant_rows: list[dict[str, Any]] = []
        for product in batch:
            product_rows.append({
                "id": next_id, "slug": product.slug, "name": product.name,
                "brand_id": brand_ids[product.brand_slug],
                "category_id": category_ids[product.category_slug],
                "description": product.description, "attributes": product.attributes,
                "images": product.images, "published": published(inserted + len(product_rows)),
                "rating_x10": product.rating_x10,
                "price_paise": min(v.price_paise for v in product.variants),
                "created_at": product.created_at, "updated_at": now,
            })
            variant_rows.extend({
                "product_id": next_id, "sku": v.sku, "name": v.name, "shade_hex": v.shade_hex,
                "size": v.size, "mrp_paise": v.mrp_paise, "price_paise": v.price_paise,
                "currency": "INR",
            } for v in product.variants)
            next_id += 1
        # Explicit ids let variants reference their product within the same multi-row insert.
        async with db.write() as session:
            await session.execute(insert(Product), product_rows)
            await session.execute(insert(Variant), variant_rows)
        inserted += len(product_rows)
        if on_batch:
            on_batch(len(product_rows))
        batch.clear()

    for product in products:
        batch.append(product)
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    return inserted
