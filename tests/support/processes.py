"""Run `orchid serve` as a real child process on a loopback port, stopped by its pid.

The port is bound here and the listening socket handed to the child (`--fd`): a port merely
"free a moment ago" could be taken by another process on this shared machine before the child
bound it, and /healthz would then be answered by someone else's server. (With several workers
uvicorn binds the port itself; readiness then at least checks that our process holds it.)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from orchid.stack.servers import free_port
from tests.support.ports import listens
from tests.support.stack import TEST_SECRET


class OrchidProcess:
    """One `python -m orchid serve` process."""

    def __init__(self, env: dict[str, str], log: Path, services: str = "",
                 workers: int = 1) -> None:
        argv = [sys.executable, "-m", "orchid", "serve"]
        if services:
            argv += ["--services", services]
        self._log = log.open("ab")
        if workers > 1:
            # uvicorn's workers bind the port themselves, so this one is only free a moment
            # ago; wait_ready at least refuses an answer from another process that took it.
            self.port = free_port()
            argv += ["--port", str(self.port), "--workers", str(workers)]
            self.proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=self._log,
                                         stderr=subprocess.STDOUT)
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
                listener.bind(("127.0.0.1", 0))
                listener.listen(128)  # connections wait in the backlog until the app accepts
                self.port = listener.getsockname()[1]
                # The child keeps its copy of the socket; ours closes on leaving the block.
                self.proc = subprocess.Popen(
                    [*argv, "--fd", str(listener.fileno())], env={**os.environ, **env},
                    stdout=self._log, stderr=subprocess.STDOUT, pass_fds=[listener.fileno()])
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 20.0) -> OrchidProcess:
        """Poll /healthz until it answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"orchid exited with {self.proc.returncode}; see {self._log.name}")
            try:
                answered = httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200
                if answered and listens(self.proc.pid, self.port):
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
