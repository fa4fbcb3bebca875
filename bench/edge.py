"""Cost of the edge: throughput and CPU per request of nginx as a plain proxy and with ModSecurity.

    .venv/bin/python -m bench.edge --seconds 4 --connections 16

Starts a real upstream (`orchid serve`, embedded SQLite, a small seeded catalogue) and, one at a
time, two edges in front of it — the same rendered policy (geo map, bot maps, limits with
loopback exempt) with the WAF off, then on — each with one nginx worker. Debian's `wrk` drives
three requests for `--seconds` each: a dynamic GET, a dynamic POST with a JSON body, and a
static path (which bypasses ModSecurity). CPU comes from /proc/<pid>/schedstat of the nginx
master and worker (and of the app, for scale). Six runs, all on 127.0.0.1, bounded in time.
Writes bench/results/edge.md and prints it.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.shop import embedded
from orchid.edge.plan import EdgePlan
from orchid.loadtest.report import git_commit
from orchid.loadtest.report import machine as machine_facts
from orchid.stack.servers import ServerMissing, free_port
from orchid.stack.state import process_tree
from tests.edge.running import RunningEdge

RESULTS = Path(__file__).parent / "results" / "edge.md"
HEADERS = ("User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0",
           "Accept: application/json", "Accept-Language: en-IN,en;q=0.9",
           "Accept-Encoding: gzip")
POST_BODY = ('{"name": "Meera Iyer", "phone": "9812345678", "line1": "Flat #4, 2nd Cross; '
             'Koramangala", "city": "Bengaluru", "state": "Karnataka", "pincode": "560034"}')
REQUESTS = {  # name → (method, path, body)
    "GET /api/v1/catalog/products?limit=4": ("GET", "/api/v1/catalog/products?limit=4", None),
    "POST /api/v1/accounts/me/addresses (JSON, 401)": ("POST", "/api/v1/accounts/me/addresses",
                                                       POST_BODY),
    "GET /static/app.css (no WAF, app 404)": ("GET", "/static/app.css", None),
}


@dataclass
class Run:
    """One wrk run and the CPU the processes spent during it."""

    edge: str
    request: str
    rps: float
    p50: str
    p99: str
    requests: int
    errors: int
    edge_us: float
    app_us: float


def cpu_ns(pids: list[int]) -> int:
    """Total CPU time of `pids` in nanoseconds (scheduler accounting, not tick-rounded)."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError):
            pass
    return total


def wrk(url: str, script: Path | None, seconds: int, connections: int, *,
        headers: tuple[str, ...] = HEADERS) -> str:
    """Run wrk once (`script` sets a POST's method and body); return its report."""
    path = shutil.which("wrk")
    if path is None:
        raise ServerMissing("wrk not found: apt-get install wrk")
    argv = [path, "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency",
            *(part for header in headers for part in ("-H", header))]
    if script is not None:
        argv += ["-s", str(script)]
    done = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 30)
    return done.stdout


def parse(report: str) -> tuple[float, str, str, int, int]:
    """Requests/s, p50, p99, request count and socket errors from a wrk report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", report)[1])  # type: ignore[index]
    p50 = re.search(r"^\s+50%\s+(\S+)", report, re.M)[1]  # type: ignore[index]
    p99 = re.search(r"^\s+99%\s+(\S+)", report, re.M)[1]  # type: ignore[index]
    count = int(re.search(r"(\d+) requests in", report)[1])  # type: ignore[index]
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       report)
    return rps, p50, p99, count, sum(int(n) for n in errors.groups()) if errors else 0


def _script(path: Path, method: str, body: str) -> Path:
    """A wrk script that sends `body` as JSON with `method`."""
    path.write_text(f"wrk.method = {method!r}\nwrk.body = [[{body}]]\n"
                    "wrk.headers['Content-Type'] = 'application/json'\n")
    return path


def measure(args: argparse.Namespace, folder: Path) -> list[Run]:
    """Both edges, three requests each."""
    # Trusting the edge's address, as behind the stack's edge.
    app = embedded(folder, 200, 10, ORCHID_TRUSTED_PROXIES="127.0.0.1")
    runs = []
    scripts = {label: _script(folder / f"request-{i}.lua", method, body) if body else None
               for i, (label, (method, _, body)) in enumerate(REQUESTS.items())}
    try:
        for name, waf in (("nginx proxy (WAF off)", False), ("nginx + ModSecurity CRS", True)):
            plan = EdgePlan(prefix=folder / f"edge-{int(waf)}", http_port=free_port(),
                            upstreams={"app": [f"127.0.0.1:{app.port}"]}, routes={"/": "app"},
                            waf=waf, workers=1)
            edge = RunningEdge(plan)
            try:
                for label, (_, path, _) in REQUESTS.items():
                    url, script = f"{edge.url}{path}", scripts[label]
                    wrk(url, script, 1, 4)  # warm-up: connections, caches
                    edge_pids, app_pids = process_tree(edge.proc.pid), [app.proc.pid]
                    before = cpu_ns(edge_pids), cpu_ns(app_pids)
                    report = wrk(url, script, args.seconds, args.connections)
                    after = cpu_ns(edge_pids), cpu_ns(app_pids)
                    rps, p50, p99, count, errors = parse(report)
                    runs.append(Run(name, label, rps, p50, p99, count, errors,
                                    (after[0] - before[0]) / 1000 / max(count, 1),
                                    (after[1] - before[1]) / 1000 / max(count, 1)))
            finally:
                edge.stop()
    finally:
        app.stop()
    return runs


def machine() -> str:
    """CPU model and count, OS, nginx version."""
    box = machine_facts()
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    return (f"{box['cores']} vCPU ({box['model']}), {platform.platform()}, {nginx}, "
            f"libmodsecurity 3.0.9 + OWASP CRS 3.3.4 (Debian), Python {box['python']}")


def commit() -> str:
    """The short commit, marked when the tree has uncommitted changes."""
    git = git_commit()
    return f"{git['short']}{' + uncommitted changes' if git['dirty'] else ''}"


def report(runs: list[Run], args: argparse.Namespace) -> str:
    """The markdown section for BENCHMARKS.md."""
    rows = "\n".join(
        f"| {r.edge} | {r.request} | {r.rps:,.0f} | {r.p50} | {r.p99} | {r.edge_us:,.0f} | "
        f"{r.app_us:,.0f} | {r.errors} |" for r in runs)
    return f"""## Edge: nginx proxy vs ModSecurity + CRS

Date {datetime.date.today().isoformat()}, commit {commit()}.
Machine: {machine()}.

Method: `.venv/bin/python -m bench.edge --seconds {args.seconds} --connections \
{args.connections}`. One upstream `orchid serve` (embedded SQLite, 200 seeded products, one
process), then two edges rendered by `orchid.edge` with the same policy (India geo map, bot
maps, per-IP zones with loopback exempt), one nginx worker each: ModSecurity off, then on
(CRS 3.3.4, paranoia 1, blocking, inbound threshold 5, request bodies inspected, responses
not). Debian `wrk` (1 thread, {args.connections} connections, {args.seconds} s per row after a
1 s warm-up), all on 127.0.0.1; the app, nginx and wrk share the two cores, so the app bounds
throughput and the figure that isolates the edge is its CPU per request, read from
/proc/<pid>/schedstat of the nginx master and worker (the app's column is for scale). The
POST is a 190-byte JSON address that the app answers 401 (not signed in), the static path is
served by the app as 404 and bypasses ModSecurity.

| edge | request | req/s | p50 | p99 | edge CPU µs/req | app CPU µs/req | socket errors |
|---|---|---|---|---|---|---|---|
{rows}
"""


def main() -> None:
    """Measure, write bench/results/edge.md, print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if args.seconds * len(REQUESTS) * 2 > 30:
        parser.error("keep the whole load under 30 s: seconds × 6 runs")
    with tempfile.TemporaryDirectory(prefix="orchid-bench-edge-") as folder:
        runs = measure(args, Path(folder))
    publish(RESULTS, report(runs, args))


def publish(path: Path, text: str) -> None:
    """Write a bench's markdown into bench/results and print it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
