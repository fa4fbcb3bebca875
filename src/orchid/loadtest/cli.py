"""`orchid bench`: the shopping mix against the stack or one process (register with
`app.command("bench")(bench)`; `python -m orchid.loadtest` runs it alone)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orchid.loadtest.report import table
from orchid.loadtest.runner import Ramp, StepFailed
from orchid.loadtest.session import BenchOptions, run_bench
from orchid.loadtest.shoppers import PoolUnavailable
from orchid.loadtest.target import (
    DEFAULT_STATE_DIR,
    TargetUnavailable,
    from_state,
    from_url,
)
from orchid.loadtest.world import DiscoveryFailed

console = Console()


def bench(
    state_dir: Annotated[Path, typer.Option(
        help="The stack's folder: its state.json gives the URL and every process's pid.")
    ] = DEFAULT_STATE_DIR,
    url: Annotated[str | None, typer.Option(
        help="Bench one `orchid serve` at this URL instead of the stack.")] = None,
    app_pid: Annotated[int | None, typer.Option(
        help="With --url: the pid of that process, whose CPU is measured.")] = None,
    rate: Annotated[float, typer.Option(
        help="Requests/s offered (with --saturate: the first step's rate).")] = 20.0,
    duration: Annotated[float, typer.Option(help="Seconds measured at the fixed rate.")] = 20.0,
    saturate: Annotated[bool, typer.Option(
        "--saturate", help="Step the rate up to the highest one that holds.")] = False,
    p99_ms: Annotated[float, typer.Option(
        help="--saturate: a rate holds while the overall p99 stays at most this.")] = 50.0,
    factor: Annotated[float, typer.Option(help="--saturate: rate × this each step.")] = 1.5,
    max_steps: Annotated[int, typer.Option(help="--saturate: at most this many steps.")] = 8,
    step_duration: Annotated[float, typer.Option(
        help="--saturate: seconds measured per step.")] = 10.0,
    max_load_seconds: Annotated[float, typer.Option(
        help="--saturate: at most this many seconds of load in all (warm-ups included).")
    ] = 120.0,
    users: Annotated[int | None, typer.Option(
        help="Simulated shoppers (default: one per task/s offered, see --user-rate).")] = None,
    user_rate: Annotated[float, typer.Option(
        help="Tasks/s per shopper when --users is not given.")] = 1.0,
    warmup: Annotated[float, typer.Option(help="Seconds of load before each window.")] = 3.0,
    products: Annotated[int, typer.Option(help="Products to discover and browse.")] = 300,
    shoppers: Annotated[int, typer.Option(
        help="Registered accounts leased for checkouts (kept in --shoppers-file).")] = 20,
    shoppers_file: Annotated[Path | None, typer.Option(
        help="The account pool file (default: beside state.json, or .orchid/bench/).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder for report.json, report.md and the step logs "
             "(default .orchid/bench/<time>).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the shoppers' choices.")] = 1,
) -> None:
    """Run the Online Boutique shopping mix (browse 10, cart 3, add 2, preferences 2, listing 1,
    checkout 1, search 3) at a fixed rate or up to saturation: throughput, p50/p95/p99 per
    request type, errors, and CPU µs per request of every process kind."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    options = BenchOptions(
        out=out or Path(".orchid/bench") / f"{stamp}-{'saturate' if saturate else 'fixed'}",
        saturate=saturate, rate=rate, duration=duration, step_duration=step_duration,
        ramp=Ramp(start=rate, factor=factor, max_steps=max_steps, max_seconds=max_load_seconds,
                  p99_ms=p99_ms),
        warmup=warmup, users=users, user_rate=user_rate, products=products, shoppers=shoppers,
        shoppers_file=shoppers_file, seed=seed)
    try:
        target = from_url(url, app_pid=app_pid) if url else from_state(state_dir)
        report = run_bench(target, options, say=console.print)
    except (TargetUnavailable, DiscoveryFailed, PoolUnavailable, StepFailed) as error:
        console.print(f"[red]bench failed:[/red] {error}")
        raise typer.Exit(1) from error
    console.print(table(report))
    if report["saturation"]:
        best = report["saturation"]["best_rps"]
        console.print(f"highest rate held: {best:g}/s" if best else "no rate held")
    console.print(f"reports in {options.out}/report.json and report.md")
