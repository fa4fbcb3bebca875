"""Prometheus and Alertmanager for tests: Debian's binaries on free 127.0.0.1 ports, each in its
own folder, stopped by pid."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from orchid.stack.servers import alertmanager_argv, free_port, prometheus_argv
from tests.support.servers import START_TIMEOUT, _spawn, _tail, _terminate
from tests.support.waiting import until

Argv = Callable[..., list[str]]  # (folder, *, port, config) → the server's command line


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    def ready() -> bool:
        assert proc.poll() is None, f"{url} exited while starting:\n{_tail(log)}"
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    until(ready, timeout=START_TIMEOUT, what=f"{url} ready (log: {log})")


@dataclass
class _Server:
    """A server that reads one configuration file and answers /-/ready when it is up."""

    port: int
    folder: Path
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @classmethod
    def _start(cls, folder: Path, name: str, text: str, argv: Argv) -> Any:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.yml").write_text(text)
        server = cls(free_port(), folder)
        log = folder / f"{name}.log"
        server._proc = _spawn(argv(folder, port=server.port, config=folder / f"{name}.yml"), log)
        _wait_ready(f"{server.url}/-/ready", server._proc, log)
        return server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._proc is not None:
            _terminate(self._proc, signal.SIGTERM)


class Prometheus(_Server):
    """One prometheus with the given configuration (JSON is YAML)."""

    @classmethod
    def start(cls, folder: Path, config: dict[str, Any]) -> Prometheus:
        server: Prometheus = cls._start(folder, "prometheus", json.dumps(config, indent=1),
                                        prometheus_argv)
        return server

    def query(self, promql: str) -> dict[str, Any]:
        """The API's answer to an instant query (status, data or error)."""
        answer: dict[str, Any] = httpx.get(f"{self.url}/api/v1/query",
                                           params={"query": promql}, timeout=10).json()
        return answer


class Alertmanager(_Server):
    """One Alertmanager, alone, with the given configuration."""

    @classmethod
    def start(cls, folder: Path, config_text: str) -> Alertmanager:
        server: Alertmanager = cls._start(folder, "alertmanager", config_text, alertmanager_argv)
        return server
