"""Run a rendered edge on its own: check it, start it daemonised, stop it by its own pid file.

The machine's nginx service and any other nginx are never signalled: stop() reads the pid file
in the plan's prefix and checks that the process is an nginx master started on that prefix.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from orchid.edge.config import base_argv, render
from orchid.edge.plan import PID_FILE, EdgePlan
from orchid.stack.components import pid_alive, tail
from orchid.stack.state import cmdline


class EdgeError(RuntimeError):
    """nginx refused the configuration or did not start or stop in time."""


def check(plan: EdgePlan) -> None:
    """Run `nginx -t` on the rendered configuration; raise EdgeError with its output."""
    done = subprocess.run([*base_argv(plan), "-t", "-q"], capture_output=True, text=True)
    if done.returncode != 0:
        raise EdgeError(f"nginx -t failed:\n{done.stderr.strip()}")


def running_pid(prefix: Path) -> int | None:
    """The pid of the nginx master started on `prefix` if it runs, else None."""
    try:
        pid = int((prefix / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    # A recycled pid would belong to some other program: only ours has our prefix in argv.
    argv = cmdline(pid)
    return pid if "nginx" in argv and str(prefix) in argv else None


def start(plan: EdgePlan, *, timeout: float = 10.0) -> int:
    """Render, check and start the edge as a daemon; return the master's pid."""
    if (pid := running_pid(plan.prefix)) is not None:
        raise EdgeError(f"an edge already runs on {plan.prefix} (pid {pid})")
    render(plan)
    check(plan)
    plan.pid_file.unlink(missing_ok=True)
    done = subprocess.run(base_argv(plan), capture_output=True, text=True)
    if done.returncode != 0:
        raise EdgeError(f"nginx did not start:\n{done.stderr.strip()}\n{tail(plan.error_log)}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (pid := running_pid(plan.prefix)) is not None:
            return pid
        time.sleep(0.05)
    raise EdgeError(f"nginx wrote no pid file within {timeout}s:\n{tail(plan.error_log)}")


def stop(prefix: Path, *, timeout: float = 15.0) -> int | None:
    """Stop the nginx started on `prefix` (graceful QUIT, then TERM); return its pid, or None
    when none was running."""
    pid = running_pid(prefix)
    if pid is None:
        return None
    for sig, wait in ((signal.SIGQUIT, timeout * 2 / 3), (signal.SIGTERM, timeout / 3)):
        os.kill(pid, sig)  # QUIT finishes the requests in flight; TERM does not wait
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return pid
            time.sleep(0.05)
    raise EdgeError(f"nginx (pid {pid}) did not stop within {timeout}s")

