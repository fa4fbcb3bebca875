"""Search on a real Elasticsearch: analyzers, facets against SQL, reindex under load, fallback."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from orchid.app import create_app
from orchid.seed.load import seed_catalog
from orchid.services.catalog.schemas import ProductUpdate
from orchid.services.search.es_engine import EsEngine
from orchid.services.search.fallback import Fallback
from orchid.services.search.fts5_engine import Fts5Engine
from orchid.services.search.schemas import Facets, IndexDoc, SearchQuery
from orchid.services.search.service import SearchService
from tests.conftest import embedded_settings
from tests.support.elasticsearch import Elasticsearch
from tests.unit.search_factories import shelf


async def _batches(docs: list[IndexDoc]) -> AsyncIterator[list[IndexDoc]]:
    yield docs


@pytest.fixture
async def shelf_engine(es_server: Elasticsearch) -> AsyncIterator[EsEngine]:
    """An engine on its own alias, built from the shelf of analyzer cases."""
    engine = EsEngine(es_server.url, alias=f"t{uuid.uuid4().hex[:8]}-products")
    await engine.rebuild(_batches(shelf()), watermark=lambda: None)
    yield engine
    names = await engine.client.indices.get_alias(index=f"{engine.alias}-*")
    await engine.client.indices.delete(index=",".join(names))
    await engine.close()


@pytest.fixture
async def es_app(data_dir: Path, es_server: Elasticsearch) -> AsyncIterator[FastAPI]:
    """The embedded app with Elasticsearch in front of FTS5, over 600 seeded products."""
    app = create_app(embedded_settings(data_dir, elasticsearch_url=es_server.url))
    async with app.router.lifespan_context(app):
        await seed_catalog(app.state.resources, products=600, seed=11)
        search: SearchService = app.state.services.search
        await search.reindex()
        yield app
        await search.close()


async def first_names(engine: EsEngine, q: str, n: int = 1) -> list[str]:
    return [hit.name for hit in (await engine.search(SearchQuery(q=q))).items[:n]]


@pytest.mark.parametrize("q", ["loreal", "l'oreal", "L'ORÉAL", "l’oréal matte lipsticks"])
async def test_folding_loreal(shelf_engine: EsEngine, q: str) -> None:
    assert (await first_names(shelf_engine, q))[0].startswith("L'Oréal")


@pytest.mark.parametrize(("q", "expected"), [
    ("lipstick", "Lipstick"), ("lipsticks", "Lipstick"), ("lipstik", "Lipstick"),
    ("niacinamde", "Niacinamide"), ("moisturizer", "Moisturiser"),
    ("moisturising", "Moisturiser"), ("lipst", "Lipstick"), ("creme lumiere", "Crème Lumière"),
    ("dryness", "Shampoo")])
async def test_stemming_typos_prefixes(shelf_engine: EsEngine, q: str, expected: str) -> None:
    assert expected in (await first_names(shelf_engine, q))[0]


async def test_stemming_matches_both_forms(shelf_engine: EsEngine) -> None:
    singular = await first_names(shelf_engine, "lipstick", 5)
    assert sorted(singular) == sorted(await first_names(shelf_engine, "lipsticks", 5))
    assert len(singular) == 2


async def test_engines_agree_on_the_shelf(shelf_engine: EsEngine, tmp_path: Path) -> None:
    fts5 = Fts5Engine(tmp_path / "search.db")
    await fts5.upsert(shelf())
    try:
        for query in (SearchQuery(category="lips"), SearchQuery(q="lip", brand=["maybelline"]),
                      SearchQuery(price_min=30000, in_stock=True)):
            es_page, fts_page = await shelf_engine.search(query), await fts5.search(query)
            assert es_page.total == fts_page.total
            assert es_page.facets == fts_page.facets
            assert es_page.facets.brand  # and asked for none, both count none, hits unchanged
            bare = query.model_copy(update={"facets": False})
            es_bare, fts_bare = await shelf_engine.search(bare), await fts5.search(bare)
            assert es_bare.facets == fts_bare.facets == Facets()
            assert (es_bare.total, es_bare.items) == (es_page.total, es_page.items)
            assert (fts_bare.total, fts_bare.items) == (fts_page.total, fts_page.items)
    finally:
        await fts5.close()


async def test_facet_counts_equal_sql(es_app: FastAPI) -> None:
    search: SearchService = es_app.state.services.search
    page = await search.search(query=SearchQuery(category="makeup", limit=1))
    assert page.engine == "elasticsearch"
    async with es_app.state.resources.main_db.write() as session:
        rows = (await session.execute(text(
            "WITH RECURSIVE tree(id) AS (SELECT id FROM categories WHERE slug = 'makeup'"
            " UNION ALL SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id)"
            " SELECT b.slug, count(*), sum(p.price_paise < 29900) FROM products p"
            " JOIN brands b ON b.id = p.brand_id WHERE p.published"
            " AND p.category_id IN (SELECT id FROM tree) GROUP BY b.slug"))).all()
    assert {f.value: f.count for f in page.facets.brand} == {slug: n for slug, n, _ in rows}
    assert page.total == sum(n for _, n, _ in rows)
    under_299 = {f.value: f.count for f in page.facets.price}.get("under-299", 0)
    assert under_299 == sum(cheap for _, _, cheap in rows)


async def test_sync_applies_catalog_changes(es_app: FastAPI) -> None:
    search: SearchService = es_app.state.services.search
    catalog = es_app.state.services.catalog
    slug = (await search.search(query=SearchQuery(q="kajal", limit=1))).items[0].slug
    await catalog.update_product(slug=slug, data=ProductUpdate(name="Zanzibar Kohl Wonder"))
    report = await search.sync_once()
    assert report.upserted >= 2  # once per engine
    await search.engines[0].refresh()  # type: ignore[attr-defined]
    page = await search.search(query=SearchQuery(q="zanzibar"))
    assert (page.engine, [hit.slug for hit in page.items]) == ("elasticsearch", [slug])


async def test_reindex_while_querying(es_app: FastAPI) -> None:
    search: SearchService = es_app.state.services.search
    es = search.engines[0]
    before = await es.count()
    failures: list[BaseException] = []
    totals: set[int] = set()
    done = asyncio.Event()

    async def query_loop() -> int:
        count = 0
        while not done.is_set():
            try:
                page = await es.search(SearchQuery(q="lipstick", limit=5))
                totals.add(page.total)
            except Exception as exc:  # every failure is the test's finding
                failures.append(exc)
            count += 1
        return count

    loops = [asyncio.create_task(query_loop()) for _ in range(3)]
    for _ in range(2):
        await search.indexer.reindex(es)
    done.set()
    queries = sum(await asyncio.gather(*loops))
    assert failures == [] and queries > 10
    assert len(totals) == 1 and await es.count() == before
    indexes = await es.client.indices.get_alias(index=f"{es.alias}-*")  # type: ignore[attr-defined]
    assert len(indexes) == 1  # old versions were deleted


async def test_fallback_when_elasticsearch_stops(data_dir: Path) -> None:
    server = Elasticsearch.start()
    try:
        app = create_app(embedded_settings(data_dir, elasticsearch_url=server.url))
        async with app.router.lifespan_context(app):
            await seed_catalog(app.state.resources, products=200, seed=5)
            search: SearchService = app.state.services.search
            await search.reindex()
            assert (await search.search(query=SearchQuery(q="lipstick"))).engine == "elasticsearch"
            server.stop()
            # Searches not asked before (an answer already cached is served from the cache).
            pages = [await search.search(query=SearchQuery(q="lipstick", limit=n))
                     for n in range(1, 6)]
            assert {p.engine for p in pages} == {"fts5"} and pages[0].total > 0
            assert (await search.suggest(q="lip")).engine == "fts5"
            assert isinstance(search.reader, Fallback) and not search.reader.breaker.allow()
            await search.close()
    finally:
        server.remove()
