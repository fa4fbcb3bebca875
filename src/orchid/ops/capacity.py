"""How many cores and how much memory each tier needs for a number of daily active users.

    plan = capacity_plan(Traffic(dau=600_000), Measured.from_report(path), Sizing())

The load is a traffic model (requests per active user per day, the busiest hour's share of
them, a sale's burst within that hour); the cost of a request in each tier is what `orchid
bench` measured on the stack (CPU per request per process, from its JSON report). Busy cores
are peak requests/s × CPU per request; provisioned cores leave headroom (`utilisation`) and
never fewer than two per tier, so one zone can fail. Memory is sized from the data (customers,
products, a year of orders) and the traffic (sessions, carts), with the factors printed: it
is an estimate to check against the first weeks of production, not a measurement.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KB, GB = 1024, 1024**3

# The tiers, and which processes of a bench report each one adds up.
TIERS = ("edge", "app", "elasticsearch", "redis", "main primary", "main replicas",
         "warehouse primary", "warehouse replicas")


@dataclass(frozen=True)
class Traffic:
    """A day of shoppers and its busiest moment."""

    dau: int
    requests_per_user: float = 30.0  # app requests per active user per day (the mix's calls)
    peak_hour_share: float = 0.10  # of a day's requests, in its busiest hour
    burst: float = 1.0  # the busiest minute over that hour's average (a sale's opening)

    def peak_rps(self) -> float:
        """Requests per second at the busiest minute."""
        return self.dau * self.requests_per_user * self.peak_hour_share / 3600 * self.burst


ORDINARY_BURST, SALE_BURST = 1.5, 3.0
REPLICA_CORES = 8  # vCPU of one replica server
SALE_PEAK_HOUR_SHARE = 0.15


@dataclass(frozen=True)
class Measured:
    """CPU microseconds per request of each tier, from one step of a stack bench."""

    us_per_request: dict[str, float]
    source: str

    @classmethod
    def from_report(cls, path: Path, step: int | None = None) -> Measured:
        """The per-tier CPU of `step` (default: the held step with the most throughput)."""
        report = json.loads(path.read_text())
        steps = report["steps"]
        if step is None:
            clean = [s for s in steps if not s["errors"]] or steps
            chosen = max(clean, key=lambda s: s["throughput"])
        else:
            chosen = steps[step]
        per_process: dict[str, float] = chosen["cpu"]["us_per_request"]
        kinds: dict[str, str] = chosen["cpu"]["kinds"]
        tiers = dict.fromkeys(TIERS, 0.0)
        for process, us in per_process.items():
            tier = _tier_of(process, kinds.get(process, ""))
            if tier is not None:
                tiers[tier] += us
        source = (f"{path.name}, {chosen['offered_rps']:g}/s offered "
                  f"({chosen['throughput']:.1f}/s achieved), commit "
                  f"{(report.get('git') or {}).get('short') or '?'}")
        return cls(tiers, source)


def _tier_of(process: str, kind: str) -> str | None:
    if kind == "mariadb":
        database, _, role = process.partition("-")
        return f"{database} {'primary' if role == 'primary' else 'replicas'}"
    return {"app": "app", "edge": "edge", "elasticsearch": "elasticsearch",
            "redis": "redis"}.get(kind)


@dataclass(frozen=True)
class Sizing:
    """The data the shop holds and the memory factors applied to it."""

    customers: int = 7_000_000
    products: int = 100_000
    orders_per_user_day: float = 0.03  # orders per active user per day (conversion)
    utilisation: float = 0.6  # of a provisioned core, at the busiest minute
    app_worker_mb: int = 300  # one worker process per provisioned core
    customer_bytes: int = 3 * KB  # customer, addresses, consents, sessions, with indexes
    order_bytes: int = 6 * KB  # order, lines, payment, outbox, with indexes
    product_bytes: int = 24 * KB  # product, variants, stock rows, with indexes
    hot_fraction: float = 0.3  # of the database kept in the buffer pool
    session_bytes: int = 2 * KB
    cart_bytes: int = 4 * KB
    cached_bytes_per_product: int = 12 * KB  # its page, listing and search entries, fragments
    index_bytes_per_product: int = 10 * KB  # Elasticsearch, one copy
    es_copies: int = 2  # a primary and a replica shard


@dataclass(frozen=True)
class TierPlan:
    tier: str
    us_per_request: float
    busy_cores: float
    cores: int
    memory_gb: float


def capacity_plan(traffic: Traffic, measured: Measured, sizing: Sizing) -> list[TierPlan]:
    """Cores (busy and provisioned) and memory per tier at `traffic`'s busiest minute."""
    rps = traffic.peak_rps()
    memory = _memory(traffic, sizing)
    plans = []
    for tier in TIERS:
        us = measured.us_per_request.get(tier, 0.0)
        busy = rps * us / 1e6
        cores = max(2, math.ceil(busy / sizing.utilisation))
        gb = memory[tier](cores) if callable(memory[tier]) else memory[tier]
        plans.append(TierPlan(tier, us, busy, cores, round(gb, 1)))
    return plans


def _memory(traffic: Traffic, sizing: Sizing) -> dict[str, Any]:
    orders = traffic.dau * sizing.orders_per_user_day * 365
    main_data = (sizing.customers * sizing.customer_bytes + orders * sizing.order_bytes
                 + sizing.products * sizing.product_bytes)
    warehouse_data = sizing.products * sizing.product_bytes + orders * sizing.order_bytes / 3

    def pool(data: float) -> float:  # one server: its buffer pool and 2 GB for the rest
        return 2 + data * sizing.hot_fraction / GB

    def replicas(data: float) -> Any:  # every replica holds it all: per 8-core replica, ≥ 2
        return lambda cores: pool(data) * max(2, math.ceil(cores / REPLICA_CORES))
    # Sessions last 30 days (≈ 3 × the daily users hold one); carts live for the day's users.
    redis = (3 * traffic.dau * sizing.session_bytes + traffic.dau * sizing.cart_bytes
             + sizing.products * sizing.cached_bytes_per_product) * 2 / GB  # 2: fragmentation
    index = sizing.products * sizing.index_bytes_per_product * sizing.es_copies / GB
    return {
        "edge": lambda cores: 0.25 * cores + 0.5,
        "app": lambda cores: cores * sizing.app_worker_mb / 1024,
        "elasticsearch": max(2.0, 4 * index),  # half heap, half page cache for the index
        "redis": max(1.0, redis),
        "main primary": pool(main_data), "main replicas": replicas(main_data),
        "warehouse primary": pool(warehouse_data), "warehouse replicas": replicas(warehouse_data),
    }


def render(traffic: Traffic, sale: Traffic, measured: Measured, sizing: Sizing) -> str:
    """The plan for an ordinary day's peak and a sale's, with every assumption, as text."""
    ordinary, burst = capacity_plan(traffic, measured, sizing), capacity_plan(sale, measured,
                                                                              sizing)
    lines = [
        f"Capacity for {traffic.dau:,} daily active users "
        f"(CPU per request measured: {measured.source})",
        "",
        "Assumptions:",
        f"  {traffic.requests_per_user:g} app requests per active user per day (the mix's "
        "calls: product pages, search, listing, cart, checkout)",
        f"  ordinary day: {traffic.peak_hour_share:.0%} of the day's requests in the busiest "
        f"hour, busiest minute ×{traffic.burst:g} → {traffic.peak_rps():,.0f} requests/s",
        f"  sale day: {sale.peak_hour_share:.0%} in the busiest hour, busiest minute "
        f"×{sale.burst:g} → {sale.peak_rps():,.0f} requests/s",
        f"  cores provisioned for {sizing.utilisation:.0%} busy at that minute, at least 2 "
        "per tier (one zone may fail)",
        f"  data: {sizing.customers:,} customers, {sizing.products:,} products, "
        f"{sizing.orders_per_user_day:.0%} of daily users order; "
        f"{sizing.hot_fraction:.0%} of each database in memory, every replica a whole copy "
        f"({REPLICA_CORES} vCPU each, at least 2)",
        "",
        f"{'tier':<20}{'CPU µs/req':>11}{'busy':>8}{'cores':>7}{'sale busy':>11}"
        f"{'sale cores':>12}{'memory GB':>11}",
    ]
    for day, sale_day in zip(ordinary, burst, strict=True):
        lines.append(f"{day.tier:<20}{day.us_per_request:>11,.0f}{day.busy_cores:>8.1f}"
                     f"{day.cores:>7}{sale_day.busy_cores:>11.1f}{sale_day.cores:>12}"
                     f"{max(day.memory_gb, sale_day.memory_gb):>11.1f}")
    total = (sum(p.cores for p in ordinary), sum(p.cores for p in burst))
    memory = sum(max(a.memory_gb, b.memory_gb) for a, b in zip(ordinary, burst, strict=True))
    lines.append(f"{'total':<20}{'':>11}{'':>8}{total[0]:>7}{'':>11}{total[1]:>12}"
                 f"{memory:>11.1f}")
    return "\n".join(lines)
