"""The search service's own timing: reads keep the index fresh, at most once per interval, and
repeat reads come from the cache until the index changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchid.kit.cache import Cache
from orchid.kit.kv import MemoryStore
from orchid.services.catalog.schemas import ProductChange
from orchid.services.search.fts5_engine import Fts5Engine
from orchid.services.search.schemas import SearchPage, SearchQuery, SuggestPage
from orchid.services.search.service import SearchService
from orchid.services.search.sync import Indexer
from tests.support.clock import ORIGIN, FakeClock
from tests.unit.search_factories import shelf


async def test_reads_sync_the_index_at_most_once_per_interval(tmp_path: Path) -> None:
    clock = FakeClock()
    synced_at: list[float] = []

    async def changes(**_: Any) -> list[ProductChange]:
        synced_at.append(clock.monotonic() - ORIGIN)
        return []  # a quiet catalog

    engine = Fts5Engine(tmp_path / "search.db", clock=clock.monotonic)
    search = SearchService(engines=[engine], reader=engine, auto_sync_seconds=5,
                           indexer=Indexer(changes=changes, availability=None, clock=clock.now),
                           clock=clock.monotonic)
    try:
        await search.search(query=SearchQuery())  # no index yet: this read waits for a sync
        assert synced_at == [0.0]
        clock.advance(4.5)
        await search.search(query=SearchQuery())
        clock.advance(0.5)
        await search.search(query=SearchQuery())  # due: a sync starts beside this read
        await search.search(query=SearchQuery())  # and no second one while it is pending
    finally:
        await search.close()  # waits for the sync running in the background
    assert synced_at == [0.0, 5.0]


class CountingReader:
    """The FTS5 engine, counting the searches and suggestions that reach it."""

    def __init__(self, engine: Fts5Engine) -> None:
        self.engine, self.reads = engine, 0

    async def search(self, query: SearchQuery) -> SearchPage:
        self.reads += 1
        return await self.engine.search(query)

    async def suggest(self, *, q: str, limit: int) -> SuggestPage:
        self.reads += 1
        return await self.engine.suggest(q=q, limit=limit)


async def test_results_are_cached_until_the_index_changes(tmp_path: Path) -> None:
    engine = Fts5Engine(tmp_path / "search.db")
    await engine.upsert(shelf())
    reader = CountingReader(engine)

    async def no_changes(**_: Any) -> list[ProductChange]:
        return []

    search = SearchService(engines=[engine], reader=reader, auto_sync_seconds=None,
                           indexer=Indexer(changes=no_changes, availability=None),
                           cache=Cache(MemoryStore(), name="search"))
    lipstick = SearchQuery(q="lipstick")
    try:
        first = await search.search(query=lipstick)
        assert await search.search(query=lipstick) == first
        suggested = await search.suggest(q="lip", limit=5)
        assert await search.suggest(q="lip", limit=5) == suggested
        assert reader.reads == 2  # one search, one suggestion: the repeats came from the cache
        await search.search(query=SearchQuery(q="lipstick", in_stock=True))
        assert reader.reads == 3  # another query is another entry

        gone = first.items[0].slug
        await search.remove_product(slug=gone)  # a change to the index: a new generation
        again = await search.search(query=lipstick)
        assert reader.reads == 4
        assert gone not in [hit.slug for hit in again.items]
        assert again.total == first.total - 1
        await search.suggest(q="lip", limit=5)
        assert reader.reads == 5
    finally:
        await search.close()
