"""The /proc CPU sampler on real processes: a child whose own child burns CPU."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from orchid.loadtest import cpu
from orchid.stack.state import CLOCK_TICKS, process_tree

BURN = 0.3  # CPU seconds the grandchild burns
# The child waits for a line on stdin, starts a grandchild that burns BURN CPU seconds, and
# prints the grandchild's pid once it has; the grandchild then sleeps ("keep") or exits and is
# reaped by the child ("reap").
CHILD = f"""
import subprocess, sys, time
GRANDCHILD = '''
import sys, time
end = time.process_time() + {BURN}
while time.process_time() < end:
    pass
print("burnt", flush=True)
if sys.argv[1] == "keep":
    time.sleep(60)
'''
sys.stdin.readline()
grandchild = subprocess.Popen([sys.executable, "-c", GRANDCHILD, sys.argv[1]],
                              stdout=subprocess.PIPE, text=True)
grandchild.stdout.readline()
if sys.argv[1] == "reap":
    grandchild.wait()
print(grandchild.pid, flush=True)
time.sleep(60)
"""


@contextmanager
def family(mode: str) -> Iterator[tuple[subprocess.Popen[str], list[int]]]:
    """Start the child; yield it and a list that receives the grandchild's pid; stop both."""
    grandchildren: list[int] = []
    with subprocess.Popen([sys.executable, "-c", CHILD, mode], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as child:
        try:
            yield child, grandchildren
        finally:
            for pid in grandchildren:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            child.kill()


def start_burn(child: subprocess.Popen[str], grandchildren: list[int]) -> int:
    """Let the grandchild burn; return its pid once it has."""
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write("go\n")
    child.stdin.flush()
    pid = int(child.stdout.readline())
    grandchildren.append(pid)
    return pid


def test_a_tree_counts_the_cpu_of_a_live_descendant() -> None:
    with family("keep") as (child, grandchildren):
        before = cpu.sample({"app": child.pid})
        grandchild = start_burn(child, grandchildren)
        after = cpu.sample({"app": child.pid})
        spent = cpu.delta(before, after)["app"]
        assert spent is not None and spent >= BURN - 0.02
        assert grandchild in process_tree(child.pid)
        own = cpu.process_ticks(child.pid)
        assert own is not None and own / CLOCK_TICKS < BURN / 2  # not the child's own


def test_another_root_inside_a_tree_keeps_its_own_cpu() -> None:
    with family("keep") as (child, grandchildren):
        grandchild = start_burn(child, grandchildren)
        shared = cpu.sample({"supervisor": child.pid, "server": grandchild})
        whole = cpu.tree_seconds(child.pid)
        server, supervisor = shared["server"], shared["supervisor"]
        assert server is not None and supervisor is not None and whole is not None
        assert server >= BURN - 0.02
        assert supervisor < BURN / 2
        assert abs(whole - (server + supervisor)) < 0.05


def test_a_reaped_descendant_still_counts_through_cutime() -> None:
    with family("reap") as (child, grandchildren):
        before = cpu.sample({"app": child.pid})
        grandchild = start_burn(child, grandchildren)
        after = cpu.sample({"app": child.pid})
        assert grandchild not in process_tree(child.pid)
        spent = cpu.delta(before, after)["app"]
        assert spent is not None and spent >= BURN - 0.02


def test_a_missing_process_is_none_not_zero() -> None:
    with subprocess.Popen([sys.executable, "-c", "pass"]) as gone:
        gone.wait()
    assert cpu.process_ticks(gone.pid) is None
    assert cpu.sample({"gone": gone.pid}) == {"gone": None}
    assert cpu.delta({"a": 1.0, "b": None}, {"a": 1.5, "b": 2.0}) == {"a": 0.5, "b": None}


def test_machine_times_grow_and_busy_is_part_of_total() -> None:
    first = cpu.machine_times()
    end = time.process_time() + 0.1
    while time.process_time() < end:  # burn ten ticks
        pass
    spent = cpu.machine_times() - first
    assert 0 < spent.busy <= spent.total
