"""Swap a restored database in for the live data: on the live primary, so the replicas, the
binlog archive and the running app follow without a restart.

    report = swap_in(targets, load_restored(Path("/srv/restore-1015")))

1. check: the restored schema is at the live schema's migration (the running app expects the
   live tables), both hold the same tables, no online schema change is under way (its triggers
   cannot move between schemas), and the cluster has one primary;
2. copy the restored tables into a staging schema on the live primary (`mariadb-dump
   --single-transaction` piped into `mariadb`). It is written to the binlog like any change, so
   the replicas and the archive receive it; the shop keeps selling meanwhile;
3. check the copy: every staged table's CHECKSUM TABLE equals the restored server's; wait until
   every replica has applied it;
4. fence writes (`read_only=1` on the primary) and give requests in flight `drain` seconds to
   meet the fence: a checkout is several transactions, and one whose order was written before
   the cut-over must not write its payment after it. The app answers 503 meanwhile, and a
   client retrying with its Idempotency-Key checks out again on the restored data;
5. cut over in one RENAME TABLE statement: every live table into `<schema>_before_<stamp>`,
   every staged one into the live schema. It is atomic on the primary and then on each replica;
   then lift the fence and drop the emptied staging schema.

Nothing is deleted: what the live tables held, the writes after T among it, stays in
`<schema>_before_<stamp>` for inspection and for copying rows back. Because the swap itself is in
the binlog, a later point-in-time restore can go to either side of it. A failure before the
cut-over drops the staging schema and leaves the live data as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orchid.ops import mysql, topology
from orchid.ops.restore import Restored
from orchid.ops.targets import Admin, Cluster, Member, Targets, client_options
from orchid.stack.servers import binary

Step = Callable[[str], None]
VERSION_TABLE = "alembic_version"
REPLICA_TIMEOUT = 300.0  # for the replicas to apply the staged copy
DRAIN = 2.0  # seconds of fenced writes before the cut-over: far longer than a checkout's steps
RENAME_LOCK_WAIT = 30  # seconds the cut-over waits for running transactions' locks


class SwapRefused(RuntimeError):
    """A check failed before the cut-over; the live data is as it was."""


@dataclass
class SwapReport:
    """What a swap did."""

    database: str
    primary: str
    discarded: str  # the schema now holding the tables that were live
    tables: int
    rows: int
    to: datetime  # the restored point
    staged_seconds: float = 0.0
    fenced_seconds: float = 0.0  # writes refused (503): the drain and the cut-over
    cut_over_seconds: float = 0.0  # the RENAME itself
    replicas: list[str] = field(default_factory=list)


def swap_in(targets: Targets, restored: Restored, *, step: Step = lambda _: None,
            clock: Callable[[], datetime] = lambda: datetime.now(UTC),
            replica_timeout: float = REPLICA_TIMEOUT, drain: float = DRAIN) -> SwapReport:
    """Make the restored server's data the live data of its database."""
    cluster = targets.cluster(restored.database)
    schema = cluster.schema
    primary = topology.primary_member(cluster)
    if primary is None:
        raise SwapRefused(f"{cluster.database} has no single writable primary now "
                          "(`orchid ops flags`): settle that first")
    tables = _check(cluster, primary, restored)
    stamp = clock().astimezone(UTC).strftime("%Y%m%d%H%M%S")
    staged, discarded = f"{schema}_restored_{stamp}", f"{schema}_before_{stamp}"
    report = SwapReport(cluster.database, primary.name, discarded, len(tables), 0, restored.to)
    began = time.monotonic()
    charset, collation = _schema_charset(cluster, primary)
    _sql(cluster, primary, f"CREATE DATABASE `{staged}` CHARACTER SET {charset} "
                           f"COLLATE {collation}")
    try:
        step(f"copying {len(tables)} tables into {staged} on {primary.name}")
        _copy(cluster, primary, restored, tables, staged)
        step("checking the copy table by table (CHECKSUM TABLE)")
        report.rows = _compare(cluster, primary, restored, tables, staged)
        report.replicas = _wait_replicas(cluster, primary, replica_timeout, step)
    except BaseException:
        _sql(cluster, primary, f"DROP DATABASE IF EXISTS `{staged}`")
        raise
    report.staged_seconds = time.monotonic() - began
    _sql(cluster, primary, f"CREATE DATABASE `{discarded}` CHARACTER SET {charset} "
                           f"COLLATE {collation}")
    step(f"fencing writes on {primary.name} for {drain:.1f} s, then cutting over: the live "
         f"tables into {discarded}, the restored ones in")
    fenced = time.monotonic()
    # The operator's account keeps writing through the fence (READ ONLY ADMIN); the app's not.
    _sql(cluster, primary, "SET GLOBAL read_only = 1")
    try:
        time.sleep(drain)  # the grace for requests in flight, not a wait for a condition
        began = time.monotonic()
        _sql(cluster, primary, f"SET SESSION lock_wait_timeout = {RENAME_LOCK_WAIT}; "
                               + rename_sql(schema, staged, discarded, tables))
        report.cut_over_seconds = time.monotonic() - began
    except BaseException:  # the RENAME is atomic: nothing moved
        _sql(cluster, primary, f"DROP DATABASE IF EXISTS `{staged}`; "
                               f"DROP DATABASE IF EXISTS `{discarded}`")
        raise
    finally:
        _sql(cluster, primary, "SET GLOBAL read_only = 0")
        report.fenced_seconds = time.monotonic() - fenced
    _sql(cluster, primary, f"DROP DATABASE `{staged}`")  # empty now
    return report


def rename_sql(schema: str, staged: str, discarded: str, tables: list[str]) -> str:
    """One statement: atomic, so no reader ever sees a mix of the two (or a missing table)."""
    out = [f"`{schema}`.`{t}` TO `{discarded}`.`{t}`" for t in tables]
    into = [f"`{staged}`.`{t}` TO `{schema}`.`{t}`" for t in tables]
    return "RENAME TABLE " + ", ".join(out + into)


def _check(cluster: Cluster, primary: Member, restored: Restored) -> list[str]:
    """The tables to swap (the schema's own, not an online change's shadow tables)."""
    schema = cluster.schema
    live, mine = _tables(cluster, primary), _tables(cluster, restored.member, as_root=True)
    if not mine:
        raise SwapRefused(f"the restored server holds no tables in {schema}")
    if set(live) != set(mine):
        raise SwapRefused(f"the tables differ: only live {sorted(set(live) - set(mine))}, only "
                          f"restored {sorted(set(mine) - set(live))}")
    if VERSION_TABLE in live:
        query = f"SELECT version_num FROM `{schema}`.`{VERSION_TABLE}`"
        now = sorted(str(r[0]) for r in _rows(cluster, primary, query))
        then = sorted(str(r[0]) for r in _rows(cluster, restored.member, query, as_root=True))
        if now != then:
            raise SwapRefused(f"the restored schema is at migration {then}, the live one at "
                              f"{now}: the running app expects the live one (upgrade the "
                              "restored server with `orchid db upgrade` pointed at it first)")
    triggers = _rows(cluster, primary, "SELECT trigger_name FROM information_schema.triggers "
                                       f"WHERE trigger_schema = '{schema}'")
    if triggers:
        raise SwapRefused(f"{schema} has triggers ({', '.join(str(r[0]) for r in triggers)}): an "
                          "online schema change is under way; finish or panic it first")
    return sorted(mine)


def _tables(cluster: Cluster, member: Member, *, as_root: bool = False) -> list[str]:
    # Names with a leading underscore are an online schema change's shadow or old tables.
    rows = _rows(cluster, member, "SELECT table_name FROM information_schema.tables WHERE "
                                  f"table_schema = '{cluster.schema}' AND "
                                  "table_type = 'BASE TABLE'", as_root=as_root)
    return [str(row[0]) for row in rows if not str(row[0]).startswith("_")]


def _copy(cluster: Cluster, primary: Member, restored: Restored, tables: list[str],
          staged: str) -> None:
    """mariadb-dump from the restored server, streamed into the staging schema."""
    log = restored.folder / "swap.log"
    with client_options(restored.member, Admin()) as source, \
            client_options(primary, cluster.admin) as target:
        reader = [binary("mariadb-dump"), f"--defaults-file={source}", "--single-transaction",
                  "--skip-lock-tables", "--skip-triggers", "--hex-blob", "--no-create-db",
                  "--quick", cluster.schema, *tables]
        writer = [binary("mariadb"), f"--defaults-file={target}", "--batch",
                  "--connect-timeout=5", staged]
        dumped, loaded = mysql.stream(reader, writer, log)
    if dumped != 0 or loaded != 0:
        raise SwapRefused(f"copying the restored tables failed (dump {dumped}, load {loaded}); "
                          f"{log} ends:\n{mysql.log_tail(log)}")


def _compare(cluster: Cluster, primary: Member, restored: Restored, tables: list[str],
             staged: str) -> int:
    """Every staged table's checksum as the restored one's; the rows copied."""
    def checksums(member: Member, schema: str, *, as_root: bool = False) -> dict[str, object]:
        names = ", ".join(f"`{schema}`.`{t}`" for t in tables)
        return {str(row[0]).split(".", 1)[1]: row[1] for row in
                _rows(cluster, member, "CHECKSUM TABLE " + names, as_root=as_root)}

    theirs = checksums(restored.member, cluster.schema, as_root=True)
    ours = checksums(primary, staged)
    differ = sorted(t for t in tables if theirs.get(t) != ours.get(t))
    if differ:
        raise SwapRefused(f"the staged copy differs from the restored server in {differ}")
    counts = [f"(SELECT COUNT(*) FROM `{staged}`.`{t}`)" for t in tables]
    return int(_rows(cluster, primary, "SELECT " + " + ".join(counts))[0][0] or 0)


def _wait_replicas(cluster: Cluster, primary: Member, timeout: float, step: Step) -> list[str]:
    """Every running replica has applied the staged copy: the cut-over then lands on replicas
    that hold the tables it renames."""
    position = mysql.value(primary, cluster.admin, "SELECT @@global.gtid_binlog_pos") or ""
    waited = []
    for state in topology.read(cluster).states:
        if state.name == primary.name:
            continue
        if not state.reachable:
            step(f"  {state.name} is down: it receives the swap when it replicates again")
            continue
        if not state.replicating:
            step(f"  {state.name} replicates from no one: it keeps the old data; rebuild it")
            continue
        if not topology.gtid_wait(cluster, cluster.member(state.name), position, timeout):
            raise SwapRefused(f"{state.name} did not apply the staged copy within "
                              f"{timeout:.0f} s (`orchid ops flags`)")
        waited.append(state.name)
    return waited


def _schema_charset(cluster: Cluster, primary: Member) -> tuple[str, str]:
    [(charset, collation)] = _rows(
        cluster, primary, "SELECT default_character_set_name, default_collation_name FROM "
                          f"information_schema.schemata WHERE schema_name = '{cluster.schema}'")
    return str(charset), str(collation)


def _rows(cluster: Cluster, member: Member, statement: str, *,
          as_root: bool = False) -> list[tuple[str | None, ...]]:
    """Rows as tuples; `as_root` for the restored server (root on its socket), else the
    cluster's operator account."""
    admin = Admin() if as_root else cluster.admin
    return [tuple(row.values()) for row in mysql.run(member, admin, statement)]


def _sql(cluster: Cluster, member: Member, statement: str) -> None:
    mysql.run(member, cluster.admin, statement, timeout=RENAME_LOCK_WAIT + 60)
