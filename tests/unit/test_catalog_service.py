"""Catalog service on a real, migrated SQLite database and an in-memory cache."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import event, select, update

from orchid.kit.cache import Cache
from orchid.kit.db import Database
from orchid.kit.errors import Conflict, InvalidInput, NotFound
from orchid.kit.kv import MemoryStore
from orchid.services.catalog.models import Product, Variant
from orchid.services.catalog.schemas import (
    BrandRef,
    PriceChange,
    ProductQuery,
    ProductSummary,
    ProductUpdate,
    SortOrder,
)
from orchid.services.catalog.service import CatalogService
from tests.unit.catalog_factories import (
    brand_create,
    category_create,
    product_create,
    seed_taxonomy,
)


@pytest.fixture
async def catalog(db: Database) -> CatalogService:
    """A catalog with the brands and category tree of the factories."""
    service = CatalogService(db=db, cache=Cache(MemoryStore(), name="catalog"))
    await seed_taxonomy(service)
    return service


async def listing(catalog: CatalogService, **filters: Any) -> list[str]:
    """Return the slugs of the first page for `filters`."""
    page = await catalog.list_products(query=ProductQuery(**filters))
    return [item.slug for item in page.items]


async def test_create_product_derives_listing_price_from_cheapest_variant(
        catalog: CatalogService) -> None:
    created = await catalog.create_product(data=product_create(
        "eyeconic-kajal", prices=[(29900, 39900), (19900, 24900), (25000, 25000)]))
    assert created.price_paise == 19900 and created.mrp_paise == 24900
    assert [v.sku for v in created.variants] == [f"EYECONIC-KAJAL-{i}" for i in (1, 2, 3)]
    assert [c.slug for c in created.breadcrumb] == ["makeup", "eyes", "kajal"]
    assert created.brand.name == "Lakmé" and created.currency == "INR"
    assert await catalog.get_product(slug="eyeconic-kajal") == created


async def test_get_product_is_served_from_cache(catalog: CatalogService, db: Database) -> None:
    await catalog.create_product(data=product_create("kajal-one"))
    first = await catalog.get_product(slug="kajal-one")
    served = sum(db.served.values())
    assert await catalog.get_product(slug="kajal-one") == first
    assert sum(db.served.values()) == served


@pytest.mark.parametrize("slug", ["no-such-product", "Not A Slug", "x" * 200])
async def test_unknown_product_is_not_found(catalog: CatalogService, slug: str) -> None:
    with pytest.raises(NotFound) as caught:
        await catalog.get_product(slug=slug)
    assert caught.value.code == "product_not_found"


async def test_unpublished_product_is_hidden(catalog: CatalogService) -> None:
    await catalog.create_product(data=product_create("draft-kajal", published=False))
    with pytest.raises(NotFound):
        await catalog.get_product(slug="draft-kajal")
    assert await listing(catalog) == []


async def test_unpublish_invalidates_cached_product(catalog: CatalogService) -> None:
    await catalog.create_product(data=product_create("kajal-one"))
    await catalog.get_product(slug="kajal-one")
    await catalog.set_published(slug="kajal-one", published=False)
    with pytest.raises(NotFound):
        await catalog.get_product(slug="kajal-one")
    assert await listing(catalog) == []
    await catalog.set_published(slug="kajal-one", published=True)
    assert (await catalog.get_product(slug="kajal-one")).published


async def test_change_price_invalidates_and_follows_cheapest_variant(
        catalog: CatalogService) -> None:
    await catalog.create_product(data=product_create("lip", category="lipstick",
                                                     prices=[(50000, 60000), (55000, 60000)]))
    assert (await catalog.get_product(slug="lip")).price_paise == 50000
    variant = await catalog.change_price(sku="LIP-2", data=PriceChange(price_paise=45000))
    assert (variant.price_paise, variant.mrp_paise, variant.product_slug) == (45000, 60000, "lip")
    product = await catalog.get_product(slug="lip")
    assert (product.price_paise, product.mrp_paise) == (45000, 60000)
    await catalog.change_price(sku="LIP-2", data=PriceChange(price_paise=70000, mrp_paise=80000))
    assert (await catalog.get_product(slug="lip")).price_paise == 50000
    assert await listing(catalog, price_max=49999) == []


async def test_concurrent_price_changes_keep_the_listing_price(catalog: CatalogService,
                                                               db: Database) -> None:
    await catalog.create_product(data=product_create("lip", prices=[(50000, 90000)] * 4))
    rng = random.Random(7)
    for _ in range(3):
        await asyncio.gather(*(catalog.change_price(
            sku=f"LIP-{rng.randint(1, 4)}", data=PriceChange(price_paise=rng.randint(1000, 90000)))
            for _ in range(12)))
        async with db.write() as s:
            prices = list(await s.scalars(select(Variant.price_paise)))
            assert await s.scalar(select(Product.price_paise)) == min(prices)


async def test_price_above_mrp_is_refused(catalog: CatalogService) -> None:
    await catalog.create_product(data=product_create("lip", prices=[(50000, 60000)]))
    with pytest.raises(InvalidInput) as caught:
        await catalog.change_price(sku="LIP-1", data=PriceChange(price_paise=60001))
    assert caught.value.code == "price_above_mrp"
    with pytest.raises(ValidationError):
        PriceChange(price_paise=500, mrp_paise=400)
    with pytest.raises(ValidationError):
        PriceChange(price_paise=0)
    assert (await catalog.get_product(slug="lip")).price_paise == 50000


async def test_change_price_of_unknown_sku_is_not_found(catalog: CatalogService) -> None:
    with pytest.raises(NotFound) as caught:
        await catalog.change_price(sku="NOPE-1", data=PriceChange(price_paise=100))
    assert caught.value.code == "variant_not_found"


async def test_update_product_renames_and_invalidates(catalog: CatalogService) -> None:
    await catalog.create_product(data=product_create("old-name"))
    await catalog.get_product(slug="old-name")
    updated = await catalog.update_product(slug="old-name", data=ProductUpdate(
        slug="new-name", name="New Name", category="mascara", brand="maybelline",
        attributes={"finish": ["glossy"]}))
    assert (updated.slug, updated.name, updated.category, updated.brand.slug) == (
        "new-name", "New Name", "mascara", "maybelline")
    with pytest.raises(NotFound):
        await catalog.get_product(slug="old-name")
    fresh = await catalog.get_product(slug="new-name")
    assert fresh.attributes == {"finish": ["glossy"]}
    assert fresh.images == updated.images  # fields not sent are kept


async def test_duplicate_slug_and_sku_conflict(catalog: CatalogService) -> None:
    await catalog.create_product(data=product_create("kajal-one"))
    with pytest.raises(Conflict) as caught:
        await catalog.create_product(data=product_create("kajal-one"))
    assert caught.value.code == "duplicate_slug"
    clash = product_create("kajal-two")
    clash.variants[0].sku = "KAJAL-ONE-1"
    with pytest.raises(Conflict) as caught:
        await catalog.create_product(data=clash)
    assert caught.value.code == "duplicate_sku"
    await catalog.create_product(data=product_create("kajal-two"))
    with pytest.raises(Conflict):
        await catalog.update_product(slug="kajal-two", data=ProductUpdate(slug="kajal-one"))


async def test_unknown_brand_or_category_in_payload_is_invalid(catalog: CatalogService) -> None:
    for payload in (product_create("p", brand="nobody"), product_create("p", category="none")):
        with pytest.raises(InvalidInput) as caught:
            await catalog.create_product(data=payload)
        assert caught.value.code == "unknown_reference"


async def test_listing_filters(catalog: CatalogService) -> None:
    await catalog.create_product(data=product_create("kajal", prices=[(20000, 20000)]))
    await catalog.create_product(data=product_create("mascara", category="mascara",
                                                     brand="maybelline", prices=[(40000, 50000)]))
    await catalog.create_product(data=product_create("lipstick", category="lipstick",
                                                     prices=[(60000, 60000)]))
    await catalog.create_product(data=product_create("cream", category="moisturiser",
                                                     brand="forest", prices=[(90000, 95000)]))
    by_name = {"sort": "name"}
    assert await listing(catalog, category="eyes", **by_name) == ["kajal", "mascara"]
    assert await listing(catalog, category="makeup", **by_name) == ["kajal", "lipstick", "mascara"]
    assert await listing(catalog, category="kajal", **by_name) == ["kajal"]
    assert await listing(catalog, brand=["lakme"], **by_name) == ["kajal", "lipstick"]
    assert await listing(catalog, brand=["forest", "maybelline"], **by_name) == [
        "cream", "mascara"]
    assert await listing(catalog, brand=["unknown"]) == []
    assert await listing(catalog, price_min=40000, price_max=60000, **by_name) == [
        "lipstick", "mascara"]
    assert await listing(catalog, category="makeup", brand=["lakme"], price_min=50000) == [
        "lipstick"]
    with pytest.raises(NotFound):
        await listing(catalog, category="no-such-category")


async def test_listing_summary_shows_cheapest_variant(catalog: CatalogService) -> None:
    await catalog.create_product(data=product_create("kajal", prices=[(30000, 40000),
                                                                      (20000, 25000)]))
    page = await catalog.list_products(query=ProductQuery())
    assert page.items == [ProductSummary(
        slug="kajal", name="Kajal", brand=BrandRef(slug="lakme", name="Lakmé"),
        category="kajal", price_paise=20000, mrp_paise=25000, currency="INR",
        image="https://cdn.orchid.test/kajal.jpg", rating=0.0)]
    assert page.next_cursor is None


async def test_listing_page_is_one_query(catalog: CatalogService, db: Database) -> None:
    for i in range(10):
        await catalog.create_product(data=product_create(f"p{i}", prices=[(100 + i, 200)] * 1))
    statements: list[str] = []

    def count(*args: Any) -> None:
        if args[2] not in ("BEGIN", "BEGIN IMMEDIATE"):  # transaction control, not a query
            statements.append(args[2])

    await catalog.list_categories()  # the tree is cached: not part of the page's cost
    event.listen(db.primary.engine.sync_engine, "before_cursor_execute", count)
    try:
        page = await catalog.list_products(query=ProductQuery(category="makeup", limit=10))
    finally:
        event.remove(db.primary.engine.sync_engine, "before_cursor_execute", count)
    assert len(page.items) == 10 and len(statements) == 1


async def test_a_listing_page_is_served_from_the_cache_until_a_listed_product_changes(
        catalog: CatalogService, db: Database) -> None:
    await catalog.create_product(data=product_create("kajal-one", prices=[(19900, 24900)]))
    await catalog.create_product(data=product_create("kajal-two", prices=[(29900, 39900)]))
    first = await catalog.list_products(query=ProductQuery(sort="price_asc"))
    served = sum(db.served.values())
    assert await catalog.list_products(query=ProductQuery(sort="price_asc")) == first
    assert sum(db.served.values()) == served  # no read: the page came from the cache
    await listing(catalog, sort="price_desc")  # another query is another page
    assert sum(db.served.values()) == served + 1
    # Every write to a listed product starts a new generation of pages.
    await catalog.change_price(sku="KAJAL-TWO-1", data=PriceChange(price_paise=9900))
    assert await listing(catalog, sort="price_asc") == ["kajal-two", "kajal-one"]
    await catalog.update_product(slug="kajal-one", data=ProductUpdate(name="Kajal Uno"))
    assert [i.name for i in (await catalog.list_products(query=ProductQuery())).items
            if i.slug == "kajal-one"] == ["Kajal Uno"]
    await catalog.set_published(slug="kajal-two", published=False)
    assert await listing(catalog, sort="price_asc") == ["kajal-one"]
    await catalog.create_product(data=product_create("kajal-three", prices=[(100, 200)]))
    assert await listing(catalog, sort="price_asc") == ["kajal-three", "kajal-one"]


SORT_KEYS: dict[SortOrder, Any] = {
    "newest": None,  # checked against creation order below
    "price_asc": lambda item: item.price_paise,
    "price_desc": lambda item: -item.price_paise,
    "name": lambda item: item.name,
}


@pytest.mark.parametrize("sort", list(SORT_KEYS))
async def test_keyset_pages_walk_every_product_once(catalog: CatalogService, db: Database,
                                                    sort: SortOrder) -> None:
    # Ties on every sort key: shared prices, shared names, and shared creation instants.
    for i in range(11):
        await catalog.create_product(data=product_create(
            f"product-{i:02d}", name=f"Kajal {i % 3}", prices=[(1000 * (i % 4) + 500, 9000)]))
    same_instant = datetime(2025, 1, 1, tzinfo=UTC)
    async with db.write() as s:
        await s.execute(update(Product).where(Product.id <= 5).values(created_at=same_instant))
    everything = await catalog.list_products(query=ProductQuery(sort=sort, limit=100))
    walked: list[ProductSummary] = []
    cursor: str | None = None
    while True:
        page = await catalog.list_products(query=ProductQuery(sort=sort, limit=3, cursor=cursor))
        walked += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert walked == everything.items and len(walked) == 11
    assert len({item.slug for item in walked}) == 11
    key = SORT_KEYS[sort]
    if key is None:  # newest first: the rows created later come first, the tied ones last
        assert [item.slug for item in walked][:5] == [f"product-{i:02d}" for i in range(10, 5, -1)]
    else:
        assert [key(item) for item in walked] == sorted(key(item) for item in walked)


async def test_cursor_of_another_sort_is_refused(catalog: CatalogService) -> None:
    for i in range(3):
        await catalog.create_product(data=product_create(f"p{i}"))
    page = await catalog.list_products(query=ProductQuery(sort="price_asc", limit=1))
    assert page.next_cursor is not None
    for sort, cursor in (("name", page.next_cursor), ("price_asc", "not-a-cursor")):
        with pytest.raises(InvalidInput) as caught:
            await catalog.list_products(query=ProductQuery(sort=sort, cursor=cursor))
        assert caught.value.code == "invalid_cursor"


async def test_get_variants(catalog: CatalogService) -> None:
    await catalog.create_product(data=product_create("kajal", prices=[(100, 200), (150, 200)]))
    for fresh in (False, True, False):  # the database, then what was kept of it
        found = await catalog.get_variants(skus=["KAJAL-2", "MISSING-1", "KAJAL-1"],
                                           fresh=fresh)
        assert [(v.sku, v.price_paise, v.product_slug, v.published) for v in found] == [
            ("KAJAL-2", 150, "kajal", True), ("KAJAL-1", 100, "kajal", True)]
    # A price change is seen at once, kept or not.
    await catalog.change_price(sku="KAJAL-1", data=PriceChange(price_paise=120, mrp_paise=200))
    for fresh in (False, True):
        [found_one] = await catalog.get_variants(skus=["KAJAL-1"], fresh=fresh)
        assert found_one.price_paise == 120
    assert await catalog.get_variants(skus=[]) == []
    with pytest.raises(InvalidInput):
        await catalog.get_variants(skus=["X"] * 201)


async def test_category_tree_and_brands_refresh_after_writes(catalog: CatalogService) -> None:
    tree = await catalog.list_categories()
    assert [n.slug for n in tree] == ["makeup", "skincare"]
    assert [n.slug for n in tree[0].children] == ["eyes", "lips"]
    assert [n.slug for n in tree[0].children[0].children] == ["kajal", "mascara"]
    await catalog.create_category(data=category_create("eyeliner", "Eyeliner", "eyes"))
    tree = await catalog.list_categories()
    assert "eyeliner" in [n.slug for n in tree[0].children[0].children]
    brands = await catalog.list_brands()
    assert [b.slug for b in brands] == ["forest", "lakme", "maybelline"]
    with pytest.raises(Conflict):
        await catalog.create_brand(data=brand_create("lakme", "Lakmé again"))
    with pytest.raises(InvalidInput):
        await catalog.create_category(data=category_create("x", "X", "no-parent"))

