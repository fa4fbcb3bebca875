"""Promote a replica: after the primary died (checked first, as orchestrator does), or as a planned
switchover that loses nothing and refuses no client.

    report = failover(cluster)                       # the primary is down: confirm, pick, promote
    report = failover(cluster, planned=True)         # a switchover while the primary is up
    report = failover(cluster, to="main-replica-2")  # that replica, if it has everything

Each step is timed and said as it happens (`say`). The checks refuse (FailoverRefused) rather
than lose a transaction; `force` accepts a lagging or incomplete candidate. The old primary is
fenced: read-only whenever it runs again (every member starts read-only, see
stack/servers.py and the stack supervisor), and rejoined as a replica when its GTIDs allow.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from orchid.ops import mysql, topology
from orchid.ops.targets import Cluster, Member, client_options
from orchid.ops.topology import MemberState, Topology, format_position, most_advanced
from orchid.stack.servers import binary

Say = Callable[[str], None]


class FailoverRefused(RuntimeError):
    """A check failed; nothing was promoted (a planned switchover's primary is writable again)."""


@dataclass
class Step:
    """One thing checked or done, and how long it took."""

    what: str
    seconds: float


@dataclass
class Report:
    """What a failover did."""

    database: str
    old_primary: str
    new_primary: str
    planned: bool
    steps: list[Step] = field(default_factory=list)
    repointed: list[str] = field(default_factory=list)
    old_primary_fate: str = ""

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


class _Timer:
    def __init__(self, say: Say) -> None:
        self.say = say
        self.steps: list[Step] = []

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        began = time.monotonic()
        try:
            yield
        finally:
            took = time.monotonic() - began
            self.steps.append(Step(what, took))
            self.say(f"  {what} ({took:.2f} s)")


def failover(cluster: Cluster, *, to: str | None = None, planned: bool = False,
             force: bool = False, max_lag: float = 5.0, catch_up_timeout: float = 30.0,
             probes: int = 3, probe_interval: float = 0.5, say: Say = print) -> Report:
    """Make a replica the primary of `cluster`, repoint the others and fence the old one."""
    timer = _Timer(say)
    say(f"{cluster.database}: {'planned switchover' if planned else 'failover'}")
    with timer.step("read every member's flags and replication status"):
        now = topology.read(cluster)
    for state in now.states:
        say(f"    {describe(state)}")
    if planned:
        old, new = _planned(cluster, now, to=to, force=force, max_lag=max_lag,
                            catch_up_timeout=catch_up_timeout, timer=timer, say=say)
    else:
        old, new = _unplanned(cluster, now, to=to, force=force, max_lag=max_lag,
                              probes=probes, probe_interval=probe_interval, timer=timer, say=say)
    report = Report(cluster.database, old.name, new.name, planned)
    # The TLS its replication used: the old primary checks the new one's certificate the same way.
    ca = now.state(new.name).master_ca
    with timer.step(f"promote {new.name}: STOP SLAVE, RESET SLAVE ALL, read_only=0"):
        mysql.run(new, cluster.admin,
                  "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0")
    for state in now.states:
        if state.name in (old.name, new.name) or not state.reachable:
            continue
        with timer.step(f"repoint {state.name} to {new.name} (MASTER_USE_GTID=slave_pos)"):
            mysql.run(cluster.member(state.name), cluster.admin, repoint_sql(new))
        report.repointed.append(state.name)
    if planned:
        with timer.step(f"rejoin {old.name} as a replica of {new.name}"):
            report.old_primary_fate = rejoin(cluster, old.name, new.name, say=say, ca_file=ca)
    else:
        report.old_primary_fate = ("down: comes back read-only (every member starts so); "
                                   f"`orchid ops rejoin {old.name}` makes it a replica")
    report.steps = timer.steps
    say(f"{cluster.database}: {new.name} is the primary ({report.seconds:.2f} s); "
        f"{old.name}: {report.old_primary_fate}")
    return report


def _unplanned(cluster: Cluster, now: Topology, *, to: str | None, force: bool,
               max_lag: float, probes: int, probe_interval: float, timer: _Timer,
               say: Say) -> tuple[Member, Member]:
    if now.writable:
        up = ", ".join(s.name for s in now.writable)
        raise FailoverRefused(f"{up} is writable and answering: the primary is up "
                              "(use --planned for a switchover)")
    old = _replicated_primary(cluster, now)
    with timer.step(f"probe {old.name} {probes} times, {probe_interval:.1f} s apart"):
        answered = 0
        for i in range(probes):
            if i:
                time.sleep(probe_interval)  # spacing between probes of a remote server
            answered += mysql.reachable(old, cluster.admin, timeout=2)
    if answered and not force:
        raise FailoverRefused(f"{old.name} answered {answered} of {probes} probes: it is not "
                              "down (use --planned, or --force if it is broken otherwise)")
    with timer.step("ask the replicas whether they still receive from it"):
        now = topology.read(cluster)
    seeing = [s.name for s in now.replicas() if s.io_running == "Yes"]
    if seeing and not force:
        raise FailoverRefused(f"{', '.join(seeing)} still receive from {old.name}: only this "
                              "host loses it (a network split?); refusing without --force")
    say(f"    confirmed: {old.name} down for us and for every replica")
    new = _candidate(cluster, now, old, to=to, force=force, say=say)
    with timer.step(f"let {new.name} apply its relay log (MASTER_GTID_WAIT, "
                    f"up to {max_lag:.0f} s)"):
        state = now.state(new.name)
        applied = topology.gtid_wait(cluster, new, format_position(state.received), max_lag)
    if not applied:
        if not force:
            raise FailoverRefused(
                f"{new.name} has not applied what it received within {max_lag:.0f} s "
                f"({state.unapplied} transactions behind, SQL thread "
                f"{state.sql_running}): start its SQL thread, wait, or --force to lose them")
        say(f"    --force: promoting {new.name} without {state.unapplied} unapplied transactions")
    return old, new


def _planned(cluster: Cluster, now: Topology, *, to: str | None, force: bool, max_lag: float,
             catch_up_timeout: float, timer: _Timer, say: Say) -> tuple[Member, Member]:
    current = now.primary
    if current is None:
        found = ", ".join(s.name for s in now.writable) or "none"
        raise FailoverRefused(f"a planned switchover needs one writable primary (found: "
                              f"{found}); for a dead primary run it without --planned")
    old = cluster.member(current.name)
    new = _candidate(cluster, now, old, to=to, force=force, say=say)
    state = now.state(new.name)
    lagging = state.sql_running != "Yes" or state.seconds_behind is None \
        or state.seconds_behind > max_lag
    if lagging and not force:
        raise FailoverRefused(
            f"{new.name} lags (SQL thread {state.sql_running}, "
            f"{state.seconds_behind} s behind, bound {max_lag:.0f} s): the shop would wait "
            "for it read-only; fix its replication first, or --force")
    with timer.step(f"fence {old.name}: read_only=1 (writes now wait for the new primary)"):
        mysql.run(old, cluster.admin, "SET GLOBAL read_only = 1")
    try:
        position = mysql.value(old, cluster.admin, "SELECT @@global.gtid_binlog_pos") or ""
        with timer.step(f"wait for {new.name} to apply {old.name}'s {position or 'nothing'}"):
            caught_up = topology.gtid_wait(cluster, new, position, catch_up_timeout)
        if not caught_up:
            raise FailoverRefused(f"{new.name} did not reach {position} within "
                                  f"{catch_up_timeout:.0f} s")
    except (FailoverRefused, mysql.SqlFailed):
        with timer.step(f"undo: {old.name} read_only=0"):
            mysql.run(old, cluster.admin, "SET GLOBAL read_only = 0")
        raise
    return old, new


def _replicated_primary(cluster: Cluster, now: Topology) -> Member:
    """The member the reachable replicas replicate from (they must agree)."""
    sources = {s.master for s in now.replicas()}
    if len(sources) != 1:
        raise FailoverRefused(f"the replicas do not agree on their primary: {sources or 'none'}")
    found = topology.member_at(cluster, sources.pop())
    if found is None:
        raise FailoverRefused("the replicas replicate from a server that is not a member")
    return found


def _candidate(cluster: Cluster, now: Topology, old: Member, *, to: str | None, force: bool,
               say: Say) -> Member:
    """The replica to promote: `to`, or the most advanced one by GTID."""
    of_old = [s for s in now.replicas() if topology.member_at(cluster, s.master) == old]
    if not of_old:
        raise FailoverRefused(f"no reachable replica of {old.name}")
    try:
        best = most_advanced(of_old)
    except ValueError as why:
        if not force or to is None:
            raise FailoverRefused(str(why)) from None
        best = now.state(to)
    chosen = best if to is None else next((s for s in of_old if s.name == to), None)
    if chosen is None:
        raise FailoverRefused(f"{to} is not a reachable replica of {old.name}")
    if chosen is not best and not topology.covers(chosen.has, best.has):
        missing = topology.behind(chosen.has, best.has)
        if not force:
            raise FailoverRefused(f"{to} lacks {missing} transactions that {best.name} has; "
                                  f"promote {best.name}, or --force to lose them")
        say(f"    --force: {to} lacks {missing} transactions of {best.name}")
    say(f"    chosen: {chosen.name} (has {format_position(chosen.has) or 'nothing'}, "
        f"{chosen.unapplied} unapplied)")
    return cluster.member(chosen.name)


def repoint_sql(primary: Member) -> str:
    """Replicate from `primary` by GTID; user, password and TLS options are kept."""
    return ("STOP SLAVE; CHANGE MASTER TO "
            f"MASTER_HOST='{primary.host}', MASTER_PORT={primary.port}, "
            "MASTER_USE_GTID=slave_pos; START SLAVE")


def rejoin(cluster: Cluster, name: str, primary: str | None = None, *,
           say: Say = print, settle: float = 10.0, ca_file: str | None = None) -> str:
    """Fence member `name` (read_only=1) and make it a replica of the primary when its binlog
    holds nothing the primary lacks; otherwise leave it read-only. Returns what became of it.

    Replication uses TLS checked against `ca_file`, else the CA the other replicas use, else
    the operator's CA (none: plain, as the servers allow).
    """
    member = cluster.member(name)
    mysql.run(member, cluster.admin, "SET GLOBAL read_only = 1")
    now = topology.read(cluster)
    ca_file = ca_file or next((s.master_ca for s in now.replicas() if s.master_ca), None) \
        or (str(cluster.admin.ca_file) if cluster.admin.ca_file is not None else None)
    source = now.state(primary) if primary is not None else now.primary
    if source is None or source.role != "primary":
        return "read-only; no single primary to rejoin"
    mine = now.state(name)
    extra = topology.behind(source.binlog, mine.binlog)
    if extra or not _same_history(mine, source):
        say(f"    {name} has transactions the primary lacks ({format_position(mine.binlog)} "
            f"vs {format_position(source.binlog)}): left read-only, rebuild it from a backup")
        return "diverged: left read-only"
    target = cluster.member(source.name)
    _run_secret(member, cluster, rejoin_sql(cluster, target, was_replica=mine.replicating,
                                            ca_file=ca_file))
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        state = topology.read_member(member, cluster)
        if state.io_running == "Yes" and state.sql_running == "Yes":
            return f"replica of {source.name}"
        if state.last_io_error or state.last_sql_error:
            mysql.run(member, cluster.admin, "STOP SLAVE")
            say(f"    {name} cannot replicate: {state.last_io_error or state.last_sql_error}")
            return "diverged: left read-only, replication stopped"
        time.sleep(0.1)  # polling the server's replication threads until they run
    return f"read-only; replication from {source.name} not running after {settle:.0f} s"


def _same_history(mine: MemberState, primary: MemberState) -> bool:
    """Where both have a domain at the same sequence number, the same server wrote it."""
    return all(primary.binlog[d] == g for d, g in mine.binlog.items()
               if d in primary.binlog and primary.binlog[d].seq == g.seq)


def rejoin_sql(cluster: Cluster, primary: Member, *, was_replica: bool,
               ca_file: str | None) -> str:
    """A former primary starts replicating after its own binlog position (its gtid_slave_pos
    is stale: it was the source of those transactions)."""
    credentials = ""
    if cluster.replication_password is not None:
        credentials = (f"MASTER_USER='{cluster.replication_user}', "
                       f"MASTER_PASSWORD='{cluster.replication_password}', ")
    tls = ""
    if ca_file is not None:
        tls = f"MASTER_SSL=1, MASTER_SSL_CA='{ca_file}', MASTER_SSL_VERIFY_SERVER_CERT=1, "
    position = "" if was_replica else "SET GLOBAL gtid_slave_pos = @@global.gtid_binlog_pos; "
    return (f"STOP SLAVE; {position}CHANGE MASTER TO MASTER_HOST='{primary.host}', "
            f"MASTER_PORT={primary.port}, {credentials}{tls}MASTER_USE_GTID=slave_pos, "
            "MASTER_CONNECT_RETRY=1; START SLAVE")


def _run_secret(member: Member, cluster: Cluster, statement: str) -> None:
    """Run a statement holding a password: on the client's stdin, never its command line."""
    with client_options(member, cluster.admin) as options:
        done = subprocess.run([binary("mariadb"), f"--defaults-file={options}", "--batch",
                               "--connect-timeout=5"], input=statement, capture_output=True,
                              text=True, timeout=60)
    if done.returncode != 0:
        raise mysql.SqlFailed(f"{member.name}: {done.stderr.strip()}")


def set_read_only(cluster: Cluster, name: str, read_only: bool) -> None:
    """Set one member's read_only flag; refuse to make a replica or a second member writable."""
    if not read_only:
        now = topology.read(cluster)
        if now.state(name).replicating:
            raise FailoverRefused(f"{name} replicates: writes there would diverge from its "
                                  "primary; promote it with `orchid ops failover --to`")
        others = [s.name for s in now.writable if s.name != name]
        if others:
            raise FailoverRefused(f"{', '.join(others)} is writable already: two writable "
                                  "primaries would split the data")
    mysql.run(cluster.member(name), cluster.admin,
              f"SET GLOBAL read_only = {1 if read_only else 0}")


def describe(state: MemberState) -> str:
    """One line on a member: its role, flag, threads and positions."""
    if not state.reachable:
        return f"{state.name}: down ({state.error})"
    text = f"{state.name}: {state.role}, read_only={int(state.read_only)}"
    if state.replicating:
        text += (f", IO {state.io_running}, SQL {state.sql_running}, "
                 f"behind {state.seconds_behind}, received {format_position(state.received)}, "
                 f"applied {format_position(state.applied)}")
    else:
        text += f", binlog {format_position(state.binlog)}"
    return text

