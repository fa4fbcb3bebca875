"""CPU time from /proc: of named process trees, of the load generator, of the whole machine.

    before = sample({"app": 4242, "edge": 4300})
    ...                                            # the measured window
    spent = delta(before, sample({"app": 4242, "edge": 4300}))   # {"app": 1.93, "edge": 0.12}

A tree is a process and every descendant (uvicorn's workers, nginx's workers, Elasticsearch's
JVM), minus the subtrees of the other named roots: the stack's supervisor is the parent of
every server, and each server's CPU belongs to that server, not to the supervisor. Each process
counts utime + stime + cutime + cstime (/proc/<pid>/stat fields 14-17): a child that exits and
is reaped during the window moves its whole CPU time into its parent's cutime, so it is still
counted once. Resolution is one clock tick (10 ms) per process per sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchid.stack.state import CLOCK_TICKS, process_tree, stat_fields


def process_ticks(pid: int) -> int | None:
    """utime + stime + cutime + cstime of one process, in clock ticks; None when it is gone."""
    fields = stat_fields(pid)
    return None if fields is None else sum(int(f) for f in fields[11:15])


def tree_seconds(root: int, stop: frozenset[int] = frozenset()) -> float | None:
    """CPU seconds of `root` and its descendants, not descending into the pids in `stop`; None
    when `root` itself is gone."""
    own = process_ticks(root)
    if own is None:
        return None
    ticks = own + sum(process_ticks(pid) or 0 for pid in process_tree(root, stop)[1:])
    return ticks / CLOCK_TICKS


def sample(roots: Mapping[str, int]) -> dict[str, float | None]:
    """CPU seconds so far of each named tree, each excluding the other roots' subtrees."""
    pids = frozenset(roots.values())
    return {name: tree_seconds(pid, pids - {pid}) for name, pid in roots.items()}


def delta(before: Mapping[str, float | None],
          after: Mapping[str, float | None]) -> dict[str, float | None]:
    """CPU seconds spent between two samples; None where a root was missing at either end."""
    out: dict[str, float | None] = {}
    for name, start in before.items():
        end = after.get(name)
        out[name] = None if start is None or end is None else max(0.0, end - start)
    return out


@dataclass(frozen=True)
class MachineTimes:
    """Busy and total CPU time of the whole machine since boot (all cores, /proc/stat)."""

    # Kept in clock ticks: differences of whole ticks are exact, where differences of seconds
    # (ticks / 100) can round a fully busy interval's busy above its total.
    busy_ticks: int
    total_ticks: int

    @property
    def busy(self) -> float:
        """Busy CPU seconds."""
        return self.busy_ticks / CLOCK_TICKS

    @property
    def total(self) -> float:
        """Total CPU seconds (busy, idle and iowait)."""
        return self.total_ticks / CLOCK_TICKS

    def __sub__(self, other: MachineTimes) -> MachineTimes:
        return MachineTimes(self.busy_ticks - other.busy_ticks,
                            self.total_ticks - other.total_ticks)


def machine_times() -> MachineTimes:
    """Read the machine's CPU times: busy is everything but idle and iowait."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()
    # user nice system idle iowait irq softirq steal (guest time is already inside user).
    values = [int(v) for v in first[1:9]]
    total = sum(values)
    return MachineTimes(total - values[3] - values[4], total)
