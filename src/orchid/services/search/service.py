"""The search service's rules and the typed interface other services call."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from pydantic import BaseModel, TypeAdapter

from orchid.kit.cache import Cache, Entry, digest_of
from orchid.kit.clock import Clock
from orchid.kit.errors import OrchidError
from orchid.kit.kv import MemoryStore
from orchid.kit.placement import exposed
from orchid.platform import Resources
from orchid.services.catalog.schemas import CategoryNode
from orchid.services.search.engine import Progress, SearchEngine
from orchid.services.search.errors import UnknownCategory
from orchid.services.search.es_engine import EsEngine
from orchid.services.search.fallback import Fallback, Reader
from orchid.services.search.fts5_engine import Fts5Engine
from orchid.services.search.peers import Peers
from orchid.services.search.schemas import (
    FacetValue,
    ReindexReport,
    SearchPage,
    SearchQuery,
    Suggestion,
    SuggestPage,
    SyncReport,
)
from orchid.services.search.sync import Indexer
from orchid.services.search.text import words

log = structlog.get_logger("orchid.search")
LABELS_TTL = 60.0
MAX_BRAND_SUGGESTIONS = 3
# Searches and suggestions are cached per generation of the index: every write to an index
# (a sync that changed something, a product re-indexed or removed, a rebuild) starts a new
# one. The TTL bounds what a write from outside these paths could leave stale.
INDEX_KEY = "index"
RESULTS_TTL = 60.0
SEARCH_PAGE, SUGGEST_PAGE = TypeAdapter(SearchPage), TypeAdapter(SuggestPage)
Page = TypeVar("Page", SearchPage, SuggestPage)


@dataclass
class Labels:
    """Display names of brands and categories, by slug (facet labels, brand suggestions)."""

    brands: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    loaded_at: float = float("-inf")


class SearchService:
    """Product search, suggestions, facets and the indexes behind them."""

    def __init__(self, *, engines: list[SearchEngine], reader: Reader, indexer: Indexer,
                 peers: Peers | None = None, auto_sync_seconds: float | None = 5.0,
                 cache: Cache | None = None, clock: Clock = time.monotonic) -> None:
        self.engines, self.reader, self.indexer = engines, reader, indexer
        self.peers, self.auto_sync_seconds = peers, auto_sync_seconds
        # Without a shared store (a test's service on its own), the process's memory.
        self.cache = cache or Cache(MemoryStore(), name="search")
        self._clock = clock
        self._labels = Labels()
        self._sync_lock = asyncio.Lock()
        self._synced_at = float("-inf")
        self._background: asyncio.Task[None] | None = None
        self._indexed = False

    @exposed(idempotent=True)
    async def search(self, *, query: SearchQuery) -> SearchPage:
        """Return one page of products matching `query`, with facets."""
        return await self.cache.value(await self._search(query))

    async def search_json(self, query: SearchQuery) -> bytes:
        """`search`'s answer as JSON (for this process's own route)."""
        return await self.cache.json(await self._search(query))

    @exposed(idempotent=True)
    async def suggest(self, *, q: str, limit: int = 10) -> SuggestPage:
        """Return brands, then product names, completing `q` (at most `limit`)."""
        return await self.cache.value(await self._suggest(q, limit))

    async def suggest_json(self, q: str, limit: int) -> bytes:
        """`suggest`'s answer as JSON (for this process's own route)."""
        return await self.cache.json(await self._suggest(q, limit))

    async def _search(self, query: SearchQuery) -> Entry[SearchPage]:
        await self._keep_fresh()
        labels = await self._load_labels()
        if query.category is not None and labels.categories \
                and query.category not in labels.categories:
            raise UnknownCategory(category=query.category)

        async def load() -> SearchPage:
            page = await self.reader.search(query)
            facets = page.facets
            facets.brand = _labelled(facets.brand, labels.brands)
            facets.category = _labelled(facets.category, labels.categories)
            return page

        return await self._entry("search", query, load, SEARCH_PAGE)

    async def _suggest(self, q: str, limit: int) -> Entry[SuggestPage]:
        await self._keep_fresh()
        typed = words(q)
        labels = await self._load_labels()

        async def load() -> SuggestPage:
            brands = [Suggestion(text=name, kind="brand", slug=slug)
                      for slug, name in sorted(labels.brands.items(), key=lambda b: b[1])
                      if typed and _completes(typed, words(name))][:MAX_BRAND_SUGGESTIONS]
            page = await self.reader.suggest(q=q, limit=limit)
            page.items = (brands + page.items)[:limit]
            return page

        return await self._entry("suggest", _Typed(q=q, limit=limit), load, SUGGEST_PAGE)

    async def _entry(self, kind: str, asked: BaseModel, load: Callable[[], Awaitable[Page]],
                     adapter: TypeAdapter[Page]) -> Entry[Page]:
        """The cache entry of a read, keyed by what was asked within the index's generation."""
        key = await self.cache.in_generation(INDEX_KEY, f"{kind}:{digest_of(asked)}")
        return Entry(key, load, adapter, RESULTS_TTL)

    async def _index_changed(self) -> None:
        await self.cache.invalidate(INDEX_KEY)

    @exposed(idempotent=True)
    async def sync_once(self) -> SyncReport:
        """Apply catalog and stock changes to every engine; a failing engine catches up later."""
        async with self._sync_lock:
            return await self._sync()

    async def _sync(self) -> SyncReport:
        total = SyncReport(upserted=0, removed=0, stock_checked=0, stock_changed=0)
        for engine in self.engines:
            try:
                report = await self.indexer.sync_once(engine)
            except OrchidError as exc:
                log.warning("search_sync_failed", engine=engine.name, error=str(exc))
                continue
            total = SyncReport(upserted=total.upserted + report.upserted,
                               removed=total.removed + report.removed,
                               stock_checked=total.stock_checked + report.stock_checked,
                               stock_changed=total.stock_changed + report.stock_changed)
        self._synced_at = self._clock()
        if total.upserted or total.removed or total.stock_changed:
            await self._index_changed()
        return total

    async def _keep_fresh(self) -> None:
        # No scheduler runs syncs in one process, so reads trigger them: at most one every
        # `auto_sync_seconds`, skipped while one runs. Only a first one into an empty index is
        # waited for; others run beside the request that noticed, so no reader waits for one
        # (a restarted process would otherwise hold its first searches for a whole catch-up).
        if self.auto_sync_seconds is None:
            return
        if self._clock() - self._synced_at < self.auto_sync_seconds:
            return
        if self._synced_at == float("-inf") and not await self._has_index():
            await self._sync_if_due()
        elif not self._sync_lock.locked() and (self._background is None
                                               or self._background.done()):
            self._background = asyncio.create_task(self._sync_if_due())

    async def _has_index(self) -> bool:
        """True once any engine holds an index that readers can use."""
        for engine in [] if self._indexed else self.engines:
            with contextlib.suppress(OrchidError):  # an engine that is down holds none
                if await engine.watermark() is not None:
                    self._indexed = True
                    break
        return self._indexed

    async def _sync_if_due(self) -> None:
        async with self._sync_lock:
            if self._clock() - self._synced_at >= (self.auto_sync_seconds or 0):
                await self._sync()

    @exposed(idempotent=True)
    async def index_product(self, *, slug: str) -> None:
        """Re-index one product now (removed from the index when unpublished or gone)."""
        for engine in self.engines:
            product_id = await engine.find_id(slug)
            if product_id is None:
                await self.indexer.sync_once(engine)  # new to the index: the feed has it
            else:
                await self.indexer.index_one(engine, slug=slug, product_id=product_id)
        await self._index_changed()

    @exposed(idempotent=True)
    async def remove_product(self, *, slug: str) -> None:
        """Drop one product from every index."""
        for engine in self.engines:
            product_id = await engine.find_id(slug)
            if product_id is not None:
                await engine.delete([product_id])
        await self._index_changed()

    @exposed()
    async def reindex(self) -> list[ReindexReport]:
        """Rebuild every engine's index from the catalog."""
        return await self.rebuild()

    async def rebuild(self, *, progress: Progress | None = None) -> list[ReindexReport]:
        """Rebuild every engine's index, reporting documents loaded to `progress`."""
        async with self._sync_lock:
            reports = [await self.indexer.reindex(engine, progress=progress)
                       for engine in self.engines]
            self._synced_at = self._clock()
        await self._index_changed()
        return reports

    async def close(self) -> None:
        """Release every engine's connections (after a background sync has finished)."""
        if self._background is not None:
            await asyncio.gather(self._background, return_exceptions=True)
        for engine in self.engines:
            await engine.close()

    async def _load_labels(self) -> Labels:
        if self._clock() - self._labels.loaded_at < LABELS_TTL or self.peers is None:
            return self._labels
        try:
            brands = await self.peers.catalog.list_brands()
            tree = await self.peers.catalog.list_categories()
        except OrchidError as exc:  # catalog unreachable: slugs stand in for names
            log.warning("search_labels_unavailable", error=str(exc))
            return self._labels
        self._labels = Labels({b.slug: b.name for b in brands}, dict(_category_names(tree)),
                              self._clock())
        return self._labels


class _Typed(BaseModel):
    """What a suggestion was asked for (its cache key)."""

    q: str
    limit: int


def _category_names(nodes: list[CategoryNode]) -> list[tuple[str, str]]:
    return [pair for n in nodes for pair in [(n.slug, n.name), *_category_names(n.children)]]


def _labelled(values: list[FacetValue], names: dict[str, str]) -> list[FacetValue]:
    return [FacetValue(value=v.value, label=names.get(v.value, v.value), count=v.count)
            for v in values]


def _completes(typed: list[str], name: list[str]) -> bool:
    """True when each typed word starts a word of `name` (the last one may be unfinished)."""
    return all(any(w == t or (i == len(typed) - 1 and w.startswith(t)) for w in name)
               for i, t in enumerate(typed))


def build(resources: Resources, peers: Peers) -> SearchService:
    """Assemble search: FTS5 in the data dir, and Elasticsearch in front when configured."""
    settings = resources.settings
    fts5 = Fts5Engine(settings.data_dir / "search.db")
    engines: list[SearchEngine] = [fts5]
    reader: Reader = fts5
    if settings.elasticsearch_url:
        es = EsEngine(settings.elasticsearch_url)
        engines, reader = [es, fts5], Fallback(es, fts5)

    async def availability(skus: list[str]) -> dict[str, bool]:
        return {a.sku: a.in_stock for a in await peers.inventory.availability(skus=skus)}

    indexer = Indexer(changes=lambda **kw: peers.catalog.list_changed(**kw),
                      availability=availability,
                      product=lambda slug: peers.catalog.get_product(slug=slug))
    return SearchService(engines=engines, reader=reader, indexer=indexer, peers=peers,
                         auto_sync_seconds=settings.search_auto_sync_seconds or None,
                         cache=resources.cache("search"))
