"""Fault drills on a running stack: inject a fault, time the alert's firing and the receiver's
delivery, undo the fault, time the all-clear. Every fault is undone on the way out, whatever
happens.

    fault     what the drill does                                  the alert it waits for
    primary-down   freezes the main primary (SIGSTOP: it hangs)    DatabasePrimaryDown
    replica-down   freezes main-replica-1                          DatabaseMemberDown
    redis-down     freezes Redis                                   RedisDown
    search-down    freezes Elasticsearch                           ElasticsearchRed
    slow-disk      caps every main member's disk at a few IOPS     a latency budget burn
                   (a blkio cgroup) under the shopping mix
    bad-deploy     restarts the app processes with a release whose ServerErrorSpike or an
                   Redis address is wrong, under the shopping mix  availability budget burn

A frozen process is alive to its supervisor, which is why freezing, not killing, makes a server
"down": a killed one is restarted within seconds, before any alert may fire (that recovery is
the supervisor's own, `orchid status` counts it).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from orchid.monitoring.sink import read_messages
from orchid.stack.components import http_ok
from orchid.stack.plan import Layout, alert_messages
from orchid.stack.servers import free_port

BLKIO = Path("/sys/fs/cgroup/blkio")
SLOW_DISK_IOPS = 20  # reads and writes a second, per member: a failing disk's pace


@dataclass(frozen=True)
class Fault:
    """One kind of drill."""

    kind: str
    alerts: str  # a regular expression over the alert names that count as detection
    traffic: bool  # needs shoppers: its alerts are about their requests


FAULTS = {f.kind: f for f in (
    Fault("primary-down", "DatabasePrimaryDown", False),
    Fault("replica-down", "DatabaseMemberDown", False),
    Fault("redis-down", "RedisDown", False),
    Fault("search-down", "ElasticsearchRed", False),
    Fault("slow-disk", ".*LatencyBudgetBurn", True),
    Fault("bad-deploy", "ServerErrorSpike|.*AvailabilityBudgetBurn", True),
)}


@dataclass
class DrillResult:
    """The timeline of one drill, seconds counted from the fault."""

    kind: str
    fault_at: str
    alert: str | None = None
    severity: str | None = None
    firing_after: float | None = None  # Prometheus shows the alert firing
    delivered_after: float | None = None  # the receiver (pager or chat sink) has it
    receiver: str | None = None
    restored_after: float | None = None  # the drill undid the fault
    cleared_after: float | None = None  # the alert is no longer firing
    error: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)


class Stack:
    """What a drill needs of a running `orchid up`: pids, ports, Prometheus, the sinks."""

    def __init__(self, root: Path) -> None:
        self.layout = Layout(root)
        self.state: dict[str, Any] = json.loads(self.layout.state_file.read_text())
        if self.state.get("phase") != "ready":
            raise RuntimeError(f"the stack in {root} is {self.state.get('phase')}, not ready")
        self.prometheus = f"http://127.0.0.1:{self.layout.port('prometheus')}"

    def wait_for_shoppers(self, *, timeout: float) -> None:
        """Return once Prometheus counts shoppers' cart requests: the mix runs (its set-up —
        discovery, sign-ups — is over) before the fault comes."""
        query = 'sum(rate(orchid_http_requests_total{route=~"/cart.*|/api/v1/cart.*"}[30s]))'
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": query},
                               timeout=5).json()["data"]["result"]
            if answer and float(answer[0]["value"][1]) > 0:
                return
            time.sleep(1)
        raise RuntimeError(f"no shoppers' requests within {timeout:.0f} s (drill-bench.log)")

    def reread(self) -> dict[str, Any]:
        """state.json as the supervisor last wrote it (pids change as it restarts processes)."""
        self.state = json.loads(self.layout.state_file.read_text())
        return self.state

    def component(self, name: str) -> dict[str, Any]:
        return next(c for c in self.state["components"] if c["name"] == name)

    def pid(self, name: str) -> int:
        pid = self.component(name).get("pid")
        if not pid:
            raise RuntimeError(f"{name} has no pid in state.json")
        return int(pid)

    def firing(self, pattern: str) -> list[dict[str, Any]]:
        """The firing alerts whose name matches `pattern` (fully)."""
        answer = httpx.get(f"{self.prometheus}/api/v1/alerts", timeout=5).json()
        return [a for a in answer["data"]["alerts"]
                if a["state"] == "firing" and re.fullmatch(pattern, a["labels"]["alertname"])]

    def delivered(self, alertname: str, since: datetime, *,
                  page: bool) -> dict[str, Any] | None:
        """The first message since `since` saying `alertname` fires: to the pager for a page,
        to the team's chat for a ticket."""
        for message in read_messages(alert_messages(self.layout), since=since):
            payload = message["payload"]
            if message["kind"] != ("pager" if page else "chat"):
                continue
            if message["kind"] == "pager" and any(
                    a["labels"].get("alertname") == alertname and a["status"] == "firing"
                    for a in payload.get("alerts", [])):
                return message
            if message["kind"] == "chat" and any(
                    str(a.get("title", "")).startswith("[FIRING")
                    and str(a.get("title", "")).endswith(f"] {alertname}")
                    for a in payload.get("attachments", [])):
                return message
        return None


@contextmanager
def frozen(pid: int) -> Iterator[None]:
    """The process hangs (SIGSTOP) until the block ends (SIGCONT)."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@contextmanager
def slow_disk(pids: list[int], iops: int = SLOW_DISK_IOPS) -> Iterator[None]:
    """The processes' reads and writes to their disk capped at `iops` (a blkio cgroup, v1)."""
    if not (BLKIO / "cgroup.procs").exists():
        raise RuntimeError(f"slow-disk needs the cgroup v1 blkio controller at {BLKIO}")
    group = BLKIO / f"orchid-drill-{os.getpid()}"
    group.mkdir()
    original = {pid: _blkio_group(pid) for pid in pids}
    try:
        for limit in ("read_iops_device", "write_iops_device"):
            (group / f"blkio.throttle.{limit}").write_text(f"{_disk_of(pids[0])} {iops}")
        for pid in pids:
            (group / "cgroup.procs").write_text(str(pid))
        yield
    finally:
        for pid, home in original.items():
            try:
                (BLKIO / home.lstrip("/") / "cgroup.procs").write_text(str(pid))
            except OSError:
                pass  # the process is gone
        group.rmdir()


def _blkio_group(pid: int) -> str:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "blkio" in controllers.split(","):
            return path
    return "/"


def _disk_of(pid: int) -> str:
    """MAJOR:MINOR of the whole disk holding the process's working folder."""
    dev = os.stat(f"/proc/{pid}/cwd").st_dev
    major, minor = os.major(dev), os.minor(dev)
    partition = Path(f"/sys/dev/block/{major}:{minor}")
    if (partition / "partition").exists():  # throttling applies to whole disks
        return (partition.resolve().parent / "dev").read_text().strip()
    return f"{major}:{minor}"


@contextmanager
def bad_release(stack: Stack) -> Iterator[None]:
    """Ship a release whose Redis address is wrong to every app process; roll it back after."""
    stack.layout.release_file.write_text(json.dumps(
        {"env": {"ORCHID_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}}))
    try:
        _restart(stack)
        yield
    finally:
        stack.layout.release_file.unlink(missing_ok=True)
        _restart(stack)


def _restart(stack: Stack, timeout: float = 120) -> None:
    """SIGTERM the app processes and wait until the supervisor has started each again (with
    the release, if there is one) and it answers."""
    old = {c["name"]: int(c["pid"]) for c in stack.reread()["components"] if c["kind"] == "app"}
    for pid in old.values():
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = {c["name"]: c for c in stack.reread()["components"] if c["kind"] == "app"}
        if all(now[name].get("pid") not in (None, pid)
               and http_ok(f"http://127.0.0.1:{now[name]['port']}/healthz")
               for name, pid in old.items()):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the app processes were not back within {timeout:.0f} s")


@contextmanager
def shoppers(root: Path, seconds: float, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The shopping mix (`orchid bench`) at a low rate against the stack while the block runs."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchid", "bench", "--state-dir", str(root), "--rate", "8",
             "--duration", str(int(seconds)), "--warmup", "0"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own group: the load generator it spawns stops with it
    try:
        yield proc
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=30)
                break
            except subprocess.TimeoutExpired:
                continue


def inject(stack: Stack, kind: str) -> Any:
    """The fault as a context manager: in force inside the block, undone on leaving it."""
    if kind == "primary-down":
        return frozen(stack.pid(stack.layout.primary_of("main")))
    if kind == "replica-down":
        return frozen(stack.pid("main-replica-1"))
    if kind == "redis-down":
        return frozen(stack.pid("redis"))
    if kind == "search-down":
        return frozen(stack.pid("elasticsearch"))
    if kind == "slow-disk":
        members = [c["name"] for c in stack.state["components"]
                   if c["kind"] == "mariadb" and c["name"].startswith("main-")]
        return slow_disk([stack.pid(name) for name in members])
    if kind == "bad-deploy":
        return bad_release(stack)
    raise ValueError(f"no drill {kind!r}: one of {', '.join(FAULTS)}")


def run_drill(root: Path, kind: str, *, timeout: float = 600, clear_timeout: float = 300,
              poll: float = 1.0, say: Callable[[str], None] = print) -> DrillResult:
    """Inject `kind`, wait for detection and delivery (at most `timeout` s), undo, wait for the
    all-clear (at most `clear_timeout` s: an SLO page clears only as its windows forget). The
    fault is undone even when the drill fails."""
    fault = FAULTS[kind]
    stack = Stack(root)
    if stack.firing(fault.alerts):
        raise RuntimeError(f"{fault.alerts} is already firing: the stack is not healthy")
    began, started = datetime.now(UTC), time.monotonic()
    result = DrillResult(kind, began.isoformat())

    def elapsed() -> float:
        return round(time.monotonic() - started, 1)

    traffic = (shoppers(root, timeout + 120, stack.layout.logs / "drill-bench.log")
               if fault.traffic else _nothing())
    with traffic as bench:
        if fault.traffic:
            stack.wait_for_shoppers(timeout=60)
            began, started = datetime.now(UTC), time.monotonic()
            result.fault_at = began.isoformat()
        try:
            with inject(stack, kind):
                say(f"{kind}: fault injected at {began:%H:%M:%S} UTC")
                while time.monotonic() - started < timeout:
                    if bench is not None and bench.poll() is not None:
                        result.error = "the shoppers stopped (see logs/drill-bench.log)"
                        break
                    if result.alert is None:
                        found = stack.firing(fault.alerts)
                        if found:
                            labels = found[0]["labels"]
                            result.alert, result.severity = labels["alertname"], labels["severity"]
                            result.firing_after = elapsed()
                            say(f"{kind}: {result.alert} firing after {result.firing_after} s")
                    if result.alert is not None:
                        message = stack.delivered(result.alert, began,
                                                  page=result.severity == "page")
                        if message is not None:
                            result.delivered_after = elapsed()
                            result.receiver = f"{message['kind']}/{message['channel']}"
                            say(f"{kind}: delivered to {result.receiver} after "
                                f"{result.delivered_after} s")
                            break
                    time.sleep(poll)
                else:
                    result.error = f"not detected and delivered within {timeout:.0f} s"
        finally:
            result.restored_after = elapsed()
    say(f"{kind}: fault undone after {result.restored_after} s")
    if result.alert is not None:
        deadline = time.monotonic() + clear_timeout
        while stack.firing(result.alert) and time.monotonic() < deadline:
            time.sleep(poll)
        if not stack.firing(result.alert):
            result.cleared_after = elapsed()
            say(f"{kind}: {result.alert} cleared after {result.cleared_after} s")
    return result


@contextmanager
def _nothing() -> Iterator[None]:
    yield None
