"""Events through the whole path on a running stack: outbox → relay → Pub/Sub → function.

    .venv/bin/python -m orchid up --state-dir .orchid/stack            # first, in another shell
    .venv/bin/python -m bench.events --state-dir .orchid/stack --rate 200 --seconds 30

Commits `--rate` `stock.changed` events a second for `--seconds` into the warehouse outbox,
`--per-commit` to a transaction (1: each its own, as one stock movement writes it; a checkout
writes several), from 32 writers paced by a schedule, bounded in count and time.
`--effect decide` (default): each takes a bench SKU from 51 to 50
units, so `low-stock` and `search-index` each read the event and decide there is nothing to
do — the path's own cost. `--effect alert`: from 6 to 5 units, so `low-stock` records the event
in its inbox and emails the stock team through the stack's mail sink for each one.
Then waits (at most 120 s) until the functions have handled them all and reads their
`orchid_function_event_lag_seconds` histograms (commit to handler return) before and after:
the percentiles are interpolated within the histogram's buckets, as Prometheus'
histogram_quantile does. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from orchid.functions.host import functions
from orchid.kit.db import Database
from orchid.kit.outbox import WarehouseOutbox, record
from orchid.stack.plan import Layout, StackOptions, app_env

LAG = "orchid_function_event_lag_seconds"
WRITERS = 32
AVAILABLE = {"decide": 50, "alert": 5}  # units after the change (one more before)
WAIT_SECONDS = 120.0


def scrape(port: int, function: str) -> tuple[dict[float, float], float]:
    """The function's lag histogram (bucket bound → cumulative count) and handled count."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    buckets: dict[float, float] = {}
    handled = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("function") != function:
                continue
            if sample.name == f"{LAG}_bucket":
                buckets[float(sample.labels["le"])] = sample.value
            elif (sample.name == "orchid_function_events_total"
                  and sample.labels.get("outcome") == "handled"):
                handled = sample.value
    return buckets, handled


def quantile(q: float, before: dict[float, float], after: dict[float, float]) -> float:
    """The q-quantile of the observations between two scrapes, linear within a bucket."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1]
    if total <= 0:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for bound, cumulative in zip(bounds, counts, strict=True):
        if cumulative >= rank:
            if bound == float("inf"):
                return lower
            inside = cumulative - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, cumulative
    return lower


async def write(url: str, rate: float, seconds: float, tag: str, available: int,
                per_commit: int) -> tuple[int, float]:
    """Commit rate × seconds events on schedule; return how many and the seconds it took."""
    db = Database("warehouse", url, pool_size=WRITERS)
    total = int(rate * seconds) // per_commit * per_commit
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(0, total, per_commit):
        queue.put_nowait(i)
    start = time.monotonic()

    async def writer() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # the schedule: event i at its second
            async with db.write() as session:
                for n in range(i, i + per_commit):
                    sku = f"BENCH-{tag}-{n % 200}"
                    record(session, WarehouseOutbox, "stock.changed", "stock", f"{sku}@1",
                           {"sku": sku, "warehouse_id": 1, "kind": "bench",
                            "on_hand": available, "reserved": 0, "available": available,
                            "delta_on_hand": -1, "delta_reserved": 0})

    try:
        await asyncio.gather(*(writer() for _ in range(WRITERS)))
    finally:
        await db.close()
    return total, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".orchid/stack"))
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--effect", choices=sorted(AVAILABLE), default="decide")
    parser.add_argument("--per-commit", type=int, default=1, choices=range(1, 51),
                        metavar="1..50")
    args = parser.parse_args()
    if not 0 < args.rate <= 2000 or not 0 < args.seconds <= 300:
        parser.error("--rate in (0, 2000], --seconds in (0, 300]")
    state = json.loads((args.state_dir / "state.json").read_text())
    ports = {c["name"]: c["port"] for c in state["components"]}
    env = app_env(Layout(args.state_dir), StackOptions())
    watched = [f.spec.name for f in functions()
               if any(t.topic == "inventory" and t.wants("stock.changed")
                      for t in f.spec.triggers)]
    before = {name: scrape(ports[f"fn-{name}"], name) for name in watched}
    tag = uuid.uuid4().hex[:6]
    total, took = asyncio.run(write(env["ORCHID_WAREHOUSE_PRIMARY_URL"], args.rate,
                                    args.seconds, tag, AVAILABLE[args.effect],
                                    args.per_commit))
    finished = time.monotonic()
    deadline = time.monotonic() + WAIT_SECONDS
    done: dict[str, float] = {}
    while len(done) < len(watched) and time.monotonic() < deadline:
        for name in watched:
            if name not in done and scrape(ports[f"fn-{name}"], name)[1] - before[name][1] \
                    >= total:
                done[name] = time.monotonic()
        time.sleep(0.25)  # polling the functions' counters, bounded by the deadline
    print(f"{total} events committed in {took:.1f} s "
          f"({total / took:.0f}/s; asked {args.rate:.0f}/s)")
    print("| function | handled | all handled after (s) | p50 ms | p90 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    for name in watched:
        buckets, handled = scrape(ports[f"fn-{name}"], name)
        after = f"{done[name] - finished:.1f}" if name in done else f"> {WAIT_SECONDS:.0f}"
        print(f"| {name} | {handled - before[name][1]:.0f}/{total} | {after} | "
              + " | ".join(f"{quantile(q, before[name][0], buckets) * 1000:.0f}"
                           for q in (0.5, 0.9, 0.99)) + " |")


if __name__ == "__main__":
    main()
