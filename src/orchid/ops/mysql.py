"""SQL on one member through the `mariadb` client, as the operator (see targets.Admin).

The ops commands run where the operator is (a laptop, a VM, a CronJob pod); the mariadb client
is what every such place has, and it speaks TLS and unix sockets alike.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from orchid.ops.targets import Admin, Member, client_options
from orchid.stack.servers import binary


class SqlFailed(RuntimeError):
    """The server refused a statement, or could not be reached."""


def run(member: Member, admin: Admin, statement: str, database: str | None = None, *,
        timeout: float = 60) -> list[dict[str, str | None]]:
    """Run `statement`; return the rows of its last result set as dicts (NULL → None)."""
    with client_options(member, admin) as options:
        argv = [binary("mariadb"), f"--defaults-file={options}", "--batch", "--raw",
                "--connect-timeout=5", "-e", statement]
        if database is not None:
            argv.append(database)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise SqlFailed(f"{member.name}: no answer within {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise SqlFailed(f"{member.name}: {done.stderr.strip()}")
    lines = done.stdout.splitlines()
    if not lines:
        return []
    header = lines[0].split("\t")
    return [{column: (None if value == "NULL" else value)
             for column, value in zip(header, line.split("\t"), strict=True)}
            for line in lines[1:]]


def value(member: Member, admin: Admin, statement: str, *, timeout: float = 60) -> str | None:
    """The first column of the first row (None when there is no row or it is NULL)."""
    rows = run(member, admin, statement, timeout=timeout)
    return next(iter(rows[0].values())) if rows else None


def reachable(member: Member, admin: Admin, *, timeout: float = 5) -> bool:
    """True when the member answers a query."""
    try:
        run(member, admin, "SELECT 1", timeout=timeout)
    except SqlFailed:
        return False
    return True


def stream(reader: list[str], writer: list[str], log: Path, *,
           env: dict[str, str] | None = None) -> tuple[int, int]:
    """`reader | writer`, streamed (a day of binlogs or a dump does not fit in memory), both
    tools' messages appended to `log`; returns both exit codes."""
    with log.open("ab") as out:
        source = subprocess.Popen(reader, stdout=subprocess.PIPE, stderr=out, env=env)
        sink = subprocess.run(writer, stdin=source.stdout, stdout=out, stderr=out)
        assert source.stdout is not None
        source.stdout.close()
        source.wait()
    return source.returncode, sink.returncode


def log_tail(log: Path, lines: int = 5) -> str:
    """The last lines of a log, to quote in a failure."""
    return "\n".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
