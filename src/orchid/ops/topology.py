"""Who is who in a replicated database, read from the servers' own flags.

    topology = read(cluster)
    topology.primary        # the one writable member that replicates from no one, or None
    topology.state("main-replica-1").received   # {domain: Gtid} fetched into its relay log

The configured order of the members is never trusted for the primary: a failover changes it.
GTID positions are per replication domain (`0-1-42,1-2-7`: domain 0 at server 1's 42nd
transaction, domain 1 at server 2's 7th); a position covers another when it is at least as far
in every domain the other has.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from orchid.ops import mysql
from orchid.ops.targets import Cluster, Member


@dataclass(frozen=True, order=True)
class Gtid:
    """One domain's position: the server that wrote it and its sequence number."""

    seq: int
    server_id: int


Position = dict[int, Gtid]  # domain → its last GTID


def parse_position(text: str | None) -> Position:
    """`0-1-42,1-2-7` → {0: Gtid(42, 1), 1: Gtid(7, 2)} (empty or NULL → {})."""
    position: Position = {}
    for part in (text or "").replace("\n", "").split(","):
        part = part.strip()
        if not part:
            continue
        domain, server_id, seq = (int(n) for n in part.split("-"))
        position[domain] = Gtid(seq, server_id)
    return position


def format_position(position: Position) -> str:
    """The inverse of parse_position, domains in order."""
    return ",".join(f"{d}-{g.server_id}-{g.seq}" for d, g in sorted(position.items()))


def covers(a: Position, b: Position) -> bool:
    """True when `a` has everything `b` has: as far in every domain of `b`."""
    return all(d in a and a[d].seq >= g.seq for d, g in b.items())


def behind(a: Position, b: Position) -> int:
    """How many transactions `a` lacks of `b`, summed over the domains (0 when it covers)."""
    return sum(max(g.seq - (a[d].seq if d in a else 0), 0) for d, g in b.items())


@dataclass(frozen=True)
class MemberState:
    """What one member said about itself (or that it did not answer)."""

    name: str
    reachable: bool
    error: str | None = None
    read_only: bool = False
    replicating: bool = False  # has a primary configured (SHOW SLAVE STATUS has a row)
    io_running: str | None = None  # Yes | No | Connecting
    sql_running: str | None = None
    seconds_behind: float | None = None
    master: tuple[str, int] | None = None  # host, port it replicates from
    last_io_error: str | None = None
    last_sql_error: str | None = None
    master_ca: str | None = None  # the CA it checks its primary's certificate against (TLS)
    received: Position = field(default_factory=dict)  # Gtid_IO_Pos: in its relay log
    applied: Position = field(default_factory=dict)  # gtid_slave_pos: applied by its SQL thread
    binlog: Position = field(default_factory=dict)  # gtid_binlog_pos: in its own binlog
    current: Position = field(default_factory=dict)  # gtid_current_pos

    @property
    def role(self) -> str:
        """primary (writable, replicates from no one), replica, read-only (fenced) or down."""
        if not self.reachable:
            return "down"
        if self.replicating:
            return "replica"
        return "read-only" if self.read_only else "primary"

    @property
    def has(self) -> Position:
        """Everything this member holds or will hold once its relay log is applied."""
        merged = dict(self.current)
        for domain, gtid in self.received.items():
            if domain not in merged or merged[domain] < gtid:
                merged[domain] = gtid
        return merged

    @property
    def unapplied(self) -> int:
        """Transactions in its relay log that its SQL thread has not applied yet."""
        return behind(self.applied, self.received)


@dataclass(frozen=True)
class Topology:
    """Every member's state, in the configured order."""

    database: str
    states: tuple[MemberState, ...]

    def state(self, name: str) -> MemberState:
        return next(s for s in self.states if s.name == name)

    @property
    def writable(self) -> list[MemberState]:
        """Members that take writes: more than one is a split brain."""
        return [s for s in self.states if s.role == "primary"]

    @property
    def primary(self) -> MemberState | None:
        """The single writable member, or None (none, or more than one)."""
        found = self.writable
        return found[0] if len(found) == 1 else None

    def replicas(self) -> list[MemberState]:
        return [s for s in self.states if s.role == "replica"]


def most_advanced(candidates: list[MemberState]) -> MemberState:
    """The replica that has received everything any other has; ties go to the one that applied
    most, then to the configured order. Raises ValueError when none covers all the others
    (their domains disagree: promoting any would lose another's transactions)."""
    if not candidates:
        raise ValueError("no replica to choose from")
    complete = [c for c in candidates if all(covers(c.has, o.has) for o in candidates)]
    if not complete:
        listed = "; ".join(f"{c.name}: {format_position(c.has)}" for c in candidates)
        raise ValueError(f"no replica has every transaction the others have ({listed})")
    return max(complete, key=lambda c: (-c.unapplied, -candidates.index(c)))


def read_member(member: Member, cluster: Cluster, *, timeout: float = 5,
                via: mysql.Connections | None = None) -> MemberState:
    """Ask one member for its flags, replication status and GTID positions."""
    try:
        [flags] = mysql.run(member, cluster.admin,
                            "SELECT @@global.read_only AS ro, @@global.gtid_binlog_pos AS b, "
                            "@@global.gtid_current_pos AS c, @@global.gtid_slave_pos AS s",
                            timeout=timeout, via=via)
        status = mysql.run(member, cluster.admin, "SHOW SLAVE STATUS", timeout=timeout, via=via)
    except mysql.SqlFailed as failed:
        return MemberState(member.name, reachable=False, error=str(failed).splitlines()[0])
    row = status[0] if status else {}
    lag = row.get("Seconds_Behind_Master")
    return MemberState(
        member.name, reachable=True, read_only=flags["ro"] == "1", replicating=bool(row),
        io_running=row.get("Slave_IO_Running"), sql_running=row.get("Slave_SQL_Running"),
        seconds_behind=float(lag) if lag is not None else None,
        master=(str(row["Master_Host"]), int(row["Master_Port"] or 0)) if row else None,
        last_io_error=row.get("Last_IO_Error") or None,
        last_sql_error=row.get("Last_SQL_Error") or None,
        master_ca=(row.get("Master_SSL_CA_File") or None)
        if row.get("Master_SSL_Allowed") == "Yes" else None,
        received=parse_position(row.get("Gtid_IO_Pos")), applied=parse_position(flags["s"]),
        binlog=parse_position(flags["b"]), current=parse_position(flags["c"]))


def read(cluster: Cluster, *, timeout: float = 5,
         via: mysql.Connections | None = None) -> Topology:
    """Every member's state, asked in parallel (`via`: on kept connections)."""
    with ThreadPoolExecutor(max_workers=len(cluster.members)) as pool:
        states = pool.map(lambda m: read_member(m, cluster, timeout=timeout, via=via),
                          cluster.members)
        return Topology(cluster.database, tuple(states))


def member_at(cluster: Cluster, address: tuple[str, int] | None) -> Member | None:
    """The member listening at host:port (what a replica says it replicates from)."""
    if address is None:
        return None
    host, port = address
    local = {"127.0.0.1", "localhost"}
    for member in cluster.members:
        same_host = member.host == host or (member.host in local and host in local)
        if same_host and member.port == port:
            return member
    return None


def primary_member(cluster: Cluster) -> Member | None:
    """The member that takes writes now (the single writable one that replicates from no
    one), or None when there is none — or more than one."""
    state = read(cluster).primary
    return cluster.member(state.name) if state is not None else None


def gtid_wait(cluster: Cluster, member: Member, position: str, timeout: float) -> bool:
    """True once `member` has applied `position` (within `timeout` seconds)."""
    if not position:
        return True
    got = mysql.value(member, cluster.admin,
                      f"SELECT MASTER_GTID_WAIT('{position}', {timeout:.3f})",
                      timeout=timeout + 30)
    return got == "0"
