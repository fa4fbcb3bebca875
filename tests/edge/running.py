"""A real nginx edge for tests: rendered from a plan, run in the foreground, stopped by its pid."""

from __future__ import annotations

import dataclasses
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchid.edge.config import nginx_argv, render
from orchid.edge.plan import EdgePlan
from orchid.stack.components import tail
from orchid.stack.servers import free_port
from tests.support.ports import (
    START_ATTEMPTS,
    PortTaken,
    listens,
    log_since,
    log_size,
    port_was_taken,
)
from tests.support.processes import stop_process

# What a shopper's browser sends: no points on the bot score.
BROWSER = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/124.0 Mobile Safari/537.36",
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "en-IN,en;q=0.9,hi;q=0.8",
    "Accept-Encoding": "gzip, deflate",
}


class RunningEdge:
    """One nginx process owned by the test that started it.

    Its listener ports were free when chosen; one another process took meanwhile moves the
    edge to fresh ports, so tests read them from `plan` once it runs.
    """

    def __init__(self, plan: EdgePlan) -> None:
        plan.prefix.mkdir(parents=True, exist_ok=True)
        self._log = (plan.prefix / "nginx.out").open("ab")
        for _ in range(START_ATTEMPTS - 1):
            try:
                self._start(plan)
                return
            except PortTaken:
                plan = dataclasses.replace(
                    plan, http_port=free_port(),
                    https_port=plan.https_port and free_port(),
                    internal_port=plan.internal_port and free_port())
        self._start(plan)

    def _start(self, plan: EdgePlan) -> None:
        self.plan = plan
        render(plan)
        offset = log_size(plan.error_log)
        self.proc = subprocess.Popen(nginx_argv(plan), stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_listening(plan.https_port or plan.http_port, offset)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.plan.http_port}"

    def _wait_listening(self, port: int, log_offset: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                failure = PortTaken if port_was_taken(
                    log_since(self.plan.error_log, log_offset)) else RuntimeError
                raise failure(f"nginx exited with {self.proc.returncode}:\n{self.errors()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                if listens(self.proc.pid, port):  # not another process that took the port
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"nginx not listening on {port}:\n{self.errors()}")

    def errors(self) -> str:
        """The tail of nginx's error log."""
        return tail(self.plan.error_log)

    def access_log(self) -> list[str]:
        """The access log lines written so far (the buffer is flushed on stop or each second)."""
        path = self.plan.prefix / "logs" / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def stop(self) -> None:
        """Graceful QUIT by pid, KILL if it lingers."""
        stop_process(self.proc, signal.SIGQUIT)
        self._log.close()


def test_plan(prefix: Path, upstream: str, **overrides: Any) -> EdgePlan:
    """A plan on free ports in front of one app process, trusting loopback's X-Forwarded-For
    so that tests can speak as shoppers from other addresses."""
    settings: dict[str, Any] = {
        "prefix": prefix, "http_port": free_port(), "upstreams": {"app": [upstream]},
        "routes": {"/": "app"}, "workers": 1, "real_ip_from": ("127.0.0.1",),
    }
    settings.update(overrides)
    return EdgePlan(**settings)


EdgeFactory = Callable[..., RunningEdge]
