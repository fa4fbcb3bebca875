"""Answer reads from the primary engine, or from the embedded one while the primary is down.

    reader = Fallback(EsEngine(url), Fts5Engine(path))
    page = await reader.search(query)        # page.engine says who answered

A failure is logged and counted in `orchid_search_fallbacks_total`; after a few in a row a
circuit breaker sends reads straight to the fallback for a while, so an outage costs no
timeout per request. Writes are not its business: the indexer keeps both engines in step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import structlog
from prometheus_client import Counter

from orchid.kit.placement import CircuitBreaker
from orchid.services.search.engine import EngineUnavailable, SearchEngine
from orchid.services.search.schemas import SearchPage, SearchQuery, SuggestPage

T = TypeVar("T")
log = structlog.get_logger("orchid.search")
FALLBACKS = Counter("orchid_search_fallbacks_total",
                    "Search reads answered by the fallback engine", ["operation", "reason"])


class Reader(Protocol):
    """What the service reads through: one engine, or a primary with a fallback."""

    async def search(self, query: SearchQuery) -> SearchPage:
        """Return one page of hits with facets."""
        ...

    async def suggest(self, *, q: str, limit: int) -> SuggestPage:
        """Return product names completing `q`."""
        ...


class Fallback:
    """A primary engine with a secondary that answers while the primary is down."""

    def __init__(self, primary: SearchEngine, secondary: SearchEngine, *,
                 breaker: CircuitBreaker | None = None) -> None:
        self.primary, self.secondary = primary, secondary
        self.breaker = breaker or CircuitBreaker(threshold=3, cooldown=5.0)

    async def _read(self, operation: str, call: Callable[[SearchEngine], Awaitable[T]]) -> T:
        if not self.breaker.allow():
            FALLBACKS.labels(operation, "circuit_open").inc()
            return await call(self.secondary)
        try:
            result = await call(self.primary)
        except EngineUnavailable as exc:
            self.breaker.record(False)
            FALLBACKS.labels(operation, "error").inc()
            log.warning("search_fallback", operation=operation, engine=self.primary.name,
                        fallback=self.secondary.name, error=str(exc))
            return await call(self.secondary)
        self.breaker.record(True)
        return result

    async def search(self, query: SearchQuery) -> SearchPage:
        """Search the primary, or the secondary when the primary fails."""
        return await self._read("search", lambda engine: engine.search(query))

    async def suggest(self, *, q: str, limit: int) -> SuggestPage:
        """Suggest from the primary, or the secondary when the primary fails."""
        return await self._read("suggest", lambda engine: engine.suggest(q=q, limit=limit))
