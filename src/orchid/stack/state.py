"""state.json (what runs where) and what /proc says about a process tree."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Replace state.json atomically, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=1))
    temporary.replace(path)


def read_state(path: Path) -> dict[str, Any] | None:
    """The last state the supervisor wrote, or None when the stack never started here."""
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state


def stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (index 11 is utime); None when
    the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; fields start after the last ')'.
    return text.rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """Direct children of a process (every thread's children)."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in threads:
        try:
            found += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree(pid: int, stop: frozenset[int] = frozenset()) -> list[int]:
    """The process and all its descendants (nginx workers, Elasticsearch's JVM), not
    descending into the pids in `stop`."""
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending += [child for child in children(current) if child not in stop]
    return tree


class ProcessTable:
    """Every process's parent, CPU ticks (utime + stime) and resident pages, read in one pass
    over /proc: a scrape asking about thirty trees reads each process once, instead of walking
    every thread's children once per tree and per figure."""

    def __init__(self) -> None:
        self.children: dict[int, list[int]] = {}
        self.ticks: dict[int, int] = {}
        self.pages: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            fields = stat_fields(int(entry))
            if fields is None:
                continue  # exited meanwhile
            pid = int(entry)
            self.children.setdefault(int(fields[1]), []).append(pid)  # ppid
            self.ticks[pid] = int(fields[11]) + int(fields[12])
            self.pages[pid] = int(fields[21])

    def tree(self, pid: int) -> list[int]:
        """The process and all its descendants."""
        tree, pending = [], [pid]
        while pending:
            current = pending.pop()
            tree.append(current)
            pending += self.children.get(current, [])
        return tree

    def cpu_seconds(self, pid: int) -> float:
        """User + system CPU seconds of the process tree (0 for processes already gone)."""
        return sum(self.ticks.get(member, 0) for member in self.tree(pid)) / CLOCK_TICKS

    def rss_bytes(self, pid: int) -> int:
        """Resident memory of the process tree."""
        return sum(self.pages.get(member, 0) for member in self.tree(pid)) * PAGE_SIZE


def cmdline(pid: int) -> str:
    """The process's command line, '' when it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def is_ours(pid: int, component: dict[str, Any], root: Path) -> bool:
    """Is `pid` still the process state.json recorded for `component` (pids get reused)?"""
    if not _alive(pid):
        return False
    line = cmdline(pid)
    return str(root) in line or f"{component.get('port')}" in line


def _alive(pid: int) -> bool:
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"
