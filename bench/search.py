"""Search and suggest latency and throughput of both engines on a seeded catalogue.

    .venv/bin/python -m bench.search --products 100000 --seconds 10 --concurrency 8

Seeds an embedded catalogue (with stock) in a temporary folder, starts its own Elasticsearch
(tests/support/elasticsearch.py) on a free loopback port, builds both indexes through the
indexer, then calls each engine directly (no HTTP): first one request at a time for the
latency percentiles, then `--concurrency` callers for `--seconds` for the throughput. Every
loop is bounded in count and time; Elasticsearch is stopped at the end. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from pydantic import SecretStr

from orchid.app import create_app
from orchid.config import Settings
from orchid.migrate import upgrade
from orchid.seed.load import seed_catalog
from orchid.services.search.engine import SearchEngine
from orchid.services.search.schemas import SearchQuery
from orchid.services.search.service import SearchService
from tests.integration.relevance_queries import CASES
from tests.support.elasticsearch import Elasticsearch

Call = Callable[[SearchEngine, int], Awaitable[object]]
WORDS = [case.q for case in CASES]
PREFIXES = ["lip", "pout th", "sunsc", "amla g", "moist", "kaj", "niacin", "beard o", "rose", "eau"]


async def search_words(engine: SearchEngine, i: int) -> object:
    return await engine.search(SearchQuery(q=WORDS[i % len(WORDS)], limit=24))


async def search_filtered(engine: SearchEngine, i: int) -> object:
    return await engine.search(SearchQuery(q=WORDS[i % len(WORDS)], category="skincare",
                                           price_max=99900, sort="price_asc", limit=24))


async def browse(engine: SearchEngine, i: int) -> object:
    categories = ["makeup", "lips", "skincare", "haircare", "fragrance", "serums"]
    return await engine.search(SearchQuery(category=categories[i % len(categories)], limit=24))


async def suggest(engine: SearchEngine, i: int) -> object:
    return await engine.suggest(q=PREFIXES[i % len(PREFIXES)], limit=10)


OPERATIONS: dict[str, Call] = {"search (words)": search_words,
                               "search (words + filters + sort)": search_filtered,
                               "browse (category, facets)": browse, "suggest": suggest}


async def latencies(engine: SearchEngine, call: Call, count: int, budget: float) -> list[float]:
    """Time up to `count` sequential calls within `budget` seconds (after 10 warm-ups)."""
    for i in range(10):
        await call(engine, i)
    out: list[float] = []
    deadline = time.monotonic() + budget
    for i in range(count):
        started = time.perf_counter()
        await call(engine, i)
        out.append(time.perf_counter() - started)
        if time.monotonic() > deadline:
            break
    return out


async def throughput(engine: SearchEngine, call: Call, workers: int, seconds: float) -> float:
    """Return calls per second completed by `workers` concurrent callers in `seconds`."""
    counter = itertools.count()
    done = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            await call(engine, next(counter))
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return done / (time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    """Return the `share` quantile in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(settings: Settings, args: argparse.Namespace) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        started = time.perf_counter()
        await seed_catalog(app.state.resources, products=args.products, seed=1)
        print(f"seeded {args.products} products in {time.perf_counter() - started:.1f} s")
        search: SearchService = app.state.services.search
        search.auto_sync_seconds = None
        for engine in search.engines:
            report = await search.indexer.reindex(engine)
            print(f"indexed {report.documents} documents into {engine.name} in "
                  f"{report.seconds:.1f} s")
        rows = []
        for engine in search.engines:
            for name, call in OPERATIONS.items():
                times = await latencies(engine, call, args.count, args.seconds)
                rate = await throughput(engine, call, args.concurrency, args.seconds)
                rows.append(f"| {engine.name} | {name} | {len(times)} | "
                            f"{percentile(times, 0.5):.1f} | {percentile(times, 0.99):.1f} | "
                            f"{statistics.mean(times) * 1000:.1f} | {rate:.0f} |")
        await search.close()
    print(f"\n| engine | operation | sequential calls | p50 ms | p99 ms | mean ms | "
          f"calls/s ({args.concurrency} concurrent) |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--count", type=int, default=300, help="sequential calls per row")
    parser.add_argument("--seconds", type=float, default=10.0, help="time bound per loop")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--heap", default="1g", help="Elasticsearch heap")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        es = Elasticsearch.start(heap=args.heap)  # its own folder: `nobody` must enter it
        try:
            settings = Settings(data_dir=data_dir, secret_key=SecretStr("bench-" + "x" * 40),
                                log_json=False, elasticsearch_url=es.url)
            upgrade(settings.main_url(), "main", settings.migrations_dir)
            upgrade(settings.warehouse_url(), "warehouse", settings.migrations_dir)
            asyncio.run(run(settings, args))
        finally:
            es.remove()


if __name__ == "__main__":
    main()
