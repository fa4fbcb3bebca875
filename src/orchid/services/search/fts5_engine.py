"""The embedded search engine: SQLite FTS5 in `<data_dir>/search.db`, bm25, prefixes, facets.

    engine = Fts5Engine(data_dir / "search.db")
    await engine.upsert(docs)
    page = await engine.search(SearchQuery(q="lipstik", brand=["pout-theory"]))

SQLite calls block, so they run in worker threads: one writer connection behind a lock, and a
small pool of reader connections (WAL lets them read while the writer writes).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from orchid.kit.clock import Clock
from orchid.services.search import fts5_query, fts5_store
from orchid.services.search.engine import (
    SORTS,
    EngineName,
    Progress,
    effective_sort,
    make_cursor,
    read_cursor,
)
from orchid.services.search.schemas import (
    Facets,
    IndexDoc,
    SearchHit,
    SearchPage,
    SearchQuery,
    Suggestion,
    SuggestPage,
    Watermark,
)
from orchid.services.search.typo import Vocabulary

T = TypeVar("T")
VOCABULARY_TTL = 2.0  # seconds a vocabulary may lag behind writes


class Fts5Engine:
    """Search over SQLite FTS5."""

    name: EngineName = "fts5"

    def __init__(self, path: Path, *, readers: int = 4, clock: Clock = time.monotonic) -> None:
        self.path, self._clock = path, clock
        self._writer: sqlite3.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[sqlite3.Connection] = asyncio.Queue()
        self._opened, self._max_readers = 0, readers
        self._vocab: Vocabulary | None = None
        self._vocab_loaded_at = 0.0
        self._vocab_stale = True
        # SQLite calls run in this engine's own threads. A cancelled caller does not stop its
        # thread, and closing a connection under a running call crashes the process (a
        # segfault): close() waits for them first.
        self._threads = ThreadPoolExecutor(max_workers=readers + 1, thread_name_prefix="fts5")

    async def _thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` in one of the engine's threads (asyncio.to_thread, but waited for
        by close())."""
        return await asyncio.wrap_future(self._threads.submit(fn, *args))

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._readers.empty() and self._opened < self._max_readers:
            self._opened += 1
            self._readers.put_nowait(await self._thread(fts5_store.connect, str(self.path)))
        conn = await self._readers.get()
        try:
            return await self._thread(fn, conn)
        finally:
            self._readers.put_nowait(conn)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        async with self._write_lock:
            if self._writer is None:
                self._writer = await self._thread(fts5_store.connect, str(self.path))
            result = await self._thread(fn, self._writer)
        self._vocab_stale = True
        return result

    async def _vocabulary(self) -> Vocabulary:
        fresh = self._clock() - self._vocab_loaded_at < VOCABULARY_TTL
        if self._vocab is None or (self._vocab_stale and not fresh):
            self._vocab_stale = False
            self._vocab = await self._read(fts5_query.vocabulary)
            self._vocab_loaded_at = self._clock()
        return self._vocab

    async def search(self, query: SearchQuery) -> SearchPage:
        """Return one page of hits with facets; all words must match, else any word may."""
        after = read_cursor(query, self.name)
        vocab = await self._vocabulary() if query.q else None
        spec = SORTS[effective_sort(query)]
        strict = fts5_query.match_expression(query.q, vocab, strict=True)
        relaxed = fts5_query.match_expression(query.q, vocab, strict=False)

        def run(conn: sqlite3.Connection) -> tuple[int, list[tuple[str, list[Any]]], Facets]:
            conn.execute("BEGIN")  # one snapshot for the matches, the page and the facets
            try:
                total = fts5_query.collect(conn, query, strict)
                if total == 0 and relaxed != strict:
                    total = fts5_query.collect(conn, query, relaxed)
                rows = fts5_query.page(conn, spec, after, query.limit + 1)
                return total, rows, Facets(**fts5_query.facets(conn)) if query.facets else Facets()
            finally:
                conn.execute("COMMIT")

        if query.q and strict is None:  # only stop words or punctuation: nothing to look for
            return SearchPage(items=[], total=0, facets=Facets(), next_cursor=None,
                              engine=self.name)
        total, rows, facets = await self._read(run)
        items = [SearchHit.model_validate_json(hit) for hit, _ in rows[:query.limit]]
        next_cursor = (make_cursor(query, self.name, rows[query.limit - 1][1])
                       if len(rows) > query.limit else None)
        return SearchPage(items=items, total=total, facets=facets, next_cursor=next_cursor,
                          engine=self.name)

    async def suggest(self, *, q: str, limit: int) -> SuggestPage:
        """Return product names whose words start with the words of `q`."""
        rows = await self._read(lambda conn: fts5_query.suggest(conn, q, limit))
        return SuggestPage(items=_distinct_names(rows, limit), engine=self.name)

    async def upsert(self, docs: list[IndexDoc]) -> None:
        """Add or replace documents."""
        if docs:
            await self._write(lambda conn: fts5_store.upsert(conn, docs))

    async def delete(self, ids: list[int]) -> None:
        """Remove documents by product id."""

        def run(conn: sqlite3.Connection) -> None:
            with fts5_store.transaction(conn):
                fts5_store.delete_ids(conn, ids)

        if ids:
            await self._write(run)

    async def find_id(self, slug: str) -> int | None:
        """Return the product id stored under `slug`."""
        row = await self._read(
            lambda conn: conn.execute("SELECT id FROM docs WHERE slug = ?", (slug,)).fetchone())
        return int(row[0]) if row else None

    async def rebuild(self, batches: AsyncIterator[list[IndexDoc]], *,
                      watermark: Callable[[], Watermark | None],
                      progress: Progress | None = None) -> str:
        """Replace the whole index inside one write transaction (readers see old or new)."""
        async with self._write_lock:
            if self._writer is None:
                self._writer = await self._thread(fts5_store.connect, str(self.path))
            conn = self._writer
            await self._thread(conn.execute, "BEGIN IMMEDIATE")
            try:
                await self._thread(fts5_store.clear, conn)
                async for batch in batches:
                    await self._thread(fts5_store.insert_docs, conn, batch)
                    if progress is not None:
                        progress(len(batch))
                mark = watermark()
                if mark is not None:
                    await self._thread(fts5_store.put_watermark, conn, mark)
            except BaseException:
                await self._thread(conn.execute, "ROLLBACK")
                raise
            await self._thread(conn.execute, "COMMIT")
        self._vocab_stale, self._vocab = True, None
        return str(self.path)

    async def watermark(self) -> Watermark | None:
        """Return the last catalog change applied."""
        return await self._read(fts5_store.get_watermark)

    async def set_watermark(self, mark: Watermark) -> None:
        """Record the last catalog change applied."""
        await self._write(lambda conn: fts5_store.put_watermark(conn, mark))

    async def stock_slice(self, *, after_id: int, limit: int) -> list[tuple[int, list[str], bool]]:
        """Return (id, skus, in_stock) of the next documents by id."""
        rows = await self._read(lambda conn: conn.execute(
            "SELECT id, skus, in_stock FROM docs WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit)).fetchall())
        return [(int(i), list(json.loads(skus)), bool(s)) for i, skus, s in rows]

    async def set_stock(self, changes: dict[int, bool]) -> None:
        """Set in_stock on documents."""
        if changes:
            await self._write(lambda conn: fts5_store.set_stock(conn, changes))

    async def count(self) -> int:
        """Return how many documents are searchable."""
        row = await self._read(lambda conn: conn.execute("SELECT count(*) FROM docs").fetchone())
        return int(row[0])

    async def close(self) -> None:
        """Close every connection, once no call runs on one."""
        await asyncio.to_thread(self._threads.shutdown, wait=True)
        conns = [self._writer] if self._writer is not None else []
        while not self._readers.empty():
            conns.append(self._readers.get_nowait())
        self._writer, self._opened, self._vocab = None, 0, None
        for conn in conns:
            conn.close()


def _distinct_names(rows: list[tuple[str, str]], limit: int) -> list[Suggestion]:
    seen: dict[str, Suggestion] = {}
    for slug, name in rows:
        if name.lower() not in seen:
            seen[name.lower()] = Suggestion(text=name, kind="product", slug=slug)
    return list(seen.values())[:limit]
