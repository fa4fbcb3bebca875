"""The catalog's events: written with each change to a product, keyed by the product's id."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from orchid.kit.cache import Cache
from orchid.kit.db import Database
from orchid.kit.errors import Conflict
from orchid.kit.kv import MemoryStore
from orchid.kit.outbox import MainOutbox
from orchid.services.catalog.schemas import PriceChange, ProductUpdate
from orchid.services.catalog.service import CatalogService
from tests.unit.catalog_factories import product_create, seed_taxonomy


@pytest.fixture
async def catalog(db: Database) -> CatalogService:
    service = CatalogService(db=db, cache=Cache(MemoryStore(), name="catalog"))
    await seed_taxonomy(service)
    return service


async def outbox(db: Database) -> list[MainOutbox]:
    async with db.write() as session:
        return list((await session.execute(
            select(MainOutbox).where(MainOutbox.aggregate_type == "product")
            .order_by(MainOutbox.seq))).scalars())


async def test_each_change_to_a_product_is_one_event_in_order(catalog: CatalogService,
                                                               db: Database) -> None:
    created = await catalog.create_product(data=product_create(
        "eyeconic-kajal", prices=[(29900, 39900), (19900, 24900)]))
    await catalog.update_product(slug="eyeconic-kajal",
                                 data=ProductUpdate(name="Eyeconic Kajal Deep Black",
                                                    slug="eyeconic-kajal-black"))
    await catalog.change_price(sku="EYECONIC-KAJAL-1", data=PriceChange(price_paise=17900))
    await catalog.set_published(slug="eyeconic-kajal-black", published=False)
    await catalog.set_published(slug="eyeconic-kajal-black", published=False)  # no change
    rows = await outbox(db)
    assert [r.type for r in rows] == ["product.created", "product.changed",
                                      "product.price_changed", "product.published"]
    assert {r.aggregate_id for r in rows} == {str(rows[0].payload["product_id"])}
    assert rows[0].payload["skus"] == [v.sku for v in created.variants]
    assert (rows[1].payload["fields"], rows[1].payload["old_slug"], rows[1].payload["slug"]) == (
        ["name", "slug"], "eyeconic-kajal", "eyeconic-kajal-black")
    price = rows[2].payload
    assert (price["sku"], price["variant_price_paise"], price["price_paise"]) == (
        "EYECONIC-KAJAL-1", 17900, 17900)  # the product's listing price followed
    assert rows[3].payload["published"] is False


async def test_a_refused_change_writes_no_event(catalog: CatalogService, db: Database) -> None:
    await catalog.create_product(data=product_create("kajal-a"))
    await catalog.create_product(data=product_create("kajal-b"))
    with pytest.raises(Conflict):
        await catalog.update_product(slug="kajal-b", data=ProductUpdate(slug="kajal-a"))
    assert [r.type for r in await outbox(db)] == ["product.created", "product.created"]
