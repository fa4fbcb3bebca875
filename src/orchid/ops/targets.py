"""What `orchid ops` operates on: the members of each database, Redis, Elasticsearch, the
backup folder — read from the local stack's folder or, for a real deployment, from settings.

A deployment names its members in order, the configured primary first:

    ORCHID_OPS_MAIN_MEMBERS="main-a=10.0.0.5:3306,main-b=10.0.0.6:3306"
    ORCHID_OPS_WAREHOUSE_MEMBERS="wh-a=10.0.1.5:3306,wh-b=10.0.1.6:3306"
    ORCHID_OPS_ADMIN_USER=orchid_ops   ORCHID_OPS_ADMIN_PASSWORD (env or secret file)
    ORCHID_BACKUP_DIR=/var/backups/orchid

Which member is the primary *now* is never taken from this list: it is read from the servers'
flags (see ops/topology.py), because a failover changes it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orchid.config import Settings
from orchid.stack.plan import MAIN_DB, REPL_USER, WAREHOUSE_DB, Layout
from orchid.stack.servers import redis_url

DATABASES = ("main", "warehouse")
SCHEMAS = {"main": MAIN_DB, "warehouse": WAREHOUSE_DB}


class TargetsMissing(RuntimeError):
    """Neither a stack folder nor deployment settings say where the servers are."""


@dataclass(frozen=True)
class Admin:
    """How an operator logs in: a unix socket as root (the stack) or a user and password."""

    user: str = "root"
    password: str | None = field(default=None, repr=False)
    # TLS for operator connections: the CA that signed the servers' certificates.
    ca_file: Path | None = None


@dataclass(frozen=True)
class Member:
    """One MariaDB server of a database."""

    name: str
    host: str
    port: int
    socket: Path | None = None  # set when the server runs on this machine (the stack)
    datadir: Path | None = None  # likewise: where its files are


@dataclass(frozen=True)
class Cluster:
    """One logical database: its members (configured primary first) and its schema."""

    database: str  # "main" | "warehouse"
    schema: str  # the MariaDB database holding its tables
    members: tuple[Member, ...]
    admin: Admin
    replication_user: str = REPL_USER
    replication_password: str | None = field(default=None, repr=False)

    def member(self, name: str) -> Member:
        for candidate in self.members:
            if candidate.name == name:
                return candidate
        known = ", ".join(m.name for m in self.members)
        raise KeyError(f"{self.database} has no member {name!r} (members: {known})")


@dataclass(frozen=True)
class Targets:
    """Everything `orchid ops` may touch."""

    clusters: dict[str, Cluster]
    backup_dir: Path
    redis_url: str | None = None
    redis_dir: Path | None = None  # the stack's Redis folder (its append-only file)
    elasticsearch_url: str | None = None
    # Where Elasticsearch keeps filesystem snapshots (its path.repo), as the server sees it.
    snapshot_repository: Path | None = None
    stack: Path | None = None  # the stack's folder when operating on `orchid up`

    def cluster(self, database: str) -> Cluster:
        if database not in self.clusters:
            raise KeyError(f"unknown database {database!r}: one of {', '.join(self.clusters)}")
        return self.clusters[database]

    def selected(self, database: str) -> list[Cluster]:
        """`main`, `warehouse` or `all`."""
        return list(self.clusters.values()) if database == "all" else [self.cluster(database)]


def from_stack(root: Path) -> Targets:
    """The databases of a local `orchid up` in `root`; root logs in through each socket."""
    layout = Layout(root)
    members: dict[str, list[Member]] = {name: [] for name in DATABASES}
    for db in layout.databases():
        database = db.name.split("-", 1)[0]
        members[database].append(Member(db.name, "127.0.0.1", db.port, socket=db.socket,
                                         datadir=db.folder / "data"))
    repl = layout.secret("mariadb_repl_password")
    clusters = {name: Cluster(name, SCHEMAS[name], tuple(found), Admin(),
                              replication_password=repl)
                for name, found in members.items()}
    es_port = layout.port("elasticsearch")
    return Targets(clusters, backup_dir=layout.root / "backups",
                   redis_url=redis_url(layout.port("redis"), ca_file=layout.ca_file),
                   redis_dir=layout.root / "redis",
                   elasticsearch_url=f"http://127.0.0.1:{es_port}",
                   snapshot_repository=layout.root / "elasticsearch" / "snapshots",
                   stack=layout.root)


def from_settings(settings: Settings) -> Targets:
    """A real deployment's databases, as ORCHID_OPS_* name them."""
    named = {"main": settings.ops_main_members, "warehouse": settings.ops_warehouse_members}
    if not any(named.values()):
        raise TargetsMissing(
            "no stack here and no ORCHID_OPS_MAIN_MEMBERS: run `orchid up`, pass --state-dir, "
            "or name the deployment's servers (see docs/operations.md)")
    password = (settings.ops_admin_password.get_secret_value()
                if settings.ops_admin_password is not None else None)
    admin = Admin(settings.ops_admin_user, password, settings.ops_ca_file)
    repl = (settings.ops_replication_password.get_secret_value()
            if settings.ops_replication_password is not None else None)
    clusters = {}
    for database, pairs in named.items():
        if not pairs:
            continue
        members = []
        for name, address in pairs.items():
            host, _, port = address.rpartition(":")
            members.append(Member(name, host or address, int(port or 3306)))
        clusters[database] = Cluster(database, SCHEMAS[database], tuple(members), admin,
                                     replication_user=settings.ops_replication_user,
                                     replication_password=repl)
    return Targets(clusters, backup_dir=settings.backup_dir, redis_url=settings.redis_url,
                   elasticsearch_url=settings.elasticsearch_url,
                   snapshot_repository=settings.ops_snapshot_repository)


def resolve(state_dir: Path | None, settings: Settings) -> Targets:
    """The stack in `state_dir` (or the default one when it exists), else the settings."""
    default = Path(".orchid/stack")
    if state_dir is not None:
        if not (state_dir / "ports.json").exists():
            raise TargetsMissing(f"no stack in {state_dir} (run `orchid up --state-dir ...`)")
        return from_stack(state_dir)
    if (default / "ports.json").exists() and not settings.ops_main_members:
        return from_stack(default)
    return from_settings(settings)


@contextmanager
def client_options(member: Member, admin: Admin) -> Iterator[Path]:
    """A 0600 option file for the mariadb tools, read instead of /etc/mysql.

    Passwords go in the file, never on a command line (`ps` would show them to anyone).
    """
    # [client-server]: the group that the mariadb client, mariadb-binlog and mariadb-backup
    # all read.
    lines = ["[client-server]", f"user={admin.user}"]
    if admin.password is not None:
        lines.append(f"password={admin.password}")
    if member.socket is not None:
        lines.append(f"socket={member.socket}")
    else:
        lines += [f"host={member.host}", f"port={member.port}", "protocol=tcp"]
    if admin.ca_file is not None:
        lines += [f"ssl-ca={admin.ca_file}", "ssl-verify-server-cert"]
    with option_file(lines) as path:
        yield path


@contextmanager
def option_file(lines: list[str], prefix: str = "orchid-ops-") -> Iterator[Path]:
    """`lines` in a temporary file only its owner can read (mkstemp makes it 0600), removed
    afterwards: where the tools read a login from."""
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".cnf")
    path = Path(name)
    try:
        with os.fdopen(handle, "w") as out:
            out.write("\n".join(lines) + "\n")
        yield path
    finally:
        path.unlink(missing_ok=True)
