"""App CPU per request, endpoint by endpoint, beside the floor measured in the same run.

    .venv/bin/python -m bench.endpoints --products 200 --seconds 5

Starts the floor (bench/floor.py: a bare Starlette JSON endpoint on uvicorn, served as `orchid
serve` serves) and one embedded `orchid serve` (SQLite, in-process cache, FTS5, a migrated and
seeded temporary data dir), each on a socket this process binds on 127.0.0.1. For every
endpoint Debian's `wrk` (1 thread, `--connections`, `--seconds` after a 1 s warm-up) keeps the
server busy while its CPU is read from /proc/<pid>/schedstat (every thread, not tick-rounded);
CPU per request = CPU spent / requests answered. A request answered other than 2xx fails the
run. Writes bench/results/endpoints.md and prints it.
"""

from __future__ import annotations

import argparse
import datetime
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.edge import commit, cpu_ns, parse, publish, wrk
from bench.shop import embedded
from orchid.loadtest.report import machine

RESULTS = Path(__file__).parent / "results" / "endpoints.md"
JSON, HTML = "application/json", "text/html"


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    accept: str = JSON


@dataclass(frozen=True)
class Row:
    endpoint: Endpoint
    cpu_us: float
    rps: float
    p50: str
    p99: str


def endpoints(slug: str) -> list[Endpoint]:
    """The requests of the shopping mix that browse, as the issue's table names them."""
    return [
        Endpoint("`GET /healthz`", "/healthz"),
        Endpoint("`GET /api/v1/catalog/products/{slug}`", f"/api/v1/catalog/products/{slug}"),
        Endpoint("`GET /api/v1/catalog/products?limit=20`", "/api/v1/catalog/products?limit=20"),
        Endpoint("`GET /api/v1/search?q=lipstick`", "/api/v1/search?q=lipstick"),
        Endpoint("`GET /api/v1/search/suggest?q=lip`", "/api/v1/search/suggest?q=lip"),
        Endpoint("storefront `/`", "/", HTML),
        Endpoint("storefront `/p/{slug}`", f"/p/{slug}", HTML),
    ]


class Floor:
    """bench/floor.py on a socket bound here."""

    def __init__(self, log: Path) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(128)
            self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bench.floor", "--fd", str(listener.fileno())],
                stdout=log.open("ab"), stderr=subprocess.STDOUT, pass_fds=[listener.fileno()])
        httpx.get(f"{self.url}/healthz", timeout=20).raise_for_status()  # backlog holds it

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def measure(url: str, pid: int, endpoint: Endpoint, args: argparse.Namespace) -> Row:
    """One endpoint under wrk: the server's CPU per request."""
    headers = (f"Accept: {endpoint.accept}",)
    answered = httpx.get(f"{url}{endpoint.path}", headers={"Accept": endpoint.accept})
    answered.raise_for_status()
    wrk(f"{url}{endpoint.path}", None, 1, args.connections, headers=headers)  # warm-up
    before = cpu_ns([pid])
    report = wrk(f"{url}{endpoint.path}", None, args.seconds, args.connections, headers=headers)
    spent = cpu_ns([pid]) - before
    if "Non-2xx" in report:
        raise SystemExit(f"{endpoint.path} answered other than 2xx under load:\n{report}")
    rps, p50, p99, count, errors = parse(report)
    if errors or not count:
        raise SystemExit(f"{endpoint.path}: {errors} socket errors, {count} requests:\n{report}")
    return Row(endpoint, spent / 1000 / count, rps, p50, p99)


def first_slug(url: str) -> str:
    listed = httpx.get(f"{url}/api/v1/catalog/products?limit=1").raise_for_status().json()
    return str(listed["items"][0]["slug"])


def report(rows: list[Row], args: argparse.Namespace) -> str:
    box = machine()
    table = "\n".join(f"| {r.endpoint.name} | {r.cpu_us:,.0f} | {r.rps:,.0f} | {r.p50} | "
                      f"{r.p99} |" for r in rows)
    return f"""## App CPU per request, by endpoint (`python -m bench.endpoints`)

Date {datetime.date.today().isoformat()}, commit {commit()}.
Machine: {box['cores']} vCPU ({box['model']}), Python {box['python']}, load average before
{' '.join(f'{x:.2f}' for x in box['load_average'])}.

Method: `.venv/bin/python -m bench.endpoints --products {args.products} --seconds \
{args.seconds} --connections {args.connections}`. The floor (bench/floor.py, a bare Starlette
JSON endpoint on uvicorn) and one embedded `orchid serve` ({args.products} seeded products,
SQLite, in-process cache, FTS5), both served by uvicorn with its defaults (uvloop, httptools,
no access log). Debian `wrk`, 1 thread, {args.connections} connections, {args.seconds} s per
row after a 1 s warm-up, on 127.0.0.1; CPU from /proc/<pid>/schedstat of the server (all its
threads) divided by the requests answered. wrk shares the two cores, so req/s and latencies
are for scale; the CPU column is the figure.

| request | app CPU µs per request | req/s | p50 | p99 |
|---|---|---|---|---|
{table}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if args.seconds * 8 > 120:
        parser.error("keep the whole load under two minutes: seconds × 8 rows")
    rows = []
    with tempfile.TemporaryDirectory(prefix="orchid-bench-endpoints-") as tmp:
        folder = Path(tmp)
        floor = Floor(folder / "floor.log")
        try:
            rows.append(measure(floor.url, floor.proc.pid,
                                Endpoint("the floor: bare Starlette + uvicorn JSON", "/healthz"),
                                args))
        finally:
            floor.stop()
        app = embedded(folder, args.products, 10)
        try:
            slug = first_slug(app.url)
            rows += [measure(app.url, app.proc.pid, e, args) for e in endpoints(slug)]
        finally:
            app.stop()
    publish(RESULTS, report(rows, args))


if __name__ == "__main__":
    main()
