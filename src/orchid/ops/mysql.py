"""SQL on one member through the `mariadb` client, as the operator (see targets.Admin).

The ops commands run where the operator is (a laptop, a VM, a CronJob pod); the mariadb client
is what every such place has, and it speaks TLS and unix sockets alike. A reader that asks
every few seconds for as long as it runs (the probe) keeps its connections instead
(`Connections`): each start of the client costs ≈ 50 ms of CPU, TLS handshake included.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from pathlib import Path
from typing import Any

import pymysql

from orchid.ops.targets import Admin, Member, client_options
from orchid.stack.servers import binary


class SqlFailed(RuntimeError):
    """The server refused a statement, or could not be reached."""


def run(member: Member, admin: Admin, statement: str, database: str | None = None, *,
        timeout: float = 60, via: Connections | None = None) -> list[dict[str, str | None]]:
    """Run `statement`; return the rows of its last result set as dicts (NULL → None), every
    value as the client prints it. `via`: on a kept connection instead of the client."""
    if via is not None:
        return via.run(member, admin, statement, database, timeout=timeout)
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


class Connections:
    """One kept connection per member, opened on first use and again after a failure.

    A member's connection serves one statement at a time: its readers take turns (the probe
    reads a cluster's members each on its own thread, every member by one thread at a time).
    """

    def __init__(self) -> None:
        self._open: dict[str, pymysql.connections.Connection[Any]] = {}
        self._lock = threading.Lock()

    def run(self, member: Member, admin: Admin, statement: str, database: str | None = None,
            *, timeout: float = 60) -> list[dict[str, str | None]]:
        try:
            connection = self._connection(member, admin, timeout)
            if database is not None:
                connection.select_db(database)
            with connection.cursor() as cursor:
                cursor.execute(statement)
                columns = [column[0] for column in cursor.description or ()]
                rows = cursor.fetchall()
        except pymysql.MySQLError as error:
            self._drop(member.name)
            raise SqlFailed(f"{member.name}: {error}") from error
        return [{column: _as_printed(value) for column, value in zip(columns, row, strict=True)}
                for row in rows]

    def close(self) -> None:
        with self._lock:
            opened, self._open = list(self._open.values()), {}
        for connection in opened:
            with contextlib.suppress(pymysql.MySQLError):  # already broken: nothing to close
                connection.close()

    def _connection(self, member: Member, admin: Admin,
                    timeout: float) -> pymysql.connections.Connection[Any]:
        with self._lock:
            found = self._open.get(member.name)
        if found is not None:
            return found
        where: dict[str, Any] = ({"unix_socket": str(member.socket)} if member.socket is not None
                                 else {"host": member.host, "port": member.port})
        if admin.ca_file is not None:  # as the client's ssl-ca + ssl-verify-server-cert
            where.update(ssl_ca=str(admin.ca_file), ssl_verify_cert=True,
                         ssl_verify_identity=True)
        connection = pymysql.connect(user=admin.user, password=admin.password or "",
                                     connect_timeout=5, read_timeout=timeout,
                                     write_timeout=timeout, autocommit=True, **where)
        with self._lock:
            self._open[member.name] = connection
        return connection

    def _drop(self, name: str) -> None:
        with self._lock:
            connection = self._open.pop(name, None)
        if connection is not None:
            with contextlib.suppress(pymysql.MySQLError):
                connection.close()


def _as_printed(value: object) -> str | None:
    """A column's value as `mariadb --batch --raw` prints it, so both ways read alike."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


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
