"""One bench session: discover the shop, ready the shopper pool, run the mode, build the report.

    report = run_bench(from_url(url, app_pid=pid), BenchOptions(rate=20, duration=20,
                                                               out=Path("out")))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from orchid.loadtest import report as reports
from orchid.loadtest.plan import REQUESTS_PER_TASK, TASK_WEIGHTS
from orchid.loadtest.runner import Ramp, Stepper, saturate
from orchid.loadtest.shoppers import ensure_pool
from orchid.loadtest.stats import StepResult
from orchid.loadtest.target import Target, restarts
from orchid.loadtest.world import BROWSER, discover


@dataclass
class BenchOptions:
    """How to run: one fixed rate, or a saturation ramp; and what the shoppers know."""

    out: Path
    saturate: bool = False
    rate: float = 20.0  # the fixed rate, or the ramp's first rate
    duration: float = 20.0  # fixed mode: seconds measured
    ramp: Ramp = field(default_factory=Ramp)
    step_duration: float = 10.0  # saturation: seconds measured per step
    warmup: float = 3.0
    users: int | None = None
    user_rate: float = 1.0
    products: int = 300
    shoppers: int = 20
    shoppers_file: Path | None = None
    seed: int = 1


def default_shoppers_file(target: Target) -> Path:
    """Where the shopper pool of a target is kept between runs."""
    if target.state_dir is not None:
        return target.state_dir / "bench-shoppers.json"
    parts = urlsplit(target.base_url)
    return Path(".orchid/bench") / f"shoppers-{parts.hostname}-{parts.port or 80}.json"


def _method(options: BenchOptions, world_products: int, pool_note: str) -> str:
    mix = ", ".join(f"{name} {weight}" for name, weight in TASK_WEIGHTS.items())
    return (f"Locust {version('locust')} FastHttpUser in one generator process on the same "
            f"machine, each user starting a task at a constant rate from a random phase "
            f"(≈{options.user_rate:g} task/s each unless --users is given); mix {mix} "
            f"(a checkout task adds an item first: "
            f"{REQUESTS_PER_TASK['checkout']} requests), shoppers are guests who sign in with "
            f"a pooled account to check out (cash on delivery, the sandbox card above ₹4,500; "
            f"{pool_note}); {world_products} in-stock "
            f"products discovered through the API (their pages warm in cache before the "
            f"window). Each step: {options.warmup:g} s warm-up, then the window; percentiles "
            f"are nearest-rank over every answer in the window; CPU from /proc/<pid>/stat "
            f"(utime+stime+cutime+cstime of each process tree) at both ends of the window, "
            f"divided by the requests answered in it.")


def run_bench(target: Target, options: BenchOptions,
              say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the bench; write report.json and report.md into `options.out`; return the report."""
    started_at, began = datetime.now(UTC), time.monotonic()
    options.out.mkdir(parents=True, exist_ok=True)
    shoppers_file = options.shoppers_file or default_shoppers_file(target)
    with httpx.Client(base_url=target.base_url, headers=BROWSER, timeout=30) as client:
        world = discover(client, products=options.products, seed=options.seed)
        say(f"discovered {len(world.products)} in-stock products, "
            f"{len(world.cart_skus)} SKUs for carts")
        world.shoppers, pool_note = ensure_pool(client, shoppers_file, size=options.shoppers)
        say(pool_note)
    world_file = options.out / "world.json"
    world.save(world_file)
    stepper = Stepper(target, world_file, options.out, warmup=options.warmup,
                      users=options.users, user_rate=options.user_rate, seed=options.seed)
    saturation: dict[str, Any] | None = None
    try:
        if options.saturate:
            def step(rate: float) -> StepResult:
                say(f"step {stepper.count + 1}: {rate:g} requests/s offered")
                return stepper(rate=rate, duration=options.step_duration)

            found = saturate(step, options.ramp,
                             step_seconds=options.step_duration + options.warmup)
            results = [result for _, result in found.steps]
            rates = [rate for rate, _ in found.steps]
            saturation = {"best_rps": found.best, "p99_ms": options.ramp.p99_ms,
                          "tolerance": options.ramp.tolerance, "stopped": found.stopped,
                          "best_index": rates.index(found.best) if found.best else None,
                          "verdicts": [r.verdict(p99_ms=options.ramp.p99_ms,
                                                 tolerance=options.ramp.tolerance)
                                       for r in results],
                          "ramp": vars(options.ramp)}
        else:
            say(f"{options.rate:g} requests/s offered for {options.duration:g} s")
            results = [stepper(rate=options.rate, duration=options.duration)]
    finally:
        world_file.unlink(missing_ok=True)  # it holds session tokens; the pool file keeps them
    after = restarts(stepper.target, stepper.target.refreshed())  # since the last step began
    report: dict[str, Any] = {
        "version": 1, "mode": "saturate" if options.saturate else "fixed",
        "started_at": started_at.isoformat(), "finished_at": datetime.now(UTC).isoformat(),
        "wall_seconds": time.monotonic() - began,
        "target": {"source": target.source, "base_url": target.base_url,
                   "topology": target.topology, "workers": target.workers,
                   "components": [vars(c) for c in target.components],
                   "restarts": [r for result in results for r in result.restarts] + after},
        "machine": reports.machine(), "git": reports.git_commit(),
        "method": {"summary": _method(options, len(world.products), pool_note),
                   "closed_loop": reports.CLOSED_LOOP, "weights": TASK_WEIGHTS,
                   "warmup_seconds": options.warmup, "seed": options.seed,
                   "products": len(world.products), "shoppers": len(world.shoppers)},
        "steps": [reports.step_dict(r) for r in results],
        "saturation": saturation,
        "notes": [*target.notes, *(f"restart: {r}" for r in after)],
    }
    reports.write(report, options.out)
    return report
