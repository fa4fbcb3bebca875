"""The fallback between engines, and document building from catalog products."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from orchid.kit.errors import Unavailable
from orchid.kit.placement import CircuitBreaker
from orchid.services.search.documents import popularity, stock_of
from orchid.services.search.engine import EngineUnavailable
from orchid.services.search.fallback import FALLBACKS, Fallback
from orchid.services.search.fts5_engine import Fts5Engine
from orchid.services.search.schemas import SearchPage, SearchQuery, SuggestPage
from tests.support.clock import FakeClock
from tests.unit.search_factories import shelf


def fallbacks() -> float:
    """Return how many searches fell back after an error so far."""
    FALLBACKS.labels("search", "error")  # make the series exist before the first fallback
    value = REGISTRY.get_sample_value("orchid_search_fallbacks_total",
                                      {"operation": "search", "reason": "error"})
    return value or 0.0


class DownEngine(Fts5Engine):
    """An engine whose reads fail as an unreachable Elasticsearch's do."""

    async def search(self, query: SearchQuery) -> SearchPage:
        raise EngineUnavailable("connection refused")

    async def suggest(self, *, q: str, limit: int) -> SuggestPage:
        raise EngineUnavailable("connection refused")


async def test_fallback_answers_counts_and_opens_the_circuit(tmp_path: Path) -> None:
    clock = FakeClock()
    secondary = Fts5Engine(tmp_path / "search.db")
    await secondary.upsert(shelf())
    reader = Fallback(DownEngine(tmp_path / "down.db"), secondary,
                      breaker=CircuitBreaker(threshold=2, cooldown=60, clock=clock.monotonic))
    errors = fallbacks()
    try:
        pages = [await reader.search(SearchQuery(q="lipstick")) for _ in range(3)]
        assert {p.engine for p in pages} == {"fts5"} and pages[0].total == 2
        assert fallbacks() == errors + 2
        assert not reader.breaker.allow()  # the third read skipped the dead engine
        assert (await reader.suggest(q="lor", limit=3)).engine == "fts5"
        clock.advance(60)  # the cooldown is over: one trial read goes to the dead engine
        assert (await reader.search(SearchQuery(q="lipstick"))).engine == "fts5"
        assert fallbacks() == errors + 3 and not reader.breaker.allow()
    finally:
        await secondary.close()


async def test_unknown_stock_counts_as_in_stock() -> None:
    async def down(skus: list[str]) -> dict[str, bool]:
        raise Unavailable("inventory down")

    async def answers(skus: list[str]) -> dict[str, bool]:
        return {sku: sku.endswith("1") for sku in skus}

    assert await stock_of(["A-1"], down) == {}
    assert await stock_of(["A-1", "A-2"], None) == {}
    assert await stock_of([f"A-{i}" for i in range(250)], answers) == {
        f"A-{i}": str(i).endswith("1") for i in range(250)}


@pytest.mark.parametrize("rating", [3.0, 4.5])
def test_popularity_is_deterministic_and_led_by_rating(rating: float) -> None:
    assert popularity(rating=rating, product_id=7) == popularity(rating=rating, product_id=7)
    assert popularity(rating=rating + 0.1, product_id=7) > popularity(rating=rating,
                                                                      product_id=8)
