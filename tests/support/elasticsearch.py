"""Launch a REAL Elasticsearch (the integ-test distribution) for tests and benchmarks.

It binds 127.0.0.1 on a free port, keeps config, data and logs in a folder the caller owns,
runs single-node without security and a small heap, and is stopped by its own pids (the
launcher, and the server it forks). Elasticsearch refuses to run as root, so under root it
runs as `nobody` through `setpriv`, and its folders are handed to that user.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from orchid.stack.servers import elasticsearch_command, es_home, free_port
from tests.support.ports import (
    START_ATTEMPTS,
    PortTaken,
    listens,
    log_since,
    log_size,
    port_was_taken,
)

START_TIMEOUT, STOP_TIMEOUT = 90.0, 30.0
# Every node we start, so an interpreter that exits without stop() leaves no JVM behind.
_live: dict[int, Elasticsearch] = {}


@dataclass
class Elasticsearch:
    """One Elasticsearch node on 127.0.0.1:port."""

    port: int
    base: Path
    heap: str = "512m"
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @classmethod
    def start(cls, base: Path | None = None, *, heap: str = "512m") -> Elasticsearch:
        """Start a node whose files live in `base` (a new temp folder by default); wait for it."""
        es_home()  # fail early with the fetch hint
        # Not under pytest's tmp: that folder is private to root and `nobody` must enter it.
        folder = base or Path(tempfile.mkdtemp(prefix="orchid-es-"))
        server = cls(free_port(), folder, heap)
        try:
            for _ in range(START_ATTEMPTS - 1):
                try:
                    server.start_again()
                    return server
                except PortTaken:
                    server.port = free_port()  # nobody knows this node's port yet
            server.start_again()
        except BaseException:
            if base is None:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        return server

    @property
    def url(self) -> str:
        """Base URL of the HTTP API."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def snapshot_repository(self) -> Path:
        """The node's `path.repo`: where a filesystem snapshot repository may live."""
        return self.base / "snapshots"

    @property
    def log(self) -> Path:
        return self.base / "es.out"

    def running(self) -> bool:
        """True while the launcher process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start_again(self) -> None:
        """(Re)start on the same port and data folder."""
        if self.running():
            return
        argv, env = elasticsearch_command(self.base, port=self.port,
                                          transport_port=free_port(), heap=self.heap,
                                          cluster="orchid-test")
        offset = log_size(self.log)
        with self.log.open("ab") as out:
            self._proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT)
        _live[id(self)] = self
        self._wait_ready(offset)

    def _wait_ready(self, log_offset: int, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                self.stop()  # the server it forked, if any
                failure = PortTaken if port_was_taken(log_since(self.log, log_offset)) \
                    else RuntimeError
                raise failure(f"elasticsearch exited during startup:\n{self._tail()}")
            try:
                with urllib.request.urlopen(
                        f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s",
                        timeout=3) as answer:
                    healthy = json.load(answer)["status"] in ("green", "yellow")
                # Another suite's node may have taken the port first: it must be our server.
                pid = self._server_pid()
                if healthy and pid is not None and listens(pid, self.port):
                    return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"elasticsearch not ready after {timeout}s:\n{self._tail()}")

    def stop(self) -> None:
        """SIGTERM the launcher (it stops the server); SIGKILL both by pid if they linger."""
        server_pid = self._server_pid()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if server_pid is not None and _alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
        _live.pop(id(self), None)

    def remove(self) -> None:
        """Stop and delete the node's folder."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def _server_pid(self) -> int | None:
        try:
            return int((self.base / "es.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def _tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_live.values()):
        server.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
