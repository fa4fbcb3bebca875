"""The embedded engine: analysis, typo tolerance, filters, facets, paging and index upkeep."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchid.kit.errors import InvalidInput
from orchid.kit.pagination import encode_cursor
from orchid.services.search.fts5_engine import Fts5Engine
from orchid.services.search.schemas import IndexDoc, SearchQuery, Watermark
from orchid.services.search.text import analyze, fold
from orchid.services.search.typo import Vocabulary, distance
from tests.unit.search_factories import doc, shelf


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Fts5Engine]:
    fts5 = Fts5Engine(tmp_path / "search.db")
    await fts5.upsert(shelf())
    yield fts5
    await fts5.close()


async def names(engine: Fts5Engine, **query: object) -> list[str]:
    page = await engine.search(SearchQuery.model_validate(query))
    return [hit.name for hit in page.items]


def test_analysis_folds_accents_apostrophes_spelling_and_plurals() -> None:
    assert fold("L'Oréal") == fold("l’oreal") == "loreal"
    assert analyze("Moisturisers") == analyze("moisturizer") == analyze("MOISTURIZING")
    assert analyze("lipsticks") == ["lipstick"]
    assert analyze("shampoo for the dryness") == analyze("shampoo dry")


def test_typo_distance_and_corrections() -> None:
    assert distance("lipstik", "lipstick", 2) == 1
    assert distance("ab", "ba", 1) == 1  # a swap is one edit
    assert distance("serum", "lipstick", 2) == 3  # capped at limit + 1
    vocab = Vocabulary({"lipstick": 9, "lipgloss": 2, "niacinamid": 4})
    assert vocab.corrections("lipstik") == ["lipstick"]
    assert vocab.corrections("niacinamd") == ["niacinamid"]
    assert vocab.corrections("lip") == []  # too far from anything
    assert vocab.corrections("lipstick") == []  # already a known term


@pytest.mark.parametrize("q", ["loreal", "l'oreal", "L'ORÉAL", "lipsticks matte"])
async def test_folded_queries_find_loreal(engine: Fts5Engine, q: str) -> None:
    assert (await names(engine, q=q))[0].startswith("L'Oréal")


@pytest.mark.parametrize(("q", "expected"), [
    ("lipstik", "Lipstick"), ("niacinamde", "Niacinamide"), ("moisturizer", "Moisturiser"),
    ("lipst", "Lipstick"), ("creme lumiere", "Crème Lumière"), ("rouge pure", "L'Oréal"),
    ("dry hair", "Shampoo")])
async def test_typos_prefixes_and_fields(engine: Fts5Engine, q: str, expected: str) -> None:
    assert expected in (await names(engine, q=q))[0]


async def test_name_outranks_description(engine: Fts5Engine) -> None:
    assert await names(engine, q="serum") == ["Glowbar Labs Niacinamide Serum"]
    hits = await names(engine, q="moisturising")
    assert hits[0] == "Sundari Naturals Saffron Moisturiser"


async def test_filters_and_category_descendants(engine: Fts5Engine) -> None:
    assert len(await names(engine, category="lips")) == 3
    assert len(await names(engine, category="makeup", price_max=30000)) == 2
    assert await names(engine, brand=["maybelline"]) == ["Maybelline Super Stay Lipsticks"]
    assert "Maybelline Super Stay Lipsticks" not in await names(engine, in_stock=True)
    assert await names(engine, q="lipstick", price_min=50000) == [
        "L'Oréal Paris Color Riche Matte Lipstick"]


async def test_facets_count_the_result_set(engine: Fts5Engine) -> None:
    page = await engine.search(SearchQuery(category="lips", brand=["maybelline"]))
    assert page.total == 1
    # The brand facet ignores the brand filter, so another brand can still be picked.
    assert {f.value: f.count for f in page.facets.brand} == {
        "loreal-paris": 1, "maybelline": 1, "creme-lumiere": 1}
    assert {f.value: f.count for f in page.facets.category} == {
        "makeup": 1, "lips": 1, "lipstick": 1}
    assert [(f.value, f.count) for f in page.facets.price] == [("299-499", 1)]
    assert page.facets.attributes == {"finish": [page.facets.attributes["finish"][0]]}


async def test_sorted_pages_cover_everything_once(engine: Fts5Engine) -> None:
    for sort in ("price_asc", "price_desc", "newest", "popular", "relevance"):
        seen: list[int] = []
        cursor = None
        while True:
            page = await engine.search(SearchQuery(sort=sort, limit=4, cursor=cursor,
                                                   q="lip" if sort == "relevance" else ""))
            seen += [hit.price_paise for hit in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        if sort == "price_asc":
            assert seen == sorted(seen) and len(seen) == 6
        if sort == "price_desc":
            assert seen == sorted(seen, reverse=True)
        if sort == "relevance":
            assert len(seen) == 3


async def test_cursor_of_another_engine_is_refused(engine: Fts5Engine) -> None:
    cursor = encode_cursor("relevance@elasticsearch", [1.5, 3])
    with pytest.raises(InvalidInput):
        await engine.search(SearchQuery(q="lipstick", cursor=cursor))


async def test_suggest_completes_words(engine: Fts5Engine) -> None:
    page = await engine.suggest(q="loreal mat", limit=5)
    assert [s.text for s in page.items] == ["L'Oréal Paris Color Riche Matte Lipstick"]
    assert (await engine.suggest(q="'", limit=5)).items == []


async def test_upsert_delete_stock_and_watermark(engine: Fts5Engine) -> None:
    await engine.upsert([doc(2, "Maybelline Sensational Gloss", brand="Maybelline",
                             category="lipstick", price=349)])
    assert await engine.count() == 6
    assert await names(engine, q="gloss") == ["Maybelline Sensational Gloss"]
    await engine.delete([2, 99])
    assert await engine.find_id("p2-maybelline") is None
    await engine.set_stock({1: False})
    assert (await engine.search(SearchQuery(q="loreal"))).items[0].in_stock is False
    assert await engine.stock_slice(after_id=0, limit=2) == [
        (1, ["SKU-1-0", "SKU-1-1"], False), (3, ["SKU-3-0"], True)]
    mark = Watermark(datetime(2026, 1, 1, tzinfo=UTC), 42)
    await engine.set_watermark(mark)
    assert await engine.watermark() == mark


async def test_rebuild_swaps_atomically(engine: Fts5Engine) -> None:
    written, release = asyncio.Event(), asyncio.Event()

    async def batches() -> AsyncIterator[list[IndexDoc]]:
        yield [doc(10, "Amla Grove Hair Oil", brand="Amla Grove", category="shampoo", price=199)]
        written.set()  # asked for the next batch: the first is in the new index
        await release.wait()

    rebuild = asyncio.create_task(engine.rebuild(batches(), watermark=lambda: None))
    async with asyncio.timeout(10):
        await written.wait()
    assert await engine.count() == 6  # readers still see the old index mid-rebuild
    release.set()
    await rebuild
    assert await engine.count() == 1
    assert await names(engine, q="oil") == ["Amla Grove Hair Oil"]
