"""Ports for the servers tests start: who really listens on one, and whether one was taken.

`free_port()` returns a port that was free a moment ago; between that moment and the server's
bind, another process on this shared machine (another engineer's suite) may take it. So a
launcher checks that the listener on its port is its own server, never just "something answers",
and moves to a new port when its server could not bind:

    if port_was_taken(log_text):    # the server exited: choose another port and launch again
    if listens(pid, port):          # ready: our process holds the listening socket
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LISTEN = "0A"  # the TCP state column of /proc/net/tcp
START_ATTEMPTS = 3  # launches on fresh ports before a taken port fails the test


class PortTaken(RuntimeError):
    """A server could not bind the port chosen for it: another process took it meanwhile."""


def port_was_taken(log_text: str) -> bool:
    """True when a server's log says its bind failed (every server we run says it this way)."""
    return "address already in use" in log_text.lower()


def listens(pid: int, port: int) -> bool:
    """True when process `pid` holds the socket listening on 127.0.0.1:`port` (Linux /proc)."""
    inodes = _listening_inodes(port)
    if not inodes:
        return False
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except OSError:
            continue  # closed while we looked
    return False


def log_since(path: Path, offset: int) -> str:
    """What a log gained after `offset` bytes (the current launch's part of an appended log)."""
    try:
        with path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")
    except OSError:
        return ""


def log_size(path: Path) -> int:
    """The log's size now, to read only what the next launch writes."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


@contextmanager
def refusing_address() -> Iterator[str]:
    """An address that refuses connections while the block runs: bound, so nobody else can
    start listening there, but never listening itself (a port merely free could be taken)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{held.getsockname()[1]}"


def _listening_inodes(port: int) -> set[str]:
    found: set[str] = set()
    # tcp6 too: a JVM (Elasticsearch) binds 127.0.0.1 through a dual-stack socket.
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                found.add(f"socket:[{inode}]")
    return found
