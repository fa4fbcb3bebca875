"""Time `orchid seed` on the embedded SQLite files and on a real MariaDB primary + replica.

    .venv/bin/python -m bench.seed --products 100000 --customers 100000

Starts its own MariaDB pair (tests/support/servers.py) in a temporary folder on free loopback
ports and stops it afterwards. Prints one line per backend; copy them into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.servers import MariaDBPair


def run(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "orchid", *args], env={**os.environ, **env},
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def seed(env: dict[str, str], products: int, customers: int) -> tuple[float, float]:
    migrate = run(env, "db", "upgrade")
    load = run(env, "seed", "--products", str(products), "--customers", str(customers))
    return migrate, load


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = {"ORCHID_DATA_DIR": f"{tmp}/data", "ORCHID_LOG_JSON": "false"}
        migrate, load = seed(base, args.products, args.customers)
        print(f"sqlite : migrate {migrate:5.1f} s, seed {args.products} products + "
              f"{args.customers} customers {load:6.1f} s")
        pair = MariaDBPair.start(Path(tmp) / "mariadb", ["orchid_main", "orchid_warehouse"])
        try:
            env = {**base, "ORCHID_MAIN_PRIMARY_URL": pair.primary.url("orchid_main"),
                   "ORCHID_WAREHOUSE_PRIMARY_URL": pair.primary.url("orchid_warehouse")}
            migrate, load = seed(env, args.products, args.customers)
            started = time.perf_counter()
            pair.wait_replicated(timeout=600)
            caught_up = time.perf_counter() - started
            print(f"mariadb: migrate {migrate:5.1f} s, seed {args.products} products + "
                  f"{args.customers} customers {load:6.1f} s, replica caught up "
                  f"{caught_up:.1f} s later")
        finally:
            pair.stop()


if __name__ == "__main__":
    main()
