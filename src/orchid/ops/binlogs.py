"""Continuous binlog archiving: every change of the primary, copied as it happens.

`mariadb-binlog --read-from-remote-server --raw --stop-never` connects like a replica and writes
the primary's binlog files byte for byte into the archive. With a base backup's GTID position,
these files replay any second after it (ops/restore.py).

    <backup_dir>/<database>/binlogs/<member>/mysql-bin.000001 …

One folder per member: after a failover the new primary's files (which have names of their own)
are archived beside the old primary's.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchid.ops import mysql, topology
from orchid.ops.targets import Cluster, Member, Targets, client_options
from orchid.stack.servers import binary

ARCHIVER_SERVER_ID = 9900  # a replica id no member uses: the primary shows it as a replica


class ArchiveFailed(RuntimeError):
    """Binlogs cannot be archived; the message says why."""


@dataclass(frozen=True)
class ArchivedFile:
    member: str
    path: Path
    bytes: int


def archive_dir(targets: Targets, database: str, member: str) -> Path:
    return targets.backup_dir / database / "binlogs" / member


def primary_of(cluster: Cluster) -> Member:
    """The member that takes writes now, read from the servers' flags (ops/topology.py)."""
    member = topology.primary_member(cluster)
    if member is None:
        raise ArchiveFailed(f"{cluster.database}: no single reachable member is a writable "
                            "primary (see `orchid ops flags`)")
    return member


def first_file(cluster: Cluster, member: Member, folder: Path) -> str:
    """Where archiving starts: the newest file already archived (copied again whole, as raw
    mode rewrites a file from its start), else the oldest binlog the server still has."""
    have = sorted(p.name for p in folder.glob("*.[0-9]*"))
    if have:
        return have[-1]
    logs = mysql.run(member, cluster.admin, "SHOW BINARY LOGS")
    if not logs:
        raise ArchiveFailed(f"{member.name} has no binary logs (is log_bin on?)")
    name = logs[0]["Log_name"]
    assert name is not None
    return name


def archiver_argv(targets: Targets, database: str, options: Path) -> tuple[list[str], Path]:
    """The mariadb-binlog command that archives the current primary, and its folder."""
    cluster = targets.cluster(database)
    primary = primary_of(cluster)
    folder = archive_dir(targets, database, primary.name)
    folder.mkdir(parents=True, exist_ok=True)
    start = first_file(cluster, primary, folder)
    return [binary("mariadb-binlog"), f"--defaults-file={options}", "--read-from-remote-server",
            "--raw", "--stop-never", f"--stop-never-slave-server-id={ARCHIVER_SERVER_ID}",
            f"--result-file={folder}/", start], folder


def archive_forever(targets: Targets, database: str) -> int:
    """Archive the primary's binlogs until the connection ends; return mariadb-binlog's exit
    code. Run under a supervisor, which starts it again (on whichever member is primary then)."""
    cluster = targets.cluster(database)
    primary = primary_of(cluster)
    with client_options(primary, cluster.admin) as options:
        argv, _ = archiver_argv(targets, database, options)
        return subprocess.run(argv, stdin=subprocess.DEVNULL).returncode


def archived(targets: Targets, database: str) -> list[ArchivedFile]:
    """Every archived binlog of `database`, by member and file name."""
    root = targets.backup_dir / database / "binlogs"
    if not root.is_dir():
        return []
    return [ArchivedFile(folder.name, path, path.stat().st_size)
            for folder in sorted(root.iterdir()) if folder.is_dir()
            for path in sorted(folder.glob("*.[0-9]*"))]


def caught_up(targets: Targets, database: str) -> bool:
    """True when the archive holds the primary's binlog up to its current end."""
    cluster = targets.cluster(database)
    primary = primary_of(cluster)
    status = mysql.run(primary, cluster.admin, "SHOW MASTER STATUS")
    if not status:
        return False
    path = archive_dir(targets, database, primary.name) / str(status[0]["File"])
    return path.exists() and path.stat().st_size >= int(status[0]["Position"] or 0)
