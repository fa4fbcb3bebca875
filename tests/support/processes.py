"""Run `orchid serve` as a real child process on a free loopback port, stopped by its pid."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from orchid.stack.servers import free_port
from tests.support.stack import TEST_SECRET


class OrchidProcess:
    """One `python -m orchid serve` process."""

    def __init__(self, env: dict[str, str], log: Path, services: str = "",
                 port: int | None = None, workers: int = 1) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "orchid", "serve", "--port", str(self.port)]
        if services:
            argv += ["--services", services]
        if workers > 1:
            argv += ["--workers", str(workers)]
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
        stop_process(self.proc, signal.SIGTERM)
        self._log.close()


def stop_process(proc: subprocess.Popen[bytes], stop_signal: int, wait: float = 10) -> None:
    """Send `stop_signal` to `proc` by its pid, SIGKILL it if it lingers, and reap it."""
    if proc.poll() is None:
        proc.send_signal(stop_signal)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def seeded_env(template: Path, folder: Path, *, products: int, customers: int,
               **extra: str) -> dict[str, str]:
    """Copy the migrated template into `folder`/data and seed it; return the environment of an
    `orchid` process on it (`extra` adds ORCHID_* variables, e.g. ORCHID_LOG_JSON="true")."""
    data = folder / "data"
    shutil.copytree(template, data)
    env = {"ORCHID_DATA_DIR": str(data), "ORCHID_SECRET_KEY": TEST_SECRET,
           "ORCHID_LOG_JSON": "false", **extra}
    subprocess.run([sys.executable, "-m", "orchid", "seed", "--products", str(products),
                    "--customers", str(customers)], env={**os.environ, **env}, check=True,
                   capture_output=True)
    return env
