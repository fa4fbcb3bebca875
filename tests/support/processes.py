"""Run `orchid serve` as a real child process on a free loopback port, stopped by its pid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from orchid.stack.servers import free_port


class OrchidProcess:
    """One `python -m orchid serve` process."""

    def __init__(self, env: dict[str, str], log: Path, services: str = "",
                 port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "orchid", "serve", "--port", str(self.port)]
        if services:
            argv += ["--services", services]
        self._log = log.open("ab")
        self.proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=self._log,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 20.0) -> OrchidProcess:
        """Poll /healthz until it answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"orchid exited with {self.proc.returncode}; see {self._log.name}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"orchid on {self.url} not ready; see {self._log.name}")

    def stop(self) -> None:
        """SIGTERM by pid, then SIGKILL if it lingers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
