"""What the cache takes off the databases: reads per browse request with the cache on and off.

    .venv/bin/python -m bench.offload --state-dir /tmp/stack-s --requests 100

Needs a ready `orchid up` stack. Starts two more app processes beside it, as the stack starts
its own (same command and environment: its MariaDB primaries and replicas, its Redis and
Elasticsearch) on free loopback ports: one as they are, one with ORCHID_CACHE_ENABLED=false
(the services' caches keep nothing; sessions, carts and rate limits still live in Redis).
Neither sits behind the edge, so its microcache hides nothing. For each kind of browse request
(product JSON, a listing page, a search, the cart) and each app: one pass of `--requests`
requests over a small working set warms what can be warmed, then a second pass is measured.
Reads are MariaDB's `Com_select` and `Questions`, summed over every member of both databases
(primaries and replicas: reads go to replicas) before and after the pass, less what the stack
does on its own (the probe, the replica watchers, the sweepers) at the rate measured in a quiet
window just before. Writes bench/results/offload.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.edge import commit, machine, publish
from orchid.loadtest.world import search_queries
from orchid.ops import mysql
from orchid.ops.targets import Targets, from_stack
from orchid.stack.plan import Layout, StackOptions, app_components
from orchid.stack.servers import free_port
from orchid.stack.state import read_state

RESULTS = Path(__file__).parent / "results" / "offload.md"
COUNTERS = ("Com_select", "Questions")
QUIET_SECONDS = 5.0
WORKING_SET = 20  # distinct products, pages and queries per kind


@dataclass(frozen=True)
class Reads:
    """Per-request reads of one kind on one app."""

    kind: str
    select: float
    questions: float


class Counters:
    """MariaDB's statement counters over every member of the stack's databases."""

    def __init__(self, targets: Targets) -> None:
        self.targets, self.kept = targets, mysql.Connections()

    def read(self) -> dict[str, float]:
        total = dict.fromkeys(COUNTERS, 0.0)
        names = ", ".join(f"'{name}'" for name in COUNTERS)
        for cluster in self.targets.clusters.values():
            for member in cluster.members:
                for row in mysql.run(member, cluster.admin,
                                     f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})",
                                     timeout=5, via=self.kept):
                    total[str(row["Variable_name"])] += float(row["Value"] or 0)
        return total

    def close(self) -> None:
        self.kept.close()


@contextmanager
def extra_app(state_dir: Path, cache: bool, logs: Path) -> Iterator[str]:
    """An app process started as the stack starts its own, on a free port; its base URL."""
    state = read_state(state_dir / "state.json") or {}
    options = StackOptions.from_json(json.dumps(state.get("options", {})))
    template = app_components(Layout(state_dir), options)[0]
    port = free_port()
    argv = [*template.argv[:template.argv.index("--port") + 1], str(port)]
    env = {**os.environ, **(template.env or {}),
           "ORCHID_CACHE_ENABLED": "true" if cache else "false"}
    with (logs / f"app-cache-{'on' if cache else 'off'}.log").open("wb") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the extra app did not start: see {log.name}")
            time.sleep(0.5)  # polling a starting process; not a clock
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def requests_of(client: httpx.Client, seed: int) -> dict[str, list[Callable[[], httpx.Response]]]:
    """A small working set of each kind of browse request."""
    products = client.get("/api/v1/catalog/products", params={"limit": WORKING_SET,
                                                               "in_stock": "true"})
    items = products.raise_for_status().json()["items"]
    categories = [c["slug"] for c in client.get("/api/v1/catalog/categories")
                  .raise_for_status().json()][:WORKING_SET]
    queries = search_queries(seed)[:WORKING_SET]
    sku = items[0]["variants"][0]["sku"] if items[0].get("variants") else None
    if sku is None:
        sku = client.get(f"/api/v1/catalog/products/{items[0]['slug']}").json()["variants"][0][
            "sku"]
    client.post("/api/v1/cart/items", json={"sku": sku, "quantity": 1}).raise_for_status()
    def get(path: str, **params: str | int) -> Callable[[], httpx.Response]:
        return lambda: client.get(path, params=params)

    return {
        "product": [get(f"/api/v1/catalog/products/{item['slug']}") for item in items],
        "listing": [get("/api/v1/catalog/products", category=slug, limit=24)
                    for slug in categories],
        "search": [get("/api/v1/search", q=q) for q in queries],
        "cart": [get("/api/v1/cart")],
    }


def quiet_rate(counters: Counters) -> tuple[dict[str, float], float]:
    """The stack's own reads per second with no request sent."""
    before, started = counters.read(), time.monotonic()
    time.sleep(QUIET_SECONDS)  # the quiet window itself
    after, spent = counters.read(), time.monotonic() - started
    return {name: (after[name] - before[name]) / spent for name in COUNTERS}, spent


def measure(url: str, counters: Counters, count: int, seed: int) -> list[Reads]:
    found = []
    with httpx.Client(base_url=url, timeout=30) as client:
        kinds = requests_of(client, seed)
        for kind, calls in kinds.items():
            rate, _ = quiet_rate(counters)
            for i in range(count):  # warm what can be warmed
                calls[i % len(calls)]().raise_for_status()
            before, started = counters.read(), time.monotonic()
            for i in range(count):
                calls[i % len(calls)]().raise_for_status()
            after, spent = counters.read(), time.monotonic() - started
            per = {name: max(0.0, after[name] - before[name] - rate[name] * spent) / count
                   for name in COUNTERS}
            found.append(Reads(kind, per["Com_select"], per["Questions"]))
    return found


def report(on: list[Reads], off: list[Reads], args: argparse.Namespace) -> str:
    lines = [
        f"Date {datetime.date.today()}, commit {commit()}.",
        f"Machine: {machine()}.",
        "",
        f"Method: `.venv/bin/python -m bench.offload --state-dir {args.state_dir} --requests "
        f"{args.requests}` (bench/offload.py's docstring): per kind, {args.requests} requests "
        f"over {WORKING_SET} distinct ones after a warming pass, on an app with the cache and "
        "one without; MariaDB `Com_select` and `Questions` over all six members, less the "
        f"stack's own rate in a {QUIET_SECONDS:g} s quiet window before each pass.",
        "",
        "| request | SELECTs/request, cache off | cache on | fewer | statements/request, "
        "cache off | cache on |",
        "|---|---|---|---|---|---|",
    ]
    total_on = total_off = 0.0
    for with_cache, without in zip(on, off, strict=True):
        total_on, total_off = total_on + with_cache.select, total_off + without.select
        lines.append(f"| {with_cache.kind} | {without.select:.2f} | {with_cache.select:.2f} | "
                     f"{_fewer(without.select, with_cache.select)} | {without.questions:.2f} | "
                     f"{with_cache.questions:.2f} |")
    lines.append(f"| **browse, one of each** | **{total_off:.2f}** | **{total_on:.2f}** | "
                 f"**{_fewer(total_off, total_on)}** | | |")
    return "\n".join(lines) + "\n"


def _fewer(off: float, on: float) -> str:
    # Below a tenth of a read per request both sides are the stack's own noise, not the app's.
    return f"{100 * (1 - on / off):.0f} %" if off >= 0.1 else "— (reads no database)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".orchid/stack"))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    counters = Counters(from_stack(args.state_dir))
    try:
        with tempfile.TemporaryDirectory(prefix="orchid-offload-") as folder:
            results = {}
            for cache in (False, True):
                with extra_app(args.state_dir, cache, Path(folder)) as url:
                    results[cache] = measure(url, counters, args.requests, args.seed)
    finally:
        counters.close()
    publish(RESULTS, report(results[True], results[False], args))


if __name__ == "__main__":
    main()
