"""The search service's own timing: reads keep the index fresh, at most once per interval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchid.services.catalog.schemas import ProductChange
from orchid.services.search.fts5_engine import Fts5Engine
from orchid.services.search.schemas import SearchQuery
from orchid.services.search.service import SearchService
from orchid.services.search.sync import Indexer
from tests.support.clock import ORIGIN, FakeClock


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
