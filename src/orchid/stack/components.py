"""One supervised process of the stack: how to start it, how to tell it is ready, how to stop it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchid.stack.servers import mariadb_sql, redis_ping

Probe = Callable[[], bool]


@dataclass
class Component:
    """A server or app process the supervisor starts, watches and restarts."""

    name: str
    kind: str  # mariadb, redis, elasticsearch, prometheus, alertmanager, monitoring, edge, app
    port: int
    argv: list[str]
    ready: Probe
    log: Path
    env: dict[str, str] | None = None
    stop_timeout: float = 30.0
    # Where the real server's pid is, when the process we start forks it (Elasticsearch).
    server_pidfile: Path | None = None
    restarts: int = 0
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0
    next_restart_at: float = 0.0

    def spawn(self) -> None:
        """Start the process, its output appended to its log."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT)
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc is not None and self.proc.poll() is None

    def signal_stop(self) -> None:
        """Ask the process to stop (SIGTERM); `reap` waits for it."""
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)

    def reap(self) -> None:
        """Wait for a stopping process; SIGKILL it (and a forked server) past the timeout."""
        if self.proc is None:
            return
        try:
            self.proc.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        server = self.server_pid()
        if server is not None and pid_alive(server):
            os.kill(server, signal.SIGKILL)

    def server_pid(self) -> int | None:
        """The forked server's pid from its pid file, if any."""
        if self.server_pidfile is None:
            return None
        try:
            return int(self.server_pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def tail(self, lines: int = 20) -> str:
        """The last lines of the log, for error messages."""
        return tail(self.log, lines)


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file, for error messages ("(no log)" when there is none)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists (and is not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def http_ok(url: str, *, timeout: float = 2.0) -> bool:
    """True when GET url answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return 200 <= int(answer.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def elasticsearch_ready(port: int) -> Probe:
    def probe() -> bool:
        url = f"http://127.0.0.1:{port}/_cluster/health?wait_for_status=yellow&timeout=1s"
        try:
            with urllib.request.urlopen(url, timeout=3) as answer:
                return json.load(answer).get("status") in ("green", "yellow")
        except (urllib.error.URLError, OSError, ValueError):
            return False
    return probe


def mariadb_ready(sock: Path) -> Probe:
    def probe() -> bool:
        if not sock.exists():
            return False
        try:
            mariadb_sql(sock, "SELECT 1", timeout=5)
        except (RuntimeError, subprocess.TimeoutExpired):
            return False
        return True
    return probe


def redis_ready(port: int, ca_file: Path | None = None) -> Probe:
    return lambda: redis_ping(port, ca_file)


def http_ready(url: str) -> Probe:
    return lambda: http_ok(url)
