"""Catalog queries; every function takes the session and keyword-only arguments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from orchid.kit.orm import utcnow
from orchid.services.catalog.models import Brand, Category, Product, Variant
from orchid.services.catalog.schemas import SortOrder

# Each listing order: its column and whether it runs descending (id breaks ties the same way).
SORTS: dict[SortOrder, tuple[InstrumentedAttribute[Any], bool]] = {
    "newest": (Product.created_at, True),
    "price_asc": (Product.price_paise, False),
    "price_desc": (Product.price_paise, True),
    "name": (Product.name, False),
}


@dataclass(frozen=True)
class ListingRow:
    """One product of a listing page, with its brand and cheapest variant."""

    id: int
    slug: str
    name: str
    brand_slug: str
    brand_name: str
    category_slug: str
    price_paise: int
    mrp_paise: int
    currency: str
    images: list[str]
    rating_x10: int
    created_at: datetime


async def list_products(session: AsyncSession, *, category_ids: list[int] | None,
                        brand_ids: list[int] | None, price_min: int | None, price_max: int | None,
                        sort: SortOrder, after: tuple[Any, int] | None,
                        limit: int) -> list[ListingRow]:
    """Return up to `limit` published products after the keyset `after`, in `sort` order."""
    column, descending = SORTS[sort]
    other = aliased(Variant)
    cheapest = (select(other.id).where(other.product_id == Product.id)
                .order_by(other.price_paise, other.id).limit(1)
                .correlate(Product).scalar_subquery())
    conditions: list[ColumnElement[bool]] = [Product.published == true()]
    if category_ids is not None:
        conditions.append(Product.category_id.in_(category_ids))
    if brand_ids is not None:
        conditions.append(Product.brand_id.in_(brand_ids))
    if price_min is not None:
        conditions.append(Product.price_paise >= price_min)
    if price_max is not None:
        conditions.append(Product.price_paise <= price_max)
    if after is not None:
        value, last_id = after
        if descending:
            conditions.append(or_(column < value, and_(column == value, Product.id < last_id)))
        else:
            conditions.append(or_(column > value, and_(column == value, Product.id > last_id)))
    order = ((column.desc(), Product.id.desc()) if descending
             else (column.asc(), Product.id.asc()))
    stmt = (select(Product.id, Product.slug, Product.name, Brand.slug.label("brand_slug"),
                   Brand.name.label("brand_name"), Category.slug.label("category_slug"),
                   Product.price_paise, Variant.mrp_paise, Variant.currency, Product.images,
                   Product.rating_x10, Product.created_at)
            .join(Brand, Brand.id == Product.brand_id)
            .join(Category, Category.id == Product.category_id)
            .join(Variant, and_(Variant.product_id == Product.id, Variant.id == cheapest))
            .where(*conditions).order_by(*order).limit(limit)
            # MariaDB would otherwise start from the smallest table (categories) and sort every
            # product; products first lets it walk a listing index and stop after `limit` rows.
            .prefix_with("STRAIGHT_JOIN", dialect="mysql")
            .prefix_with("STRAIGHT_JOIN", dialect="mariadb"))
    return [ListingRow(**row._asdict()) for row in (await session.execute(stmt)).all()]


async def get_product(session: AsyncSession, *, slug: str) -> Product | None:
    """Return the product with its brand, category and variants loaded."""
    stmt = (select(Product).where(Product.slug == slug)
            .options(joinedload(Product.brand, innerjoin=True),
                     joinedload(Product.category, innerjoin=True),
                     selectinload(Product.variants)))
    product: Product | None = (await session.scalars(stmt)).one_or_none()
    return product


async def list_changed(session: AsyncSession, *, since: datetime, after_id: int,
                       limit: int) -> list[Product]:
    """Return up to `limit` products changed after the keyset (since, after_id), oldest first."""
    stmt = (select(Product)
            .where(or_(Product.updated_at > since,
                       and_(Product.updated_at == since, Product.id > after_id)))
            .order_by(Product.updated_at, Product.id).limit(limit)
            # No joins here: joined to brands, MariaDB drives from the small brands table and
            # sorts the whole catalog for every page (a 100k reindex took minutes). Alone, the
            # products query is a range scan on (updated_at, id).
            .options(selectinload(Product.brand), selectinload(Product.category),
                     selectinload(Product.variants)))
    return list((await session.scalars(stmt)).all())


async def lock_product(session: AsyncSession, *, slug: str | None = None,
                       product_id: int | None = None) -> Product | None:
    """Lock a product row and its variants for update, loading brand and category."""
    where = Product.slug == slug if slug is not None else Product.id == product_id
    stmt = (select(Product).where(where).with_for_update()
            .options(selectinload(Product.brand), selectinload(Product.category)))
    product = (await session.scalars(stmt)).one_or_none()
    if product is None:
        return None
    # A locking read sees the latest committed variants, not this transaction's snapshot.
    variants = await session.scalars(select(Variant).where(Variant.product_id == product.id)
                                     .order_by(Variant.id).with_for_update())
    set_committed_value(product, "variants", list(variants))
    return product


async def refresh_listing_price(session: AsyncSession, *, product_id: int) -> None:
    """Set a product's listing price to its cheapest variant's, computed by the database."""
    # In SQL rather than Python: the statement sees every committed variant even on SQLite,
    # where FOR UPDATE is a no-op and a Python-side minimum could miss a concurrent change.
    cheapest = (select(func.min(Variant.price_paise)).where(Variant.product_id == product_id)
                .scalar_subquery())
    await session.execute(update(Product).where(Product.id == product_id)
                          .values(price_paise=cheapest, updated_at=utcnow())
                          .execution_options(synchronize_session=False))


async def product_id_for_sku(session: AsyncSession, *, sku: str) -> int | None:
    """Return the id of the product that owns `sku`."""
    product_id: int | None = await session.scalar(
        select(Variant.product_id).where(Variant.sku == sku))
    return product_id


async def get_variants(session: AsyncSession, *, skus: Sequence[str]) -> list[Any]:
    """Return each found variant with its product's slug, name, published flag, category id
    and images."""
    stmt = (select(Variant, Product.slug, Product.name, Product.published, Product.category_id,
                   Product.images)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.sku.in_(skus)).order_by(Variant.id))
    return list((await session.execute(stmt)).all())


async def list_categories(session: AsyncSession) -> list[Category]:
    """Return every category."""
    return list(await session.scalars(select(Category).order_by(Category.position, Category.id)))


async def list_brands(session: AsyncSession) -> list[Brand]:
    """Return every brand by name."""
    return list(await session.scalars(select(Brand).order_by(Brand.name, Brand.id)))


async def get_brand(session: AsyncSession, *, slug: str) -> Brand | None:
    """Return the brand with `slug`."""
    brand: Brand | None = await session.scalar(select(Brand).where(Brand.slug == slug))
    return brand


async def get_category(session: AsyncSession, *, slug: str) -> Category | None:
    """Return the category with `slug`."""
    category: Category | None = await session.scalar(select(Category).where(Category.slug == slug))
    return category


async def slug_taken(session: AsyncSession, *, slug: str) -> bool:
    """True when a product already uses `slug`."""
    return await session.scalar(select(Product.id).where(Product.slug == slug)) is not None


async def taken_skus(session: AsyncSession, *, skus: Sequence[str]) -> list[str]:
    """Return those of `skus` that already exist."""
    return list(await session.scalars(select(Variant.sku).where(Variant.sku.in_(skus))))

