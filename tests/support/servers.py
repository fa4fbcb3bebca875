"""Launch REAL MariaDB and Redis servers for tests (and a local full stack).

Every server binds 127.0.0.1 on a free port, keeps all its files in a folder the
caller owns, and is stopped by its own pid. The machine's own services (and
/var/lib/mysql) are never touched. A port taken by someone else between choosing
it and the server's bind moves a first launch to another port (tests/support/ports.py).
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchid.stack.ca import ServerTls
from orchid.stack.servers import (
    app_user_sql,
    change_master_sql,
    free_port,
    install_mariadb_datadir,
    mariadb_socket,
    mariadb_sql,
    mariadbd_argv,
    pubsub_emulator_argv,
    redis_argv,
    redis_ping,
    redis_url,
    replica_status,
    replication_user_sql,
)
from tests.support.ports import (
    START_ATTEMPTS,
    PortTaken,
    listens,
    log_since,
    log_size,
    port_was_taken,
)
from tests.support.waiting import until

START_TIMEOUT = 20.0
STOP_TIMEOUT = 30.0
REPL_USER = "repl"
REPL_PASSWORD = "repl"

# Every process we spawn, so an interpreter that exits without calling stop()
# (a crashed test run, a forgotten fixture) does not leave servers behind.
_live: dict[int, subprocess.Popen[bytes]] = {}
# server_id must be unique across every MariaDB in one replication topology;
# a process-wide counter makes it unique across all of them.
_server_ids = itertools.count(1)
_template_dir: Path | None = None


def _spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a server process with its output appended to `log`."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
    _live[proc.pid] = proc
    return proc


def _terminate(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send `sig` to our own child and reap it (SIGKILL if it outlives the timeout)."""
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    _live.pop(proc.pid, None)


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_live.values()):
        _terminate(proc, signal.SIGKILL)
    if _template_dir is not None:
        shutil.rmtree(_template_dir.parent, ignore_errors=True)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _template() -> Path:
    """Return a freshly initialised datadir, created once per process and then copied."""
    global _template_dir
    if _template_dir is None:
        target = Path(tempfile.mkdtemp(prefix="orchid-mariadb-template-")) / "data"
        install_mariadb_datadir(target)
        _template_dir = target
    return _template_dir


@dataclass
class MariaDB:
    """One mariadbd process on 127.0.0.1:port with its own datadir."""

    port: int
    datadir: Path
    pid: int
    server_id: int
    read_only: bool = False
    tls: ServerTls | None = None  # TLS required on TCP with this certificate
    semisync: bool = False  # semi-synchronous replication, both roles (see mariadbd_argv)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)
    _log_offset: int = field(default=0, repr=False, compare=False)

    @classmethod
    def create(cls, instance_dir: Path, *, read_only: bool = False,
               tls: ServerTls | None = None, semisync: bool = False) -> MariaDB:
        """Copy the template datadir into `instance_dir` and start a server on it."""
        db = cls.spawn(instance_dir, read_only=read_only, tls=tls, semisync=semisync)
        db.wait_ready(may_move=True)
        return db

    @classmethod
    def spawn(cls, instance_dir: Path, *, read_only: bool = False,
              tls: ServerTls | None = None, semisync: bool = False) -> MariaDB:
        """Like create() but return before the server accepts connections."""
        instance_dir.mkdir(parents=True, exist_ok=True)
        datadir = instance_dir / "data"
        shutil.copytree(_template(), datadir)
        db = cls(free_port(), datadir, 0, next(_server_ids), read_only, tls, semisync)
        db._launch()
        return db

    @property
    def socket_path(self) -> Path:
        """The unix socket; root logs in through it (root has no TCP account)."""
        return mariadb_socket(self.datadir.parent, self.port)

    @property
    def error_log(self) -> Path:
        return self.datadir.parent / "error.log"

    def url(self, database: str, user: str = "orchid", password: str = "orchid") -> str:
        """SQLAlchemy URL for the app's asyncmy driver (verifying the server's certificate
        against the CA, with TLS)."""
        url = f"mysql+asyncmy://{user}:{password}@127.0.0.1:{self.port}/{database}?charset=utf8mb4"
        return url if self.tls is None else f"{url}&ssl_ca={self.tls.ca}"

    def running(self) -> bool:
        """True while the mariadbd process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """(Re)start on the same datadir and port, e.g. after stop() or kill()."""
        if not self.running():
            self._launch()
            self.wait_ready()

    def stop(self) -> None:
        """Shut down cleanly (SIGTERM), SIGKILL if it takes longer than the timeout."""
        if self._proc is not None:
            _terminate(self._proc, signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the server, simulating a crash."""
        if self._proc is not None:
            _terminate(self._proc, signal.SIGKILL)

    def sql(self, statement: str, database: str | None = None) -> list[tuple[str, ...]]:
        """Run SQL as root through the `mariadb` client and return the rows.

        Values come back as the client's batch output: strings, NULL as "NULL",
        and tab/newline/backslash escaped as \\t, \\n, \\\\.
        """
        out = self._client(statement, database, column_names=False)
        return [tuple(line.split("\t")) for line in out.splitlines()]

    def slave_status(self) -> dict[str, str]:
        """SHOW SLAVE STATUS as a column -> value dict (empty if not a replica)."""
        return replica_status(self.socket_path)

    def wait_ready(self, timeout: float = START_TIMEOUT, *, may_move: bool = False) -> None:
        """Poll with `SELECT 1` until the server answers; fail with its error log.

        With `may_move` (a first start, before anyone knows the port) a server that could not
        bind its port is launched again on another one.
        """
        deadline = time.monotonic() + timeout
        moves = START_ATTEMPTS - 1 if may_move else 0
        while True:
            if not self.running() and moves and port_was_taken(
                    log_since(self.error_log, self._log_offset)):
                moves -= 1
                self.port = free_port()
                self._launch()
                continue
            if not self.running():
                raise RuntimeError(
                    f"mariadbd on port {self.port} exited during startup:\n{_tail(self.error_log)}"
                )
            try:
                self._client("SELECT 1", None, column_names=False, timeout=5)
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(
                        f"mariadbd on port {self.port} not ready after {timeout}s:\n"
                        f"{_tail(self.error_log)}"
                    ) from None
                time.sleep(0.05)

    def _launch(self) -> None:
        self._log_offset = log_size(self.error_log)
        argv = mariadbd_argv(self.datadir.parent, port=self.port, server_id=self.server_id,
                             read_only=self.read_only, tls=self.tls, semisync=self.semisync)
        self._proc = _spawn(argv, self.error_log)
        self.pid = self._proc.pid

    def _client(self, statement: str, database: str | None, *, column_names: bool,
                timeout: float = 60) -> str:
        return mariadb_sql(self.socket_path, statement, database, column_names=column_names,
                           timeout=timeout)


class MariaDBPair:
    """A primary plus N read-only replicas using GTID replication."""

    def __init__(self, primary: MariaDB, replicas: list[MariaDB]) -> None:
        self.primary = primary
        self.replicas = replicas

    @classmethod
    def start(cls, base_dir: Path, databases: list[str], replicas: int = 1, *,
              tls: ServerTls | None = None, failover: bool = False) -> MariaDBPair:
        """Start the servers, wire replication, create databases and the `orchid` user.

        With `tls` every member requires TLS on TCP and the replicas verify their primary.
        With `failover`, as the stack runs them: semi-synchronous replication, and every member
        starts read-only (a restarted former primary too), the primary opened once running.
        """
        # Spawn everything first and wait afterwards: the servers boot in parallel.
        primary = MariaDB.spawn(base_dir / "primary", tls=tls, read_only=failover,
                                semisync=failover)
        copies = [MariaDB.spawn(base_dir / f"replica{i}", read_only=True, tls=tls,
                                semisync=failover)
                  for i in range(replicas)]
        pair = cls(primary, copies)
        try:
            for db in (primary, *copies):
                db.wait_ready(may_move=True)
            pair._setup(databases)
            if failover:
                primary.sql("SET GLOBAL read_only = 0")
        except BaseException:
            pair.stop()
            raise
        return pair

    def _setup(self, databases: list[str]) -> None:
        # Order matters. The replicas start from an empty gtid_slave_pos, i.e. the
        # primary's first binlog event, so everything created on the primary from
        # here on replicates. Creating anything on a replica directly would give
        # it GTIDs the primary lacks, which gtid_strict_mode rejects.
        self.primary.sql(replication_user_sql(REPL_USER, REPL_PASSWORD))
        for replica in self.replicas:
            ca = self.primary.tls.ca if self.primary.tls is not None else None
            replica.sql(change_master_sql(self.primary.port, REPL_USER, REPL_PASSWORD,
                                          ca_file=ca))
        statements = app_user_sql(databases, "orchid")
        self.primary.sql(";".join(statements))
        self.wait_replicated()

    @property
    def members(self) -> list[MariaDB]:
        """Every server, the primary first."""
        return [self.primary, *self.replicas]

    def follow(self, port: int) -> None:
        """After a failover: the member on `port` is the primary, the others its replicas."""
        members = self.members
        self.primary = next(db for db in members if db.port == port)
        self.replicas = [db for db in members if db is not self.primary]

    def stop(self) -> None:
        """Stop the replicas, then the primary."""
        for db in (*self.replicas, self.primary):
            db.stop()

    def wait_replicated(self, timeout: float = 10.0) -> None:
        """Wait until every running replica has applied all of the primary's binlog."""
        position = self.primary.sql("SELECT @@global.gtid_binlog_pos")[0][0]
        deadline = time.monotonic() + timeout
        for i, replica in enumerate(self.replicas):
            if not replica.running():
                continue
            remaining = max(deadline - time.monotonic(), 0.0)
            # MASTER_GTID_WAIT returns 0 once applied, -1 on timeout.
            got = replica.sql(f"SELECT MASTER_GTID_WAIT('{position}', {remaining:.3f})")
            if got[0][0] != "0":
                raise TimeoutError(
                    f"replica {i} did not reach GTID {position} within {timeout}s: "
                    f"{replica.slave_status()}"
                )

    def pause_replica(self, i: int = 0) -> None:
        """Stop applying on replica i (it keeps fetching), so it lags behind."""
        self.replicas[i].sql("STOP SLAVE SQL_THREAD")

    def resume_replica(self, i: int = 0) -> None:
        """Resume applying on replica i."""
        self.replicas[i].sql("START SLAVE SQL_THREAD")


@dataclass
class Redis:
    """One redis-server process on 127.0.0.1:port, files in its own folder."""

    port: int
    pid: int
    dir: Path
    appendonly: bool = False
    tls: ServerTls | None = None  # TLS only, with this certificate: no plain port
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def start(cls, base_dir: Path, appendonly: bool = False, *,
              tls: ServerTls | None = None) -> Redis:
        """Start a redis-server whose files live in `base_dir`."""
        base_dir.mkdir(parents=True, exist_ok=True)
        server = cls(free_port(), 0, base_dir, appendonly, tls)
        for _ in range(START_ATTEMPTS - 1):
            try:
                server.start_again()
                return server
            except PortTaken:
                server.port = free_port()  # nobody knows this server's port yet
        server.start_again()
        return server

    def url(self, db: int = 0) -> str:
        """redis:// URL for redis-py (rediss:// verifying against the CA, with TLS)."""
        return redis_url(self.port, db, ca_file=self.tls.ca if self.tls is not None else None)

    def running(self) -> bool:
        """True while the redis-server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """Shut down cleanly (SIGTERM makes Redis flush its append-only file)."""
        if self._proc is not None:
            _terminate(self._proc, signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the server, simulating a crash."""
        if self._proc is not None:
            _terminate(self._proc, signal.SIGKILL)

    def start_again(self) -> None:
        """(Re)start on the same port and folder (an append-only file is reloaded)."""
        if self.running():
            return
        argv = redis_argv(self.dir, port=self.port, appendonly=self.appendonly, tls=self.tls)
        offset = log_size(self.dir / "redis.log")
        self._proc = _spawn(argv, self.dir / "redis.log")
        self.pid = self._proc.pid
        self._wait_ready(offset)

    def _wait_ready(self, log_offset: int, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.running():
                failure = PortTaken if port_was_taken(
                    log_since(self.dir / "redis.log", log_offset)) else RuntimeError
                raise failure(
                    f"redis-server on port {self.port} exited during startup:\n"
                    f"{_tail(self.dir / 'redis.log')}"
                )
            # Our own process must hold the port: a PONG alone may come from another suite's
            # Redis that took the port first (ours is about to exit, unable to bind).
            ca = self.tls.ca if self.tls is not None else None
            if redis_ping(self.port, ca) and listens(self.pid, self.port):
                return
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(
                    f"redis-server on port {self.port} not ready after {timeout}s:\n"
                    f"{_tail(self.dir / 'redis.log')}"
                )
            time.sleep(0.02)


@dataclass
class PubSubEmulator:
    """The Google Cloud CLI's Pub/Sub emulator on 127.0.0.1:port (its state is in memory)."""

    port: int
    dir: Path
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def start(cls, base_dir: Path) -> PubSubEmulator:
        base_dir.mkdir(parents=True, exist_ok=True)
        emulator = cls(free_port(), base_dir)
        emulator.start_again()
        return emulator

    @property
    def host(self) -> str:
        """What PUBSUB_EMULATOR_HOST says."""
        return f"127.0.0.1:{self.port}"

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start_again(self, timeout: float = 60.0) -> None:
        """(Re)start on the same port: empty, with no topics."""
        if self.running():
            return
        log = self.dir / "emulator.log"
        self._proc = _spawn(pubsub_emulator_argv(self.dir, port=self.port), log)
        proc = self._proc

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"Pub/Sub emulator on {self.port} exited:\n{_tail(log)}")
            # The launcher execs java: the pid we hold is the server's.
            return self._answers() and listens(proc.pid, self.port)

        try:
            until(ready, timeout=timeout, what=f"the Pub/Sub emulator on {self.port}")
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                return b"Ok" in conn.recv(1024)
        except OSError:
            return False

    def stop(self) -> None:
        if self._proc is not None:
            _terminate(self._proc, signal.SIGTERM)
