"""Online schema change: gh-ost with the architecture's exact command where it is installed,
pt-online-schema-change (Debian's percona-toolkit) with the same controls everywhere else.

    change = Change("main", "orchid_main", "orders", "ADD COLUMN gift_note VARCHAR(200) NULL")
    run(cluster, change, postpone=True)     # copies, then waits for the cut-over
    request_cut_over(change)                # from another shell: remove the postpone flag
    request_panic(change)                   # or stop it: the original table is left as it was

Both tools copy the table in chunks of 1000 rows into a shadow table while the shop keeps
writing, and swap it in at the end. pt-osc keeps the shadow table in sync with triggers; it runs
here with its own swap switched off, and the cut-over is ours (cut_over below): the children's
foreign keys are moved to the new table and the tables swapped while writers wait, which
pt-osc's `rebuild_constraints` cannot do without a moment where checkouts fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncmy

from orchid.ops import mysql, topology
from orchid.ops.targets import Admin, Cluster, Member, option_file
from orchid.stack.servers import binary

CHUNK_SIZE = 1000
MAX_LAG_SECONDS = 1.5
CRITICAL_LOAD = "Threads_running=1000"
RETRIES = 120
# gh-ost's flags from docs/architecture, in its order, after the connection and --alter.
GHOST_CONTROLS = (f"--critical-load={CRITICAL_LOAD}", f"--chunk-size={CHUNK_SIZE}",
                  f"--max-lag-millis={int(MAX_LAG_SECONDS * 1000)}", "--allow-on-master",
                  "--switch-to-rbr", "--exact-rowcount", "--concurrent-rowcount",
                  f"--default-retries={RETRIES}")
# pt-osc retries each critical step as gh-ost's --default-retries does: operation:tries:wait.
PTOSC_TRIES = ",".join(f"{operation}:{RETRIES}:{wait}" for operation, wait in (
    ("create_triggers", 1), ("drop_triggers", 1), ("copy_rows", 0.25), ("swap_tables", 1),
    ("update_foreign_keys", 1), ("analyze_table", 1)))
# Where pt-osc reads the replicas to watch (--recursion-method=dsn): the primary only.
OPS_SCHEMA, DSN_TABLE = "orchid_ops", "ptosc_dsns"
PROGRESS = re.compile(r"Copying .+?:\s+(\d+)% ")
POLL = 0.2


class SchemaChangeFailed(RuntimeError):
    """The online tool failed, was stopped, or left something behind that must be looked at."""


@dataclass(frozen=True)
class Change:
    """One ALTER of one table (`alter` without the ALTER TABLE words, as both tools take it)."""

    database: str  # "main" | "warehouse"
    schema: str
    table: str
    alter: str
    flags_dir: Path = Path("/tmp")  # gh-ost's flag files live in /tmp in the architecture

    @property
    def panic_flag(self) -> Path:
        return self.flags_dir / f"ghost_{self.table}.panic.flag"

    @property
    def postpone_flag(self) -> Path:
        return self.flags_dir / f"ghost_{self.table}.postpone.flag"

    @property
    def pause_flag(self) -> Path:
        """pt-osc's --pause-file: the copy waits while it exists (gh-ost: throttle flag)."""
        return self.flags_dir / f"ghost_{self.table}.pause.flag"

    @property
    def new_table(self) -> str:
        return f"_{self.table}_new"

    @property
    def old_table(self) -> str:
        return f"_{self.table}_old"

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(f"pt_osc_{self.schema}_{self.table}_{kind}" for kind in ("del", "upd", "ins"))


def ghost_command(change: Change, *, primary: Member, replicas: list[Member], user: str,
                  conf: Path, ca_file: Path | None = None) -> list[str]:
    """The architecture's gh-ost command for `change` on `primary`; the password is in `conf`.

    `--conf` is gh-ost's [client] option file, so no password is ever on the command line.
    `--throttle-control-replicas` is the one flag added: with --allow-on-master gh-ost measures
    lag on the server it is connected to (the primary, never behind) unless told the replicas.
    """
    argv = ["gh-ost", f"--user={user}", f"--conf={conf}", f"--host={primary.host}",
            f"--port={primary.port}", f"--database={change.schema}", f"--table={change.table}",
            "--verbose", f"--alter={change.alter}", *GHOST_CONTROLS,
            f"--panic-flag-file={change.panic_flag}",
            f"--postpone-cut-over-flag-file={change.postpone_flag}",
            "--execute", "--initially-drop-ghost-table", "--replica-server-id=10000"]
    if replicas:
        argv.append("--throttle-control-replicas="
                    + ",".join(f"{m.host}:{m.port}" for m in replicas))
    if ca_file is not None:
        argv += ["--ssl", f"--ssl-ca={ca_file}"]
    return argv


def ptosc_command(change: Change, *, primary: Member, defaults_file: Path,
                  watch_replicas: bool) -> list[str]:
    """pt-online-schema-change with gh-ost's controls; it copies and leaves the swap to us."""
    return ["pt-online-schema-change", f"--alter={change.alter}", "--execute",
            f"--chunk-size={CHUNK_SIZE}", f"--max-lag={MAX_LAG_SECONDS}",
            f"--critical-load={CRITICAL_LOAD}", f"--tries={PTOSC_TRIES}",
            f"--pause-file={change.pause_flag}",
            # The cut-over is ours (cut_over.py); the triggers and the new table stay for it.
            "--no-swap-tables", "--no-drop-new-table", "--no-drop-triggers",
            "--no-drop-old-table", "--alter-foreign-keys-method=none", "--force",
            "--charset=utf8mb4", "--progress=percentage,1", "--no-version-check",
            # No gap locks on the chunk it copies: fewer deadlocks with checkouts at the tail.
            "--set-vars=tx_isolation='READ-COMMITTED'",
            (f"--recursion-method=dsn=D={OPS_SCHEMA},t={DSN_TABLE}" if watch_replicas
             else "--recursion-method=none"),
            f"F={defaults_file},{_dsn(primary)},D={change.schema},t={change.table}"]


def _dsn(member: Member) -> str:
    # A member on this machine is reached through its socket (the stack's root has no TCP login).
    if member.socket is not None:
        return f"h=localhost,S={member.socket}"
    return f"h={member.host},P={member.port}"


@contextmanager
def credentials_file(admin: Admin) -> Iterator[Path]:
    """A 0600 [client] file with the operator's login: read by pt-osc (F=) and gh-ost (--conf)."""
    lines = ["[client]", f"user={admin.user}"]
    if admin.password is not None:
        lines.append(f"password={admin.password}")
    if admin.ca_file is not None:
        lines.append(f"ssl-ca={admin.ca_file}")
    with option_file(lines, prefix="orchid-osc-") as path:
        yield path


# --- which member, and whether MariaDB can do it instantly ----------------------------------

def primary_of(cluster: Cluster) -> Member:
    """The member that takes writes now, read from the servers' flags (ops/topology.py)."""
    member = topology.primary_member(cluster)
    if member is None:
        raise SchemaChangeFailed(f"{cluster.database}: no single reachable writable primary")
    return member


def instant_possible(cluster: Cluster, primary: Member, change: Change) -> bool:
    """True when MariaDB does the ALTER with ALGORITHM=INSTANT (tried on an empty copy)."""
    probe = f"_{change.table}_instant_probe"[:64]
    statement = (f"SET SESSION sql_log_bin=0; "  # the probe never reaches the replicas
                 f"DROP TABLE IF EXISTS `{probe}`; CREATE TABLE `{probe}` LIKE `{change.table}`; "
                 f"ALTER TABLE `{probe}` {change.alter}, ALGORITHM=INSTANT")
    try:
        mysql.run(primary, cluster.admin, statement, change.schema)
        return True
    except mysql.SqlFailed:
        return False
    finally:
        mysql.run(primary, cluster.admin,
                  f"SET SESSION sql_log_bin=0; DROP TABLE IF EXISTS `{probe}`", change.schema)


def alter_instant(cluster: Cluster, primary: Member, change: Change) -> None:
    """Run the ALTER in place with ALGORITHM=INSTANT (MariaDB refuses if it is not instant)."""
    mysql.run(primary, cluster.admin,
              f"ALTER TABLE `{change.table}` {change.alter}, ALGORITHM=INSTANT", change.schema)


# --- state that another shell reads: `--cut-over`, `--panic`, status -------------------------

@dataclass
class State:
    """A running change, as written to <ops folder>/schema-change-<table>.json."""

    database: str
    schema: str
    table: str
    alter: str
    flags_dir: str
    tool: str
    pid: int
    phase: str  # copying | postponed | cutting-over
    percent: int = 0

    def change(self) -> Change:
        return Change(self.database, self.schema, self.table, self.alter, Path(self.flags_dir))


def state_path(folder: Path, table: str) -> Path:
    return folder / f"schema-change-{table}.json"


def read_states(folder: Path) -> list[State]:
    """Every change whose state file is in `folder`."""
    return [State(**json.loads(p.read_text())) for p in sorted(folder.glob("schema-change-*.json"))]


def _write_state(folder: Path, state: State) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = state_path(folder, state.table)
    scratch = target.with_suffix(".tmp")
    scratch.write_text(json.dumps(asdict(state)))
    scratch.replace(target)  # a reader never sees half a file


def request_cut_over(change: Change) -> None:
    """Let a postponed change cut over (both tools: delete the postpone flag)."""
    change.postpone_flag.unlink(missing_ok=True)


def request_panic(change: Change) -> None:
    """Stop a change now (both tools: create the panic flag)."""
    change.flags_dir.mkdir(parents=True, exist_ok=True)
    change.panic_flag.touch()


# --- running it --------------------------------------------------------------------------------

Progress = Callable[[int, str], None]  # percent copied, phase


def run(cluster: Cluster, change: Change, *, postpone: bool, state_dir: Path, log_dir: Path,
        progress: Progress = lambda percent, phase: None) -> str:
    """Run `change` online with gh-ost if installed, else pt-osc; return the tool's name."""
    primary = primary_of(cluster)
    replicas = [m for m in cluster.members if m != primary]
    found = leftovers(cluster, primary, change)
    if found:
        raise SchemaChangeFailed(f"{change.table} has leftovers of an earlier change "
                                 f"({', '.join(found)}): run with --panic to remove them")
    change.panic_flag.unlink(missing_ok=True)
    if postpone:
        change.flags_dir.mkdir(parents=True, exist_ok=True)
        change.postpone_flag.touch()
    else:
        change.postpone_flag.unlink(missing_ok=True)
    state = State(change.database, change.schema, change.table, change.alter,
                  str(change.flags_dir), "gh-ost" if shutil.which("gh-ost") else "pt-osc",
                  os.getpid(), "copying")
    _write_state(state_dir, state)

    def phase(name: str, percent: int | None = None) -> None:
        state.phase = name
        state.percent = state.percent if percent is None else percent
        _write_state(state_dir, state)
        progress(state.percent, name)

    try:
        with credentials_file(cluster.admin) as creds:
            if state.tool == "gh-ost":
                argv = ghost_command(change, primary=primary, replicas=replicas,
                                     user=cluster.admin.user, conf=creds,
                                     ca_file=cluster.admin.ca_file)
                _run_tool(argv, log_dir / f"output_ghost_{change.table}.log", change, phase)
                return state.tool
            binary("pt-online-schema-change")  # missing: say which package to install
            _set_replica_dsns(cluster, primary, replicas)
            argv = ptosc_command(change, primary=primary, defaults_file=creds,
                                 watch_replicas=bool(replicas))
            if not _run_tool(argv, log_dir / f"output_ptosc_{change.table}.log", change, phase):
                remove_leftovers(cluster, primary, change)
                raise SchemaChangeFailed(f"panic: {change.table} left unchanged")
        if not _wait_postponed(change, phase):
            remove_leftovers(cluster, primary, change)
            raise SchemaChangeFailed(f"panic: {change.table} left unchanged")
        phase("cutting-over")
        cut_over(cluster, primary, change)
        phase("done", 100)
        return state.tool
    finally:
        state_path(state_dir, change.table).unlink(missing_ok=True)
        change.panic_flag.unlink(missing_ok=True)
        change.postpone_flag.unlink(missing_ok=True)


def _set_replica_dsns(cluster: Cluster, primary: Member, replicas: list[Member]) -> None:
    """The replicas pt-osc must watch for lag, in the table --recursion-method=dsn reads."""
    rows = ", ".join(f"('{_dsn(m)}')" for m in replicas)
    mysql.run(primary, cluster.admin,
              f"SET SESSION sql_log_bin=0; CREATE DATABASE IF NOT EXISTS {OPS_SCHEMA}; "
              f"CREATE TABLE IF NOT EXISTS {OPS_SCHEMA}.{DSN_TABLE} (id INT AUTO_INCREMENT "
              "PRIMARY KEY, parent_id INT NULL, dsn VARCHAR(512) NOT NULL); "
              f"DELETE FROM {OPS_SCHEMA}.{DSN_TABLE}; "
              + (f"INSERT INTO {OPS_SCHEMA}.{DSN_TABLE} (dsn) VALUES {rows}" if rows
                 else "SELECT 1"))


def _run_tool(argv: list[str], log: Path, change: Change,
              phase: Callable[[str, int | None], None]) -> bool:
    """Run the tool, its output appended to `log`; False when stopped by the panic flag."""
    log.parent.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with log.open("a") as out, subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
            text=True) as proc:
        stderr = proc.stderr
        assert stderr is not None

        def read() -> None:
            for line in stderr:
                out.write(line)
                out.flush()
                found = PROGRESS.search(line)
                if found:
                    phase("copying", int(found.group(1)))
                elif not line.startswith("#"):
                    errors.append(line.rstrip())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        while proc.poll() is None:
            if change.panic_flag.exists():
                proc.send_signal(signal.SIGTERM)
                break
            time.sleep(POLL)  # polling the flag file and the process, not a clock
        proc.wait(60)
        reader.join(10)
    if change.panic_flag.exists():
        return False
    if proc.returncode != 0:
        raise SchemaChangeFailed(f"{argv[0]} exited {proc.returncode}: "
                                 + " | ".join(errors[-5:]) + f" (see {log})")
    return True


def _wait_postponed(change: Change, phase: Callable[[str, int | None], None]) -> bool:
    """Hold while the postpone flag exists (the triggers keep the copy current); False on panic."""
    if change.postpone_flag.exists():
        phase("postponed", 100)
    while change.postpone_flag.exists():
        if change.panic_flag.exists():
            return False
        time.sleep(POLL)
    return not change.panic_flag.exists()


# --- the cut-over ------------------------------------------------------------------------------
#
# The children (order_lines, order_events) point at orders with foreign keys, and a key follows
# its parent through a RENAME. So the keys must move to the new table first — and no write may
# happen while they point there and pt-osc's REPLACE triggers still fire (a REPLACE on a parent
# deletes, and ON DELETE CASCADE would take the children with it). gh-ost's atomic cut-over,
# extended to the children:
#   A: create the sentry _T_old; LOCK TABLES T, _T_new, _T_old and the children WRITE
#   A: move each child's key to _T_new (same name; no check, the rows are there)
#   B: RENAME TABLE T TO _T_old, _T_new TO T   — waits behind A's locks, ahead of every DML
#   A: once B is seen waiting: DROP the sentry, UNLOCK — B runs first; the keys follow _T_new
# Writers wait for the few milliseconds this takes; none fails. If B never queues, A moves the
# keys back before unlocking.

CUT_OVER_LOCK_TIMEOUT = 3  # seconds, as gh-ost's --cut-over-lock-timeout-seconds
FOREIGN_KEY = re.compile(r"^\s*(CONSTRAINT `(?P<name>[^`]+)` FOREIGN KEY .+? REFERENCES )"
                         r"`(?P<parent>[^`]+)`(?P<rest>.+?),?$", re.MULTILINE)


def leftovers(cluster: Cluster, primary: Member, change: Change) -> list[str]:
    """Triggers and shadow tables of an unfinished change on this table."""
    names = ", ".join(f"'{t}'" for t in change.triggers)
    rows = mysql.run(primary, cluster.admin,
                     "SELECT trigger_name AS name FROM information_schema.triggers WHERE "
                     f"trigger_schema = '{change.schema}' AND trigger_name IN ({names}) UNION ALL "
                     "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                     f"'{change.schema}' AND table_name IN ('{change.new_table}', "
                     f"'{change.old_table}')")
    return [str(row["name"]) for row in rows]


def remove_leftovers(cluster: Cluster, primary: Member, change: Change) -> None:
    """Drop the triggers first (a trigger writing into a dropped table fails the shop's writes),
    then the shadow table; the original table is never touched."""
    drops = [f"DROP TRIGGER IF EXISTS `{change.schema}`.`{t}`" for t in change.triggers]
    drops.append(f"DROP TABLE IF EXISTS `{change.schema}`.`{change.new_table}`")
    mysql.run(primary, cluster.admin, "; ".join(drops))


def cut_over(cluster: Cluster, primary: Member, change: Change) -> None:
    """Swap the copied table in while writers wait (see above), then drop the old one."""
    asyncio.run(_cut_over(cluster.admin, primary, change))


async def _connect(admin: Admin, member: Member, schema: str) -> asyncmy.Connection:
    context = ssl.create_default_context(cafile=str(admin.ca_file)) if admin.ca_file else None
    where: dict[str, object] = ({"unix_socket": str(member.socket)} if member.socket is not None
                                else {"host": member.host, "port": member.port})
    return await asyncmy.connect(user=admin.user, password=admin.password or "", db=schema,
                                 charset="utf8mb4", autocommit=True, ssl=context, **where)


async def _execute(connection: asyncmy.Connection, statement: str) -> list[tuple[object, ...]]:
    async with connection.cursor() as cursor:
        await cursor.execute(statement)
        return list(await cursor.fetchall() or [])


async def _foreign_keys(a: asyncmy.Connection, change: Change) -> list[tuple[str, str, str]]:
    """(child table, key name, definition) of every key that references the table."""
    children = await _execute(a, "SELECT DISTINCT table_name FROM information_schema."
                              "referential_constraints WHERE constraint_schema = "
                              f"'{change.schema}' AND referenced_table_name = '{change.table}'")
    keys = []
    for (child,) in children:
        [(_, create)] = await _execute(a, f"SHOW CREATE TABLE `{child}`")
        keys += [(str(child), found["name"], found.group(0).strip().rstrip(","))
                 for found in FOREIGN_KEY.finditer(str(create))
                 if found["parent"] == change.table]
    return keys


async def _point_keys(a: asyncmy.Connection, keys: list[tuple[str, str, str]],
                      parent: str, to: str) -> None:
    for child, name, definition in keys:
        await _execute(a, f"ALTER TABLE `{child}` DROP FOREIGN KEY `{name}`")
        moved = definition.replace(f"REFERENCES `{parent}`", f"REFERENCES `{to}`", 1)
        await _execute(a, f"ALTER TABLE `{child}` ADD {moved}")


async def _cut_over(admin: Admin, primary: Member, change: Change) -> None:
    a = await _connect(admin, primary, change.schema)
    b = await _connect(admin, primary, change.schema)
    try:
        keys = await _foreign_keys(a, change)
        children = sorted({child for child, _, _ in keys})
        await _execute(a, f"SET SESSION lock_wait_timeout = {CUT_OVER_LOCK_TIMEOUT}, "
                          "foreign_key_checks = 0")
        await _execute(a, f"CREATE TABLE `{change.old_table}` (id INT PRIMARY KEY) "
                          "COMMENT = 'orchid cut-over sentry'")
        locked = [change.table, change.new_table, change.old_table, *children]
        await _lock(a, locked)
        [(b_id,)] = await _execute(b, "SELECT CONNECTION_ID()")
        await _execute(b, "SET SESSION lock_wait_timeout = 60")
        rename: asyncio.Task[object] | None = None
        try:
            await _point_keys(a, keys, change.table, change.new_table)
            rename = asyncio.create_task(_execute(
                b, f"RENAME TABLE `{change.table}` TO `{change.old_table}`, "
                   f"`{change.new_table}` TO `{change.table}`"))
            await _wait_queued(a, int(str(b_id)), rename)
        except BaseException:
            await _point_keys(a, keys, change.new_table, change.table)
            await _execute(a, f"DROP TABLE `{change.old_table}`")
            await _execute(a, "UNLOCK TABLES")
            if rename is not None:
                await _execute(a, f"KILL QUERY {b_id}")
            raise
        await _execute(a, f"DROP TABLE `{change.old_table}`")  # the sentry: B may go now
        await _execute(a, "UNLOCK TABLES")
        await rename
        for trigger in change.triggers:  # they moved with the old table; it is written no more
            await _execute(a, f"DROP TRIGGER IF EXISTS `{trigger}`")
        await _execute(a, f"DROP TABLE `{change.old_table}`")
    finally:
        a.close()
        b.close()


async def _lock(a: asyncmy.Connection, tables: list[str]) -> None:
    """LOCK TABLES … WRITE, retried like gh-ost's --default-retries when a long
    transaction holds a table past the lock timeout."""
    statement = "LOCK TABLES " + ", ".join(f"`{t}` WRITE" for t in tables)
    for attempt in range(RETRIES):
        try:
            await _execute(a, statement)
            return
        except asyncmy.errors.OperationalError as exc:  # 1205: lock wait timeout
            if exc.args[0] != 1205 or attempt == RETRIES - 1:
                raise


async def _wait_queued(a: asyncmy.Connection, b_id: int, rename: asyncio.Task[object]) -> None:
    """Return once B's RENAME waits for a metadata lock (it then goes before any DML)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if rename.done():
            rename.result()  # it cannot have run: raise its error
            raise SchemaChangeFailed("the RENAME ran before the sentry was dropped")
        rows = await _execute(a, "SELECT state FROM information_schema.processlist "
                                 f"WHERE id = {b_id}")
        if rows and "metadata lock" in str(rows[0][0]):
            return
        await asyncio.sleep(0.01)
    raise SchemaChangeFailed("the RENAME did not queue behind the cut-over lock within 10 s")
