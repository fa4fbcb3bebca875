"""Point-in-time restore: the last base before T, then the archived binlogs up to T.

    restored = restore_to(targets, "main", to=T, into=Path("/srv/restore"))

1. pick the newest base (with its chain of incrementals) that finished at or before T;
2. copy it into `into`/data and prepare the copy (the archive is never changed);
3. start a mariadbd there, beside the live servers, on its own port;
4. replay the archived binlogs from the base's GTID position up to T with
   `mariadb-binlog --start-position=<GTID> --stop-datetime=<T + 1 s>`: binlog events carry
   whole seconds, so "up to T" means every transaction whose events all fall in a second ≤ T.
   A transaction cut by the stop is never applied in part: the client sees BEGIN without
   COMMIT, and its disconnect rolls it back;
5. leave the server running read-only for inspection; stop it with `stop_restored`, or swap
   its data in for the live data with ops/swap.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchid.ops import mysql
from orchid.ops.backup import BackupFailed, BaseManifest, base_dir, bases, chain
from orchid.ops.binlogs import archived
from orchid.ops.targets import Member, Targets
from orchid.stack.servers import (
    binary,
    free_port,
    mariadb_socket,
    mariadb_sql,
    mariadbd_argv,
)

# Restored servers started by this process, kept so their exit status is collected.
_started: dict[int, subprocess.Popen[bytes]] = {}
RESTORED_SERVER_ID = 4242  # distinct from every member: it may be wired as a replica later
READY_TIMEOUT = 120.0
RESTORED_FILE = "restored.json"
Step = Callable[[str], None]


class RestoreFailed(RuntimeError):
    """The restore cannot be done; the message says why."""


@dataclass(frozen=True)
class Restored:
    """A restored server running beside the live ones."""

    folder: Path
    port: int
    pid: int
    socket: Path
    base: str  # the base backup's id
    gtid: str  # the position reached
    to: datetime
    seconds: float
    database: str = "main"

    def sql(self, statement: str, database: str | None = None) -> str:
        return mariadb_sql(self.socket, statement, database)

    @property
    def member(self) -> Member:
        """The restored server as the ops tools address a server (root on its socket)."""
        return Member("restored", "127.0.0.1", self.port, socket=self.socket)

    def save(self) -> None:
        """What a later command (restore-swap, restore-stop) needs, beside the data."""
        (self.folder / "restored.pid").write_text(str(self.pid))
        (self.folder / RESTORED_FILE).write_text(json.dumps({
            "database": self.database, "port": self.port, "pid": self.pid,
            "socket": str(self.socket), "base": self.base, "gtid": self.gtid,
            "to": self.to.isoformat(), "seconds": self.seconds}, indent=1))


def load_restored(into: Path) -> Restored:
    """The restored server a restore left running in `into`."""
    try:
        saved = json.loads((into / RESTORED_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise RestoreFailed(f"{into} holds no restore (no readable {RESTORED_FILE})") from exc
    if not (into / "restored.pid").exists():
        raise RestoreFailed(f"the restored server in {into} was stopped")
    return Restored(into, int(saved["port"]), int(saved["pid"]), Path(saved["socket"]),
                    saved["base"], saved["gtid"], datetime.fromisoformat(saved["to"]),
                    float(saved["seconds"]), saved["database"])


def parse_point(text: str) -> datetime:
    """A point in time with its offset ('2026-12-02T10:15:03+05:30' or '…Z'), as UTC."""
    try:
        point = datetime.fromisoformat(text)
    except ValueError as exc:
        raise RestoreFailed(f"not a time: {text!r} (ISO-8601, e.g. 2026-12-02T10:15:03+05:30)") \
            from exc
    if point.tzinfo is None:
        raise RestoreFailed(f"{text!r} has no offset: say which clock, e.g. +05:30 or Z")
    if point.microsecond:
        raise RestoreFailed(f"{text!r}: restores go to the second (binlogs carry seconds)")
    return point.astimezone(UTC)


def pick_base(targets: Targets, database: str, to: datetime) -> BaseManifest:
    """The newest base that was complete at `to`."""
    every = bases(targets, database)
    usable = [m for m in every if m.finished <= to]
    if not usable:
        oldest = every[0].finished_at if every else "none taken"
        raise RestoreFailed(f"{database}: no base backup finished at or before "
                            f"{to.isoformat()} (the oldest: {oldest})")
    return usable[-1]


def restore_to(targets: Targets, database: str, *, to: datetime, into: Path,
               port: int | None = None, step: Step = lambda _: None,
               clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Restored:
    """Restore `database` as it was at `to` into `into`, started on `port` (a free one when
    not given)."""
    began = time.monotonic()
    if to > clock():
        raise RestoreFailed(f"{to.isoformat()} is in the future")
    if into.exists() and any(into.iterdir()):
        raise RestoreFailed(f"{into} is not empty: restore into a new folder")
    last = pick_base(targets, database, to)
    links = chain(targets, database, last)
    files = [f.path for f in archived(targets, database)]
    if not files:
        raise RestoreFailed(f"{database}: no archived binlogs to replay (is the archiver "
                            "running? `orchid ops binlogs archive`)")
    into.mkdir(parents=True, exist_ok=True)
    data = into / "data"
    step(f"copying base {links[0].id}")
    shutil.copytree(base_dir(targets, database) / links[0].id / "data", data)
    _prepare(data, None, into)
    for link in links[1:]:
        step(f"applying incremental {link.id}")
        # --prepare --incremental-dir consumes the delta files: it works on a copy too.
        delta = into / f"incremental-{link.id}"
        shutil.copytree(base_dir(targets, database) / link.id / "data", delta)
        _prepare(data, delta, into)
        shutil.rmtree(delta)
    port = port or free_port()
    step(f"starting mariadbd on 127.0.0.1:{port}")
    proc = _start(into, port)
    sock = mariadb_socket(into, port)
    try:
        step(f"replaying binlogs from {last.gtid or 'the start'} to {to.isoformat()}")
        _replay(files, last.gtid, to, sock, into)
        mariadb_sql(sock, "SET GLOBAL read_only = 1")  # for inspection; lift it to swap in
        reached = mariadb_sql(sock, "SELECT @@gtid_binlog_pos").strip()
    except BaseException:
        _stop(proc.pid)
        raise
    restored = Restored(into, port, proc.pid, sock, last.id, reached or last.gtid, to,
                        time.monotonic() - began, database)
    restored.save()
    return restored


def _prepare(data: Path, incremental: Path | None, into: Path) -> None:
    argv = [binary("mariadb-backup"), "--no-defaults", "--prepare", f"--target-dir={data}"]
    if incremental is not None:
        argv.append(f"--incremental-dir={incremental}")
    with (into / "prepare.log").open("ab") as log:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log,
                              stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise BackupFailed(f"mariadb-backup --prepare failed; see {into / 'prepare.log'}")


def _start(into: Path, port: int) -> subprocess.Popen[bytes]:
    argv = mariadbd_argv(into, port=port, server_id=RESTORED_SERVER_ID, durable=True)
    argv.append("--skip-slave-start")  # a base taken on a replica remembers its primary
    with (into / "error.log").open("ab"):
        pass
    # Its own session: the restored server outlives the command that started it.
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    _started[proc.pid] = proc
    sock = mariadb_socket(into, port)
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if proc.poll() is not None:
            _started.pop(proc.pid, None)
            raise RestoreFailed(f"the restored mariadbd exited; see {into / 'error.log'}")
        if sock.exists():
            try:
                mariadb_sql(sock, "SELECT 1", timeout=5)
                return proc
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        if time.monotonic() > deadline:
            _stop(proc.pid)
            raise RestoreFailed(f"the restored mariadbd did not answer in {READY_TIMEOUT:.0f} s")
        time.sleep(0.1)


def _replay(files: list[Path], gtid: str, to: datetime, sock: Path, into: Path) -> None:
    """mariadb-binlog … | mariadb, streamed (a day of binlogs does not fit in memory)."""
    stop = (to + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    reader = [binary("mariadb-binlog"), "--no-defaults", f"--stop-datetime={stop}"]
    if gtid:
        reader.append(f"--start-position={gtid}")
    reader += [str(f) for f in files]
    writer = [binary("mariadb"), "--no-defaults", "--user=root", f"--socket={sock}",
              "--binary-mode"]
    # --stop-datetime is read in the local time zone: make that UTC.
    env = {**os.environ, "TZ": "UTC"}
    log = into / "replay.log"
    read, wrote = mysql.stream(reader, writer, log, env=env)
    if read != 0 and wrote == 0 and gtid and _archive_ends_at(files, gtid):
        return  # the base is the archive's last transaction: nothing came after it
    if read != 0 or wrote != 0:
        raise RestoreFailed(f"replaying binlogs failed (reader {read}, writer {wrote}); "
                            f"{log} ends:\n{mysql.log_tail(log)}")


GTID_EVENT = re.compile(r"\tGTID (\d+)-(\d+)-(\d+)")


def _archive_ends_at(files: list[Path], position: str) -> bool:
    """True when the newest transaction of each domain in the archive is exactly `position`'s.

    mariadb-binlog refuses a start position with no event after it ("never reached expected
    GTID state"); this tells that case from a real gap, where the archive lacks the position.
    """
    wanted = dict(part.split("-", 1) for part in position.split(","))
    last: dict[str, str] = {}
    for path in reversed(files):
        decoded = subprocess.run([binary("mariadb-binlog"), "--no-defaults", str(path)],
                                 capture_output=True, text=True)
        newest: dict[str, str] = {}
        for domain, server, seq in GTID_EVENT.findall(decoded.stdout):
            newest[domain] = f"{server}-{seq}"  # later events overwrite earlier ones
        for domain, rest in newest.items():
            last.setdefault(domain, rest)  # a newer file's answer stands
        if set(wanted) <= set(last):
            break
    return all(last.get(domain) == rest for domain, rest in wanted.items())


def stop_restored(into: Path) -> bool:
    """Stop the server a restore left running in `into`; False when none runs."""
    pidfile = into / "restored.pid"
    if not pidfile.exists():
        return False
    pid = int(pidfile.read_text())
    _stop(pid)
    pidfile.unlink()
    return True


def _stop(pid: int) -> None:
    proc = _started.pop(pid, None)
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child (another command started it)
            waited = 0
            if not Path(f"/proc/{pid}").exists():
                return
        if waited == pid:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
