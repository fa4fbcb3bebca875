"""Time a full backup, an incremental and a point-in-time restore of a seeded shop.

    .venv/bin/python -m bench.backup --products 100000 --customers 1000000

Starts its own MariaDB primary + replica (tests/support/servers.py) in a temporary folder on
free loopback ports, seeds it with `orchid seed`, archives its binlog, then times
`take_base` (full, on the replica), a burst of writes, an incremental, `restore_to` a second
in the middle of the burst and one after the incremental, and swaps the last restore in
(`swap_in`). Prints one line per step; copy them into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchid.ops.backup import take_base
from orchid.ops.binlogs import archiver_argv, caught_up
from orchid.ops.restore import restore_to, stop_restored
from orchid.ops.swap import DRAIN, swap_in
from orchid.ops.targets import Admin, Targets, client_options
from tests.support.ops import cluster_of
from tests.support.servers import MariaDBPair

SCHEMA = "orchid_main"


def orchid(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "orchid", *args], env={**os.environ, **env},
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--burst-seconds", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pair = MariaDBPair.start(root / "mariadb", [SCHEMA, "orchid_warehouse"])
        try:
            main = cluster_of(pair, "main", ["primary", "replica-1"])
            members = main.members
            targets = Targets({"main": main},
                              backup_dir=root / "backups")
            env = {"ORCHID_DATA_DIR": f"{tmp}/data", "ORCHID_LOG_JSON": "false",
                   "ORCHID_MAIN_PRIMARY_URL": pair.primary.url(SCHEMA),
                   "ORCHID_WAREHOUSE_PRIMARY_URL": pair.primary.url("orchid_warehouse")}
            began = time.perf_counter()
            orchid(env, "db", "upgrade")
            orchid(env, "seed", "--products", str(args.products),
                   "--customers", str(args.customers))
            pair.wait_replicated(timeout=1200)
            print(f"seeded {args.products} products + {args.customers} customers in "
                  f"{time.perf_counter() - began:.0f} s")
            with client_options(members[0], Admin()) as options:
                argv, _ = archiver_argv(targets, "main", options)
                archiver = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL)
                try:
                    run(pair, targets, root, args.burst_seconds)
                finally:
                    archiver.terminate()
                    archiver.wait(30)
        finally:
            pair.stop()


def run(pair: MariaDBPair, targets: Targets, root: Path, burst: int) -> None:
    started = time.perf_counter()
    full = take_base(targets, "main")
    print(f"full backup (on {full.member}): {time.perf_counter() - started:.1f} s, "
          f"{full.bytes / 1e6:.0f} MB, {len(full.files)} files checksummed")
    # A burst of writes: one customer row per statement, for `burst` seconds.
    writes, stop_at = 0, time.monotonic() + burst
    middle = None
    while time.monotonic() < stop_at:
        pair.primary.sql(
            "INSERT INTO customers (public_id, email, name, role, is_active, created_at) SELECT "
            "CONCAT('bench', UUID_SHORT()), CONCAT('bench', UUID_SHORT(), '@example.in'), "
            "'Bench', 'customer', 1, UTC_TIMESTAMP()", SCHEMA)
        writes += 1
        if middle is None and time.monotonic() > stop_at - burst / 2:
            middle = datetime.now(UTC).replace(microsecond=0)
    assert middle is not None
    started = time.perf_counter()
    incremental = take_base(targets, "main", incremental=True)
    print(f"incremental backup: {time.perf_counter() - started:.1f} s, "
          f"{incremental.bytes / 1e6:.1f} MB after {writes} single-row writes")
    deadline = time.monotonic() + 60
    while not caught_up(targets, "main") and time.monotonic() < deadline:
        time.sleep(0.1)
    # Restore to a second after the incremental (chain + binlogs) and one before it (full +
    # binlogs over the whole burst).
    for n, (label, point) in enumerate((("full + binlogs", middle),
                         ("full + incremental + binlogs",
                          datetime.fromisoformat(incremental.finished_at).replace(microsecond=0)
                          + timedelta(seconds=1)))):
        while datetime.now(UTC) <= point:
            time.sleep(0.05)
        started = time.perf_counter()
        restored = restore_to(targets, "main", to=point, into=root / f"restored-{n}")
        print(f"restore to a second ({label}, base {restored.base}): "
              f"{time.perf_counter() - started:.1f} s")
        if n == 0:
            stop_restored(restored.folder)
            continue
        try:  # swap the last one in: copied to the primary, checked, fenced, renamed
            started = time.perf_counter()
            report = swap_in(targets, restored)
            print(f"swap in ({report.tables} tables, {report.rows} rows): "
                  f"{time.perf_counter() - started:.1f} s, staged and checked in "
                  f"{report.staged_seconds:.1f} s, writes fenced {report.fenced_seconds:.2f} s "
                  f"(drain {DRAIN:.0f} s + RENAME {report.cut_over_seconds:.3f} s)")
        finally:
            stop_restored(restored.folder)


if __name__ == "__main__":
    main()
