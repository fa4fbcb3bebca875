"""The shopping mix (`orchid bench`) against an embedded `orchid serve` or the running stack.

    .venv/bin/python -m bench.shop --target embedded --products 2000 --rate 20 --duration 20
    .venv/bin/python -m bench.shop --target stack --saturate          # after `orchid up`

`embedded` migrates and seeds a temporary data dir (`--products`, `--customers`), starts one
`orchid serve` on a free loopback port, benches it (its CPU by pid) and stops it. `stack` reads
the stack's state.json for the edge's URL and every process's pid. The load is bounded: one
window of `--duration` s, or a saturation ramp of at most `--max-load-seconds` of load. Writes
bench/results/shop-<label or target>-<mode>.json and .md and prints the markdown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from orchid.config import Settings
from orchid.loadtest.runner import Ramp
from orchid.loadtest.session import BenchOptions, run_bench
from orchid.loadtest.target import DEFAULT_STATE_DIR, Target, from_state, from_url
from orchid.migrate import upgrade
from tests.support.processes import OrchidProcess
from tests.support.stack import TEST_SECRET

RESULTS = Path(__file__).parent / "results"


def embedded(folder: Path, products: int, customers: int, **extra: str) -> OrchidProcess:
    """A migrated, seeded `orchid serve` in `folder`, ready (`extra`: more ORCHID_* settings)."""
    data = folder / "data"
    data.mkdir()
    env = {"ORCHID_DATA_DIR": str(data), "ORCHID_SECRET_KEY": TEST_SECRET,
           "ORCHID_LOG_JSON": "false", **extra}
    settings = Settings(data_dir=data)
    upgrade(settings.main_url(), "main", settings.migrations_dir)
    upgrade(settings.warehouse_url(), "warehouse", settings.migrations_dir)
    subprocess.run([sys.executable, "-m", "orchid", "seed", "--products", str(products),
                    "--customers", str(customers)], env={**os.environ, **env}, check=True,
                   capture_output=True)
    return OrchidProcess(env, folder / "orchid.log").wait_ready(timeout=60)


def options(args: argparse.Namespace, out: Path) -> BenchOptions:
    """The bench's options from the command line."""
    return BenchOptions(
        out=out, saturate=args.saturate, rate=args.rate, duration=args.duration,
        step_duration=args.step_duration, warmup=args.warmup, users=args.users,
        ramp=Ramp(start=args.rate, max_steps=args.max_steps,
                  max_seconds=args.max_load_seconds, p99_ms=args.p99_ms),
        shoppers_file=out / "shoppers.json" if args.target == "embedded" else None)


def bench(args: argparse.Namespace, target: Target, out: Path, note: str) -> str:
    """Run, copy the two reports into bench/results, return the markdown."""
    report = run_bench(target, options(args, out))
    name = f"shop-{args.label or args.target}-{report['mode']}"
    RESULTS.mkdir(exist_ok=True)
    shutil.copy(out / "report.json", RESULTS / f"{name}.json")
    markdown = (out / "report.md").read_text().replace("\n\nMethod:", f"\n\n{note}\n\nMethod:", 1)
    (RESULTS / f"{name}.md").write_text(markdown)
    return markdown


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", choices=("embedded", "stack"), default="embedded")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument("--products", type=int, default=2000, help="embedded: seeded products")
    parser.add_argument("--customers", type=int, default=200, help="embedded: seeded customers")
    parser.add_argument("--rate", type=float, default=20.0, help="requests/s (first step)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured")
    parser.add_argument("--saturate", action="store_true")
    parser.add_argument("--step-duration", type=float, default=10.0)
    parser.add_argument("--max-steps", type=int, default=8)
    parser.add_argument("--max-load-seconds", type=float, default=120.0)
    parser.add_argument("--p99-ms", type=float, default=50.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--label", default="",
                        help="results file name part instead of the target (stack-per-service)")
    parser.add_argument("--note", default="", help="a line about the target for the report")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.target == "stack":
            note = (f"Target: the stack in {args.state_dir} (`orchid up`), through its edge. "
                    f"{args.note}")
            print(bench(args, from_state(args.state_dir), folder / "out", note))
            return
        app = embedded(folder, args.products, args.customers)
        note = (f"Target: one embedded `orchid serve` (SQLite, in-process cache and carts, "
                f"FTS5 search, one process), {args.products} seeded products, "
                f"{args.customers} customers.")
        try:
            print(bench(args, from_url(app.url, app_pid=app.proc.pid), folder / "out", note))
        finally:
            app.stop()


if __name__ == "__main__":
    main()
