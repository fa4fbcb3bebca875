"""Keep the indexes in step with the catalog: full rebuilds and incremental syncs.

Each engine keeps its own watermark, the keyset (updated_at, product id) of the last catalog
change it applied, so an engine that was down catches up on its own. A transaction may commit
after a later-stamped one, so a sync re-reads what was stamped up to OVERLAP before its previous
read (or before the watermark, after a restart); doing a change twice is harmless. Measuring
the overlap from the previous read, not from the watermark, matters after a bulk load: every
product stamped in the watermark's last seconds would otherwise be re-indexed on every sync.
Stock changes do not touch the catalog, so each sync also re-checks
the stock of a slice of the index, cycling through it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from orchid.kit.orm import utcnow
from orchid.services.catalog.errors import ProductNotFound
from orchid.services.catalog.schemas import ProductChange, ProductRead
from orchid.services.search.documents import Availability, build_doc, build_docs, stock_of
from orchid.services.search.engine import Progress, SearchEngine
from orchid.services.search.fts5_store import EPOCH
from orchid.services.search.schemas import IndexDoc, ReindexReport, SyncReport, Watermark

log = structlog.get_logger("orchid.search")
OVERLAP = timedelta(seconds=5)


class Indexer:
    """Pull catalog changes (and stock) into one or more engines."""

    def __init__(self, *, changes: Callable[..., Awaitable[list[ProductChange]]],
                 availability: Availability | None,
                 product: Callable[[str], Awaitable[ProductRead]] | None = None,
                 batch: int = 500, stock_batch: int = 500,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.changes, self.availability, self.product = changes, availability, product
        self.clock = clock
        self.batch, self.stock_batch = batch, stock_batch
        self._stock_after: dict[str, int] = {}
        self._read_at: dict[str, datetime] = {}  # engine → when its last sync began reading

    async def _pages(self, since: Watermark) -> AsyncIterator[list[ProductChange]]:
        mark = since
        while True:
            page = await self.changes(since=mark.updated_at, after_id=mark.product_id,
                                      limit=self.batch)
            if not page:
                return
            yield page
            mark = Watermark(page[-1].updated_at, page[-1].id)
            if len(page) < self.batch:
                return

    async def reindex(self, engine: SearchEngine, *,
                      progress: Progress | None = None) -> ReindexReport:
        """Rebuild `engine`'s index from the whole catalog; readers switch over at the end."""
        started = time.perf_counter()
        last: list[Watermark] = []
        count = 0

        async def batches() -> AsyncIterator[list[IndexDoc]]:
            nonlocal count
            async for page in self._pages(Watermark(EPOCH, 0)):
                last[:] = [Watermark(page[-1].updated_at, page[-1].id)]
                docs = await build_docs([p for p in page if p.published],
                                        availability=self.availability)
                count += len(docs)
                yield docs

        index = await engine.rebuild(batches(), watermark=lambda: last[0] if last else None,
                                     progress=progress)
        report = ReindexReport(engine=engine.name, index=index, documents=count,
                               seconds=round(time.perf_counter() - started, 3))
        log.info("search_reindexed", **report.model_dump())
        return report

    async def sync_once(self, engine: SearchEngine) -> SyncReport:
        """Apply catalog changes since `engine`'s watermark, then re-check a slice of stock."""
        read_at = self.clock()
        stored = await engine.watermark() or Watermark(EPOCH, 0)
        mark = stored
        since = resume_from(mark, self._read_at.get(engine.name) or stored.read_at)
        upserted = removed = 0
        async for page in self._pages(since):
            docs = await build_docs([p for p in page if p.published],
                                    availability=self.availability)
            gone = [p.id for p in page if not p.published]
            await engine.upsert(docs)
            await engine.delete(gone)
            upserted, removed = upserted + len(docs), removed + len(gone)
            newest = Watermark(page[-1].updated_at, page[-1].id, read_at)
            if (newest.updated_at, newest.product_id) > (mark.updated_at, mark.product_id):
                mark = newest
                await engine.set_watermark(mark)
        self._read_at[engine.name] = read_at
        if mark is stored and resume_from(stored, stored.read_at) != resume_from(stored, read_at):
            # Nothing new, but a restarted process would re-read the overlap again: once, say
            # where this read began (the only write a quiet catalog costs).
            await engine.set_watermark(Watermark(stored.updated_at, stored.product_id, read_at))
        checked, changed = await self.sync_stock(engine)
        return SyncReport(upserted=upserted, removed=removed, stock_checked=checked,
                          stock_changed=changed)

    async def index_one(self, engine: SearchEngine, *, slug: str, product_id: int) -> None:
        """Re-read one indexed product from the catalog; drop it when no longer published."""
        if self.product is None:
            await self.sync_once(engine)
            return
        try:
            product = await self.product(slug)
        except ProductNotFound:
            await engine.delete([product_id])
            return
        stock = await stock_of([v.sku for v in product.variants], self.availability)
        await engine.upsert([build_doc(product, product_id=product_id,
                                       in_stock=any(stock.get(v.sku, True)
                                                    for v in product.variants))])

    async def sync_stock(self, engine: SearchEngine) -> tuple[int, int]:
        """Re-check the stock of the next slice of `engine`'s documents; return how many were
        checked and how many changed."""
        if self.availability is None:
            return 0, 0
        after = self._stock_after.get(engine.name, 0)
        rows = await engine.stock_slice(after_id=after, limit=self.stock_batch)
        self._stock_after[engine.name] = rows[-1][0] if len(rows) == self.stock_batch else 0
        stock = await stock_of([sku for _, skus, _ in rows for sku in skus], self.availability)
        if not stock:
            return 0, 0  # inventory did not answer: keep what the index says
        changes = {doc_id: now for doc_id, skus, was in rows
                   if (now := any(stock.get(s, True) for s in skus)) != was}
        await engine.set_stock(changes)
        return len(rows), len(changes)


def resume_from(mark: Watermark, previous_read: datetime | None) -> Watermark:
    """Where a sync starts reading: after `mark`, less what may have committed late."""
    if not mark.product_id:
        return mark  # nothing applied yet: from the beginning
    # Whatever committed after the previous read was stamped after (that read − OVERLAP).
    late = (previous_read or mark.updated_at) - OVERLAP
    if late >= mark.updated_at:
        return mark  # the keyset after the watermark covers it
    return Watermark(max(EPOCH, late), 0)
