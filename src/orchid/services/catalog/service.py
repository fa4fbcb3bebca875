"""The catalog's rules and transactions, and the typed interface other services call."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.cache import Cache, Entry, digest_of, in_generation
from orchid.kit.db import Database
from orchid.kit.errors import Conflict, InvalidInput
from orchid.kit.pagination import decode_cursor, encode_cursor
from orchid.kit.placement import exposed
from orchid.platform import Resources
from orchid.services.catalog import events, repository
from orchid.services.catalog.errors import (
    CategoryNotFound,
    DuplicateSku,
    DuplicateSlug,
    PriceAboveMrp,
    ProductNotFound,
    UnknownReference,
    VariantNotFound,
)
from orchid.services.catalog.models import Brand, Category, Product, Variant
from orchid.services.catalog.peers import Peers
from orchid.services.catalog.schemas import (
    SLUG_PATTERN,
    BrandCreate,
    BrandRead,
    BrandRef,
    CategoryCreate,
    CategoryNode,
    CategoryRef,
    PriceChange,
    ProductChange,
    ProductCreate,
    ProductPage,
    ProductQuery,
    ProductRead,
    ProductSummary,
    ProductUpdate,
    SortOrder,
    VariantInfo,
    VariantRead,
)

PRODUCT_READ = TypeAdapter(ProductRead)
PRODUCT_PAGE = TypeAdapter(ProductPage)
CATEGORY_TREE = TypeAdapter(list[CategoryNode])
BRAND_LIST = TypeAdapter(list[BrandRead])
VARIANT = TypeAdapter(VariantRead)
CATEGORIES_KEY, BRANDS_KEY = "categories", "brands"
# Names the current generation of cached listing pages: any change to a listed product drops
# it, and the next listing starts a new generation (the old pages age out by their TTL), so one
# delete invalidates every cached filter, sort and page at once.
LISTINGS_KEY = "listings"
MAX_SKUS_PER_CALL = 200
MAX_CHANGES_PER_CALL = 1000
_SLUG = re.compile(SLUG_PATTERN)
# The cursor's key: the sort value and the product id.
KEY_TYPES: dict[SortOrder, tuple[type, ...]] = {
    "newest": (datetime, int), "price_asc": (int, int), "price_desc": (int, int),
    "name": (str, int)}


def product_key(slug: str) -> str:
    """Return the cache key of a product page."""
    return f"product:{slug}"


class CatalogService:
    """Brands, the category tree, products, variants and their prices."""

    def __init__(self, *, db: Database, cache: Cache) -> None:
        self.db, self.cache = db, cache

    @exposed(idempotent=True)
    async def list_products(self, *, query: ProductQuery) -> ProductPage:
        """Return one page of published products matching `query`, from the cache when possible."""
        return await self.cache.value(await self._listing(query))

    async def listing_json(self, query: ProductQuery) -> bytes:
        """`list_products`' answer as JSON (for this process's own route)."""
        return await self.cache.json(await self._listing(query))

    async def _listing(self, query: ProductQuery) -> Entry[ProductPage]:
        key = await self.cache.in_generation(LISTINGS_KEY, f"list:{digest_of(query)}")
        return Entry(key, lambda: self._list_products(query), PRODUCT_PAGE)

    async def _list_products(self, query: ProductQuery) -> ProductPage:
        after: tuple[Any, int] | None = None
        if query.cursor is not None:
            value, last_id = decode_cursor(query.cursor, sort=query.sort,
                                           key_types=KEY_TYPES[query.sort])
            after = (value, last_id)
        category_ids = brand_ids = None
        if query.category is not None:
            category_ids = descendant_ids(await self.list_categories(), query.category)
        if query.brand:
            # Ids from the cached list let the database pick the brand index when it is selective.
            wanted = set(query.brand)
            brand_ids = [b.id for b in await self.list_brands() if b.slug in wanted]
            if not brand_ids:
                return ProductPage(items=[], next_cursor=None)
        rows = await self.db.read(lambda s: repository.list_products(
            s, category_ids=category_ids, brand_ids=brand_ids, price_min=query.price_min,
            price_max=query.price_max, sort=query.sort, after=after, limit=query.limit + 1))
        page = rows[:query.limit]
        next_cursor = None
        if len(rows) > query.limit:
            next_cursor = encode_cursor(query.sort, [_sort_value(query.sort, page[-1]),
                                                     page[-1].id])
        return ProductPage(items=[ProductSummary(
            slug=r.slug, name=r.name, brand=BrandRef(slug=r.brand_slug, name=r.brand_name),
            category=r.category_slug, price_paise=r.price_paise, mrp_paise=r.mrp_paise,
            currency=r.currency, image=r.images[0] if r.images else None,
            rating=r.rating_x10 / 10) for r in page], next_cursor=next_cursor)

    @exposed(idempotent=True)
    async def get_product(self, *, slug: str) -> ProductRead:
        """Return a published product's page, from the cache when possible."""
        return await self.cache.value(self._product(slug))

    async def product_json(self, slug: str) -> bytes:
        """`get_product`'s answer as JSON (for this process's own route)."""
        return await self.cache.json(self._product(slug))

    def _product(self, slug: str) -> Entry[ProductRead]:
        if len(slug) > 160 or not _SLUG.match(slug):
            raise ProductNotFound(slug=slug)  # not a slug: spare the cache and the database

        async def load() -> ProductRead:
            product = await self.db.read(lambda s: repository.get_product(s, slug=slug))
            if product is None or not product.published:
                raise ProductNotFound(slug=slug)
            return await self._read(product)

        return Entry(product_key(slug), load, PRODUCT_READ)

    @exposed(idempotent=True)
    async def get_variants(self, *, skus: list[str], fresh: bool = False) -> list[VariantRead]:
        """Return the variants found among `skus` with their product, in the order asked;
        unknown SKUs are left out. Kept per SKU until the next catalog write (LISTINGS_KEY's
        generation); `fresh` reads the database, as a checkout pricing an order does."""
        if len(skus) > MAX_SKUS_PER_CALL:
            raise InvalidInput(f"at most {MAX_SKUS_PER_CALL} SKUs per call", code="too_many_skus")
        if not skus:
            return []
        asked = list(dict.fromkeys(skus))  # each once, in the order asked
        if fresh:
            read = await self._variants(asked)
            return [read[sku] for sku in asked if sku in read]
        generation = await self.cache.generation(LISTINGS_KEY)  # once for every SKU
        keys = {in_generation(f"variant:{sku}", generation): sku for sku in asked}

        async def load(missing: list[str]) -> dict[str, VariantRead]:
            found = await self._variants([keys[key] for key in missing])
            return {key: found[keys[key]] for key in missing if keys[key] in found}

        cached = await self.cache.get_or_load_many(list(keys), load, adapter=VARIANT)
        return [cached[key] for key in keys if key in cached]

    async def _variants(self, skus: list[str]) -> dict[str, VariantRead]:
        rows = await self.db.read(lambda s: repository.get_variants(s, skus=skus))
        tree = await self.list_categories()
        paths = {path[-1].id: [node.slug for node in path] for path in _walk(tree)}
        return {v.sku: VariantRead(**_variant_info(v).model_dump(), product_slug=slug,
                                   product_name=name, published=published,
                                   category_path=paths.get(category_id, []),
                                   image=images[0] if images else None)
                for v, slug, name, published, category_id, images in rows}

    @exposed(idempotent=True)
    async def list_changed(self, *, since: datetime, after_id: int,
                           limit: int) -> list[ProductChange]:
        """Return products (published or not) changed after (since, after_id), oldest first."""
        if not 1 <= limit <= MAX_CHANGES_PER_CALL:
            raise InvalidInput(f"limit must be 1..{MAX_CHANGES_PER_CALL}", code="invalid_limit")
        if since.tzinfo is None:
            raise InvalidInput("since must be timezone-aware", code="naive_datetime")
        rows = await self.db.read(lambda s: repository.list_changed(
            s, since=since, after_id=after_id, limit=limit))
        tree = await self.list_categories()
        return [ProductChange(id=p.id, **(await self._read(p, tree)).model_dump()) for p in rows]

    @exposed(idempotent=True)
    async def list_categories(self) -> list[CategoryNode]:
        """Return the category tree."""
        return await self.cache.value(self._categories())

    async def categories_json(self) -> bytes:
        """`list_categories`' answer as JSON (for this process's own route)."""
        return await self.cache.json(self._categories())

    def _categories(self) -> Entry[list[CategoryNode]]:
        async def load() -> list[CategoryNode]:
            return build_tree(await self.db.read(repository.list_categories))

        return Entry(CATEGORIES_KEY, load, CATEGORY_TREE)

    @exposed(idempotent=True)
    async def list_brands(self) -> list[BrandRead]:
        """Return every brand."""
        return await self.cache.value(self._brands())

    async def brands_json(self) -> bytes:
        """`list_brands`' answer as JSON (for this process's own route)."""
        return await self.cache.json(self._brands())

    def _brands(self) -> Entry[list[BrandRead]]:
        async def load() -> list[BrandRead]:
            brands = await self.db.read(repository.list_brands)
            return [BrandRead(id=b.id, slug=b.slug, name=b.name) for b in brands]

        return Entry(BRANDS_KEY, load, BRAND_LIST)

    @exposed()
    async def create_product(self, *, data: ProductCreate) -> ProductRead:
        """Create a product with its variants."""
        try:
            async with self.db.write() as s:
                brand = await _brand(s, data.brand)
                category = await _category(s, data.category)
                if await repository.slug_taken(s, slug=data.slug):
                    raise DuplicateSlug(slug=data.slug)
                taken = await repository.taken_skus(s, skus=[v.sku for v in data.variants])
                if taken:
                    raise DuplicateSku(skus=sorted(taken))
                variants = [Variant(**v.model_dump()) for v in data.variants]
                product = Product(
                    slug=data.slug, name=data.name, brand=brand, category=category,
                    description=data.description, attributes=data.attributes,
                    images=data.images, published=data.published, rating_x10=0,
                    variants=variants, price_paise=cheapest(variants).price_paise)
                s.add(product)
                await _save(s, product)
                events.created(s, product)
        except IntegrityError as exc:
            raise _conflict(exc) from exc
        await self.cache.invalidate(product_key(product.slug), LISTINGS_KEY)
        return await self._read(product)

    @exposed()
    async def update_product(self, *, slug: str, data: ProductUpdate) -> ProductRead:
        """Apply the fields set in `data` to a product."""
        changes = data.model_dump(exclude_unset=True, exclude_none=True)
        fields = list(changes)
        try:
            async with self.db.write() as s:
                product = await _locked(s, slug)
                old_slug = product.slug
                if changes.get("slug", old_slug) != old_slug:
                    if await repository.slug_taken(s, slug=changes["slug"]):
                        raise DuplicateSlug(slug=changes["slug"])
                if "brand" in changes:
                    product.brand = await _brand(s, changes.pop("brand"))
                if "category" in changes:
                    product.category = await _category(s, changes.pop("category"))
                for field, value in changes.items():
                    setattr(product, field, value)
                await _save(s, product)
                events.changed(s, product, fields=fields, old_slug=old_slug)
        except IntegrityError as exc:
            raise _conflict(exc) from exc
        await self.cache.invalidate(product_key(old_slug), product_key(product.slug),
                                    LISTINGS_KEY)
        return await self._read(product)

    @exposed()
    async def change_price(self, *, sku: str, data: PriceChange) -> VariantRead:
        """Set a variant's price (and MRP) and re-derive its product's listing price."""
        try:
            async with self.db.write() as s:
                product, variant = await _set_price(s, sku, data)
        except IntegrityError as exc:  # a concurrent MRP cut below our price trips the CHECK
            raise _conflict(exc) from exc
        await self.cache.invalidate(product_key(product.slug), LISTINGS_KEY)
        return VariantRead(**_variant_info(variant).model_dump(), product_slug=product.slug,
                           product_name=product.name, published=product.published)

    @exposed()
    async def set_published(self, *, slug: str, published: bool) -> ProductRead:
        """Publish or unpublish a product."""
        async with self.db.write() as s:
            product = await _locked(s, slug)
            was = product.published
            product.published = published
            await _save(s, product)
            if was != published:
                events.published(s, product)
        await self.cache.invalidate(product_key(slug), LISTINGS_KEY)
        return await self._read(product)

    @exposed()
    async def create_brand(self, *, data: BrandCreate) -> BrandRead:
        """Create a brand."""
        try:
            async with self.db.write() as s:
                if await repository.get_brand(s, slug=data.slug) is not None:
                    raise DuplicateSlug(slug=data.slug)
                brand = Brand(slug=data.slug, name=data.name)
                s.add(brand)
                await s.flush()
        except IntegrityError as exc:
            raise _conflict(exc) from exc
        await self.cache.invalidate(BRANDS_KEY)
        return BrandRead(id=brand.id, slug=brand.slug, name=brand.name)

    @exposed()
    async def create_category(self, *, data: CategoryCreate) -> CategoryNode:
        """Create a category at the root or under `data.parent`."""
        try:
            async with self.db.write() as s:
                if await repository.get_category(s, slug=data.slug) is not None:
                    raise DuplicateSlug(slug=data.slug)
                parent = await _category(s, data.parent) if data.parent is not None else None
                category = Category(slug=data.slug, name=data.name, position=data.position,
                                    parent_id=parent.id if parent else None)
                s.add(category)
                await s.flush()
        except IntegrityError as exc:
            raise _conflict(exc) from exc
        await self.cache.invalidate(CATEGORIES_KEY)
        return CategoryNode(id=category.id, slug=category.slug, name=category.name,
                            position=category.position)

    async def _read(self, product: Product,
                    tree: list[CategoryNode] | None = None) -> ProductRead:
        """Build a product page from a product loaded with brand, category and variants."""
        best = cheapest(product.variants)
        tree = tree if tree is not None else await self.list_categories()
        return ProductRead(
            slug=product.slug, name=product.name,
            brand=BrandRef(slug=product.brand.slug, name=product.brand.name),
            category=product.category.slug,
            breadcrumb=breadcrumb(tree, product.category.slug),
            description=product.description, attributes=product.attributes,
            images=product.images, published=product.published, rating=product.rating_x10 / 10,
            price_paise=product.price_paise, mrp_paise=best.mrp_paise, currency=best.currency,
            variants=[_variant_info(v) for v in product.variants],
            created_at=product.created_at, updated_at=product.updated_at)


def build(resources: Resources, peers: Peers) -> CatalogService:
    """Build the catalog service on the main database and its own cache."""
    del peers  # only catalog's routes call a peer (accounts, to authenticate)
    return CatalogService(db=resources.main_db, cache=resources.cache("catalog"))


def cheapest(variants: list[Variant]) -> Variant:
    """Return the variant with the lowest selling price (the listing price of its product)."""
    return min(variants, key=lambda v: (v.price_paise, v.id or 0))


def build_tree(categories: list[Category]) -> list[CategoryNode]:
    """Nest categories (already ordered by position) under their parents."""
    nodes = {c.id: CategoryNode(id=c.id, slug=c.slug, name=c.name, position=c.position)
             for c in categories}
    roots: list[CategoryNode] = []
    for c in categories:
        parent = nodes.get(c.parent_id) if c.parent_id is not None else None
        (parent.children if parent else roots).append(nodes[c.id])
    return roots


def _walk(nodes: list[CategoryNode],
          path: tuple[CategoryNode, ...] = ()) -> Iterator[tuple[CategoryNode, ...]]:
    for node in nodes:
        yield (*path, node)
        yield from _walk(node.children, (*path, node))


def descendant_ids(tree: list[CategoryNode], slug: str) -> list[int]:
    """Return the ids of the category `slug` and of every category below it."""
    for path in _walk(tree):
        if path[-1].slug == slug:
            return [p[-1].id for p in _walk([path[-1]])]
    raise CategoryNotFound(slug=slug)


def breadcrumb(tree: list[CategoryNode], slug: str) -> list[CategoryRef]:
    """Return the path from the root to the category `slug`."""
    for path in _walk(tree):
        if path[-1].slug == slug:
            return [CategoryRef(slug=n.slug, name=n.name) for n in path]
    return []


async def _brand(session: AsyncSession, slug: str) -> Brand:
    brand = await repository.get_brand(session, slug=slug)
    if brand is None:
        raise UnknownReference(f"no brand {slug!r}", brand=slug)
    return brand


async def _category(session: AsyncSession, slug: str) -> Category:
    category = await repository.get_category(session, slug=slug)
    if category is None:
        raise UnknownReference(f"no category {slug!r}", category=slug)
    return category


async def _save(session: AsyncSession, product: Product) -> None:
    """Flush, then read the timestamps back as stored: MariaDB DATETIME drops microseconds."""
    await session.flush()
    await session.refresh(product, attribute_names=["created_at", "updated_at"])


async def _set_price(session: AsyncSession, sku: str,
                     data: PriceChange) -> tuple[Product, Variant]:
    product_id = await repository.product_id_for_sku(session, sku=sku)
    if product_id is None:
        raise VariantNotFound(sku=sku)
    # Lock the product first: every price write of a product is serialised on its row.
    product = await repository.lock_product(session, product_id=product_id)
    variant = next((v for v in product.variants if v.sku == sku), None) if product else None
    if product is None or variant is None:
        raise VariantNotFound(sku=sku)  # deleted since we looked it up
    mrp = data.mrp_paise if data.mrp_paise is not None else variant.mrp_paise
    if data.price_paise > mrp:
        raise PriceAboveMrp(price_paise=data.price_paise, mrp_paise=mrp)
    variant.price_paise, variant.mrp_paise = data.price_paise, mrp
    await session.flush()
    await repository.refresh_listing_price(session, product_id=product.id)
    await session.refresh(product, attribute_names=["price_paise", "created_at", "updated_at"])
    events.price_changed(session, product, variant)
    return product, variant


async def _locked(session: AsyncSession, slug: str) -> Product:
    product = await repository.lock_product(session, slug=slug)
    if product is None:
        raise ProductNotFound(slug=slug)
    return product


def _conflict(exc: IntegrityError) -> Conflict:
    # Lost a race with another writer after our checks: say which unique key it was.
    message = str(exc.orig).lower()
    if "sku" in message:
        return DuplicateSku()
    if "unique" in message or "duplicate" in message:
        return DuplicateSlug()
    return Conflict("the catalog changed concurrently; retry")


def _variant_info(v: Variant) -> VariantInfo:
    return VariantInfo(sku=v.sku, name=v.name, shade_hex=v.shade_hex, size=v.size,
                       mrp_paise=v.mrp_paise, price_paise=v.price_paise, currency=v.currency)


def _sort_value(sort: SortOrder, row: repository.ListingRow) -> datetime | int | str:
    if sort == "newest":
        return row.created_at
    return row.name if sort == "name" else row.price_paise
