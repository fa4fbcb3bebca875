"""One logical database: a primary for writes and replicas for reads, routed with care.

    db = Database("main", primary_url, [replica_url], max_lag=2, retry_after=5)
    await db.start()                                  # begins watching replica health and lag
    async with db.write() as session:                 # primary, one transaction, committed on exit
        session.add(row)
    product = await db.read(lambda s: repo.get(s, slug="kajal"))   # a healthy replica

Routing rules:
- writes go to the primary; afterwards the same client reads from the primary for a window
  (see `orchid.kit.consistency`);
- reads go round-robin to replicas that are up and whose lag is within `max_lag`;
- a replica that fails a read is marked down for `retry_after` seconds and the read is retried on
  the next candidate, the primary last; a replica whose SQL thread is stopped or that lags is
  skipped until the watcher sees it caught up;
- the node that served is counted in `orchid_db_sessions_total`.

Following the primary: every URL is a member. When a write finds the primary gone or read-only
(MariaDB error 1290, after a failover fenced it), and on every watcher round, the router asks
the members which one is writable and replicates from no one, and makes that one the primary —
the app follows a failover without a restart. The failed write still fails (503
`database_unavailable`; a client retries it with its Idempotency-Key). When no member, or more
than one, qualifies, nothing changes: the router never guesses between two writable servers.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from sqlalchemy import URL, event, make_url, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from orchid.kit import consistency
from orchid.kit.clock import Clock
from orchid.kit.doorbell import Doorbell
from orchid.kit.errors import Unavailable
from orchid.kit.metrics import DB_NODE_SKIPPED, DB_SESSIONS

T = TypeVar("T")
log = structlog.get_logger("orchid.db")
CONNECTION_ERRORS = (OperationalError, InterfaceError, OSError, TimeoutError)
READ_ONLY = 1290  # ER_OPTION_PREVENTS_STATEMENT: the server runs with --read-only
WRITE_OPTION = "orchid_write"
# Set in a session's info by a write that left rows for the outbox relay (kit/outbox.py).
OUTBOX_WRITTEN = "orchid_outbox_written"


# MariaDB: 1213 deadlock (the transaction was rolled back), 1205 lock wait timeout.
LOCK_CONFLICTS = frozenset({1205, 1213})


class DatabaseBusy(Unavailable):
    """A write lost a lock conflict (deadlock, lock wait timeout) and was rolled back whole."""

    code, title = "database_busy", "Database busy"


def is_lock_conflict(exc: BaseException) -> bool:
    """True for a deadlock or lock wait timeout, after which the whole transaction may rerun."""
    if isinstance(exc, DatabaseBusy):
        return True
    if not isinstance(exc, OperationalError) or exc.orig is None or not exc.orig.args:
        return False
    return exc.orig.args[0] in LOCK_CONFLICTS


class DatabaseDown(Unavailable):
    """The primary of a database cannot be reached."""

    code, title = "database_unavailable", "Database unavailable"


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """Create an async engine with settings fit for the URL's backend."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
            cursor = dbapi_conn.cursor()
            # WAL lets readers run beside the single writer; foreign keys are off by default.
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                           "busy_timeout=30000"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # SQLite ignores FOR UPDATE; a write transaction takes the write lock up front instead,
            # so what it reads cannot change before it writes.
            immediate = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # A checkout waiting 50 s (InnoDB's default) for a row lock is worse than failing fast and
    # retrying; UTC so NOW() agrees with the application's clock.
    session_setup = "SET SESSION innodb_lock_wait_timeout = 5, time_zone = '+00:00'"
    parsed, tls = server_tls(make_url(url))
    return create_async_engine(parsed, pool_size=pool_size, max_overflow=pool_size,
                               pool_recycle=1800, pool_pre_ping=True,
                               connect_args={"connect_timeout": 2,
                                             "init_command": session_setup, **tls})


def server_tls(url: URL) -> tuple[URL, dict[str, ssl.SSLContext]]:
    """Turn a MySQL URL's `ssl_ca` into the driver's verified TLS (the CA's certificate must
    have signed the server's, for the URL's host); return the URL without it.

    `?ssl_ca=/path/ca.pem` is SQLAlchemy's documented MySQL parameter; it is handled here so
    that verification never depends on the driver's defaults (TLS 1.2 or later, hostname
    checked). Other `ssl_*` parameters are refused rather than half-applied.
    """
    others = sorted(k for k in url.query if k.startswith("ssl") and k != "ssl_ca")
    if others:
        raise ValueError(f"unsupported TLS parameters in the database URL: {others}; "
                         "give only ssl_ca (the CA that signed the server's certificate)")
    ca = url.query.get("ssl_ca")
    if ca is None:
        return url, {}
    if not isinstance(ca, str):
        raise ValueError("ssl_ca given more than once in the database URL")
    context = ssl.create_default_context(cafile=ca)  # CERT_REQUIRED, hostname checked
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return url.difference_update_query(["ssl_ca"]), {"ssl": context}


@dataclass
class Node:
    """One server of the database and what we know of its health."""

    name: str
    role: str  # "primary" | "replica"
    engine: AsyncEngine
    address: str = ""  # host:port, for logs (never the URL: it holds the password)
    sessions: async_sessionmaker[AsyncSession] = field(init=False)
    down_until: float = 0.0
    lagging: bool = False
    lag_seconds: float | None = None
    last_error: str | None = None

    def __post_init__(self) -> None:
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def usable(self, now: float) -> bool:
        """True when reads may be sent here."""
        return now >= self.down_until and not self.lagging


class Database:
    """A primary and its replicas behind one read/write interface."""

    def __init__(self, name: str, primary_url: str, replica_urls: list[str] | None = None, *,
                 max_lag: float = 2.0, retry_after: float = 5.0, check_interval: float = 1.0,
                 ryw_window: float = 5.0, pool_size: int = 10,
                 clock: Clock = time.monotonic, doorbell: Doorbell | None = None) -> None:
        self.name, self._clock = name, clock
        # Rung after a write that left rows for a poller (OUTBOX_WRITTEN): the outbox relay.
        self.doorbell = doorbell or Doorbell(f"orchid:outbox:{name}")
        self.primary = Node("primary", "primary", make_engine(primary_url, pool_size=pool_size),
                            _address(primary_url))
        self.replicas = [Node(f"replica-{i + 1}", "replica", make_engine(url, pool_size=pool_size),
                              _address(url))
                         for i, url in enumerate(replica_urls or [])]
        self.members = [self.primary, *self.replicas]  # fixed order; roles change in place
        self._follow_lock = asyncio.Lock()
        self._follow_rounds = 0
        self.max_lag, self.retry_after = max_lag, retry_after
        self.check_interval, self.ryw_window = check_interval, ryw_window
        self.served: Counter[str] = Counter()
        self._turn = itertools.count()
        self._watcher: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def dialect(self) -> str:
        """The SQL dialect name ('mysql', 'sqlite')."""
        return self.primary.engine.dialect.name

    async def start(self) -> None:
        """Check replicas once and keep watching them in the background (again after close)."""
        self._closed = False  # an app's lifespan may run more than once (test clients do)
        if self.replicas and self._watcher is None:
            await self.check_replicas()
            self._watcher = asyncio.create_task(self._watch(), name=f"db-watch-{self.name}")

    async def close(self) -> None:
        """Stop watching and dispose every pool; the database refuses any use until started."""
        self._closed = True
        if self._watcher is not None:
            self._watcher.cancel()
            try:
                await self._watcher
            except asyncio.CancelledError:
                pass
            self._watcher = None
        for node in self.members:
            await node.engine.dispose()

    def _open(self) -> None:
        # A disposed engine quietly opens a new pool, whose connections nobody would close.
        if self._closed:
            raise RuntimeError(f"the {self.name} database is closed")

    def _count(self, node: Node) -> None:
        self.served[node.name] += 1
        DB_SESSIONS.labels(self.name, node.name, node.role).inc()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """Open a transaction on the primary; commit on success, roll back on error."""
        self._open()
        primary = self.primary
        self._count(primary)
        try:
            async with primary.sessions() as session, session.begin():
                await session.connection(execution_options={WRITE_OPTION: True})
                yield session
            if session.info.get(OUTBOX_WRITTEN):
                self.doorbell.ring()
        except (*CONNECTION_ERRORS, DBAPIError) as exc:
            if is_lock_conflict(exc):
                # Rolled back whole by the server: the client may send it again (checkouts carry
                # an Idempotency-Key), so a 503 to retry, never a 500.
                raise DatabaseBusy(f"{self.name}: another transaction held the rows; "
                                   "retry") from exc
            read_only = _is_read_only(exc)
            if not (read_only or _is_connection_error(exc)):
                raise
            # The primary died or was fenced: find the new one for the next attempt.
            await self.follow_primary()
            why = "read-only" if read_only else "unreachable"
            raise DatabaseDown(f"{self.name} primary {why}") from exc
        consistency.note_write(self.ryw_window)

    def _read_candidates(self) -> list[Node]:
        if not self.replicas or consistency.reads_need_primary():
            return [self.primary]
        now = self._clock()
        start = next(self._turn)
        ordered = [self.replicas[(start + i) % len(self.replicas)]
                   for i in range(len(self.replicas))]
        usable = []
        for node in ordered:
            if node.usable(now):
                usable.append(node)
            else:
                reason = "lagging" if node.lagging else "down"
                DB_NODE_SKIPPED.labels(self.name, node.name, reason).inc()
        return [*usable, self.primary]

    async def read(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run the read-only `fn` on the best node, falling back node by node on failure."""
        self._open()
        candidates = self._read_candidates()
        for node in candidates:
            try:
                async with node.sessions() as session:
                    result = await fn(session)
                self._count(node)
                return result
            except CONNECTION_ERRORS as exc:
                if not _is_connection_error(exc):
                    raise
                if node is self.primary:
                    await self.follow_primary()
                    raise DatabaseDown(f"{self.name} primary unreachable") from exc
                self._mark_down(node, exc)
        raise DatabaseDown(f"{self.name}: no node could serve the read")  # pragma: no cover

    def _mark_down(self, node: Node, exc: BaseException) -> None:
        node.down_until = self._clock() + self.retry_after
        node.last_error = str(exc).splitlines()[0][:200]
        DB_NODE_SKIPPED.labels(self.name, node.name, "error").inc()
        log.warning("db_replica_down", database=self.name, node=node.name, error=node.last_error,
                    retry_in=self.retry_after)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval)
            try:
                await self.check_replicas()
            except Exception:  # the watcher must outlive any surprise
                log.exception("db_watch_failed", database=self.name)

    async def check_replicas(self) -> None:
        """Probe every replica's reachability and lag, and that the primary still is one."""
        self._open()
        await asyncio.gather(*(self._check(node) for node in self.replicas))
        await self.follow_primary()

    async def follow_primary(self) -> bool:
        """Make the writable member that replicates from no one the primary, if it is not
        already; True when the primary changed. Callers that arrive while a round runs share
        its answer."""
        if not self.replicas or self.dialect != "mysql":
            return False
        round_seen = self._follow_rounds
        async with self._follow_lock:
            if self._follow_rounds != round_seen:
                return False  # another caller just asked the members
            self._follow_rounds += 1
            if await _role(self.primary) == "primary":
                return False
            others = [n for n in self.members if n is not self.primary]
            roles = await asyncio.gather(*(_role(n) for n in others))
            writable = [n for n, role in zip(others, roles, strict=True) if role == "primary"]
            if len(writable) != 1:
                if len(writable) > 1:
                    log.error("db_several_writable", database=self.name,
                              members=[n.address for n in writable])
                return False
            self._swap(writable[0])
            return True

    def _swap(self, new: Node) -> None:
        """`new` becomes the primary and the old primary takes its place among the replicas
        (names follow the roles, so metrics stay per role)."""
        old = self.primary
        self.replicas[self.replicas.index(new)] = old
        self.primary = new
        old.name, new.name = new.name, old.name
        old.role, new.role = "replica", "primary"
        new.down_until, new.lagging, new.last_error = 0.0, False, None
        # Reads skip the old primary until the watcher sees it replicating.
        old.lagging = True
        log.warning("db_primary_changed", database=self.name, primary=new.address,
                    previous=old.address)

    async def _check(self, node: Node) -> None:
        now = self._clock()
        if now < node.down_until:
            return
        try:
            async with node.engine.connect() as conn:
                rows = (await conn.execute(text("SHOW SLAVE STATUS"))).mappings().all()
        except CONNECTION_ERRORS as exc:
            if node.down_until == 0.0 or node.last_error is None:
                self._mark_down(node, exc)
            else:
                node.down_until = self._clock() + self.retry_after
            return
        if node.last_error is not None:
            log.info("db_replica_up", database=self.name, node=node.name)
        node.down_until, node.last_error = 0.0, None
        was_lagging = node.lagging
        node.lagging, node.lag_seconds = _lagging(rows, self.max_lag)
        if node.lagging != was_lagging:
            log.warning("db_replica_lag", database=self.name, node=node.name,
                        lagging=node.lagging, lag_seconds=node.lag_seconds)

    async def ping(self) -> bool:
        """True when the primary answers."""
        self._open()
        try:
            async with self.primary.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except CONNECTION_ERRORS:
            return False

    def status(self) -> list[dict[str, Any]]:
        """Describe each node: role, usable, lag, last error, sessions served."""
        now = self._clock()
        return [{"node": n.name, "role": n.role, "address": n.address, "usable": n.usable(now),
                 "lagging": n.lagging, "lag_seconds": n.lag_seconds, "error": n.last_error,
                 "served": self.served[n.name]} for n in (self.primary, *self.replicas)]


def _lagging(rows: Sequence[Any], max_lag: float) -> tuple[bool, float | None]:
    """Decide from SHOW SLAVE STATUS whether a replica is too far behind to serve reads."""
    if not rows:
        return True, None  # not replicating at all: its data may be anything
    row = rows[0]
    if row.get("Slave_SQL_Running") != "Yes":
        return True, None  # applier stopped: every new write is missing
    lag = row.get("Seconds_Behind_Master")
    # With the IO thread disconnected (primary down) lag is NULL; the replica still serves.
    if lag is None:
        return False, None
    return float(lag) > max_lag, float(lag)


async def _role(node: Node) -> str:
    """What a member says it is: primary (writable, no replication configured), replica,
    read-only (fenced, replicating from no one) or down."""
    try:
        async with node.engine.connect() as conn:
            read_only = (await conn.execute(text("SELECT @@global.read_only"))).scalar_one()
            replicating = (await conn.execute(text("SHOW SLAVE STATUS"))).first() is not None
    except (*CONNECTION_ERRORS, DBAPIError):
        return "down"
    if replicating:
        return "replica"
    return "read-only" if int(read_only) else "primary"


def _address(url: str) -> str:
    parsed = make_url(url)
    return f"{parsed.host}:{parsed.port}" if parsed.host else parsed.database or ""


def _is_read_only(exc: BaseException) -> bool:
    """The server refused a write because it runs read-only (a fenced former primary)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None and exc.orig.args:
        return bool(exc.orig.args[0] == READ_ONLY)
    return False


def _is_connection_error(exc: BaseException) -> bool:
    """Tell a lost/refused connection from a SQL error that happens to share the exception type."""
    if isinstance(exc, OSError | TimeoutError | InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
        # MySQL client errors 2002/2003/2006/2013 and server shutdown 1053; sqlite has no server.
        return code in {2002, 2003, 2005, 2006, 2013, 1053, 1927} or exc.connection_invalidated
    return False
