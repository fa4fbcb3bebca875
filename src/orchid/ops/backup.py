"""Base backups of each database with mariadb-backup, a manifest per backup, and Redis copies.

Layout under the backup folder:

    <backup_dir>/<database>/base/<id>/data/           what mariadb-backup copied (never prepared
                                                     in place: a restore prepares a copy)
    <backup_dir>/<database>/base/<id>/manifest.json   kind, parent, member, times, GTID, files
                                                     with their SHA-256
    <backup_dir>/<database>/binlogs/<member>/         archived binlogs (ops/binlogs.py)
    <backup_dir>/redis/<id>/dump.rdb + manifest.json

A base is taken on a healthy replica when there is one (it carries the same GTIDs as the
primary: log_slave_updates), else on the primary. mariadb-backup reads the server's files, so
it runs on the database's own host; the stack's members are all on this machine.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from orchid.ops import mysql, retention, topology
from orchid.ops.retention import Policy
from orchid.ops.targets import Cluster, Member, Targets, client_options
from orchid.stack.servers import binary, redis_cli_target

MAX_SOURCE_LAG = 30.0  # seconds: a replica further behind is not a fit source
Progress = Callable[[int, int], None]  # (bytes done, bytes expected)


class BackupFailed(RuntimeError):
    """A backup could not be taken; the message says why."""


@dataclass
class BaseManifest:
    """What one base backup holds and how to check it is whole."""

    id: str
    database: str
    kind: str  # "full" | "incremental"
    parent: str | None  # the backup an incremental builds on
    member: str  # where it was taken
    started_at: str  # UTC ISO-8601
    finished_at: str
    gtid: str  # the GTID position of the data (mariadb-backup's binlog info)
    to_lsn: int
    bytes: int
    files: dict[str, str] = field(default_factory=dict)  # relative path → sha256

    @property
    def finished(self) -> datetime:
        return datetime.fromisoformat(self.finished_at)

    @classmethod
    def read(cls, folder: Path) -> BaseManifest:
        return cls(**json.loads((folder / "manifest.json").read_text()))

    def write(self, folder: Path) -> None:
        temporary = folder / "manifest.json.tmp"
        temporary.write_text(json.dumps(asdict(self), indent=1, sort_keys=True))
        temporary.replace(folder / "manifest.json")  # a manifest is there whole or not at all


def new_id(now: datetime, kind: str) -> str:
    """Sortable and unique per second: 20261202T203000Z-full."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{kind}"


def base_dir(targets: Targets, database: str) -> Path:
    return targets.backup_dir / database / "base"


def bases(targets: Targets, database: str) -> list[BaseManifest]:
    """Every complete base backup of `database`, oldest first (no manifest: not complete)."""
    folder = base_dir(targets, database)
    if not folder.is_dir():
        return []
    found = [BaseManifest.read(d) for d in sorted(folder.iterdir())
             if (d / "manifest.json").exists()]
    return sorted(found, key=lambda m: m.id)


def chain(targets: Targets, database: str, last: BaseManifest) -> list[BaseManifest]:
    """The full backup `last` builds on, then each incremental up to `last`."""
    by_id = {m.id: m for m in bases(targets, database)}
    links = [last]
    while links[-1].parent is not None:
        parent = by_id.get(links[-1].parent)
        if parent is None:
            raise BackupFailed(f"backup {last.id} needs {links[-1].parent}, which is gone")
        links.append(parent)
    return list(reversed(links))


def checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative path."""
    sums = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        sums[str(path.relative_to(folder))] = digest.hexdigest()
    return sums


def verify(targets: Targets, database: str, backup_id: str) -> list[str]:
    """Files of a base that are missing, extra or changed since it was taken (empty: whole)."""
    folder = base_dir(targets, database) / backup_id
    manifest = BaseManifest.read(folder)
    now = checksums(folder / "data")
    problems = [f"missing {name}" for name in manifest.files if name not in now]
    problems += [f"extra {name}" for name in now if name not in manifest.files]
    problems += [f"changed {name}" for name, digest in manifest.files.items()
                 if name in now and now[name] != digest]
    return problems


def choose_source(cluster: Cluster) -> Member:
    """A replica that replicates and is within MAX_SOURCE_LAG, else the primary."""
    found = topology.read(cluster)
    for state in found.replicas():
        if (state.io_running == "Yes" and state.sql_running == "Yes"
                and state.seconds_behind is not None and state.seconds_behind <= MAX_SOURCE_LAG):
            return cluster.member(state.name)
    if found.primary is None:
        raise BackupFailed(f"{cluster.database}: no member answers as a healthy replica or "
                           "as the only writable primary")
    return cluster.member(found.primary.name)


def expected_bytes(member: Member, cluster: Cluster) -> int:
    """Roughly what a full copy weighs: every table's data and indexes (for the progress bar)."""
    size = mysql.value(member, cluster.admin,
                       "SELECT COALESCE(SUM(data_length + index_length), 0) "
                       "FROM information_schema.tables")
    return int(float(size or 0))


def take_base(targets: Targets, database: str, *, incremental: bool = False,
              progress: Progress | None = None,
              clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> BaseManifest:
    """Take a full (or incremental, on the newest base) backup of `database`."""
    cluster = targets.cluster(database)
    parent = None
    if incremental:
        existing = bases(targets, database)
        if not existing:
            raise BackupFailed(f"{database}: no base to build an incremental on; take a full "
                               "backup first")
        parent = existing[-1]
    source = choose_source(cluster)
    started = clock()
    kind = "incremental" if parent is not None else "full"
    backup_id = new_id(started, kind)
    folder = base_dir(targets, database) / backup_id
    if folder.exists():
        raise BackupFailed(f"{folder} exists: one backup per second")
    target = folder / "data"
    folder.mkdir(parents=True)
    with client_options(source, cluster.admin) as options:
        argv = [binary("mariadb-backup"), f"--defaults-file={options}", "--backup",
                f"--target-dir={target}", "--slave-info", "--safe-slave-backup"]
        if source.datadir is not None:
            argv.append(f"--datadir={source.datadir}")
        if parent is not None:
            argv.append(f"--incremental-basedir={base_dir(targets, database) / parent.id}/data")
        log = folder / "mariadb-backup.log"
        try:
            _run_watched(argv, log, target, expected_bytes(source, cluster), progress)
        except BackupFailed:
            shutil.rmtree(target, ignore_errors=True)  # keep the log beside no manifest
            raise
    gtid, to_lsn = _binlog_info(target)
    files = checksums(target)
    manifest = BaseManifest(
        id=backup_id, database=database, kind=kind, parent=parent.id if parent else None,
        member=source.name, started_at=started.isoformat(), finished_at=clock().isoformat(),
        gtid=gtid, to_lsn=to_lsn, bytes=sum((target / f).stat().st_size for f in files),
        files=files)
    manifest.write(folder)
    return manifest


def _run_watched(argv: list[str], log: Path, target: Path, expected: int,
                 progress: Progress | None) -> None:
    """Run mariadb-backup, reporting the copy's size as it grows."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
        while proc.poll() is None:
            if progress is not None:
                progress(_size(target), expected)
            try:
                proc.wait(0.25)
            except subprocess.TimeoutExpired:
                continue
    if progress is not None:
        done = _size(target)
        progress(done, max(done, expected))
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-8:]
        raise BackupFailed("mariadb-backup failed:\n" + "\n".join(tail))


def _size(folder: Path) -> int:
    try:
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    except OSError:  # a file renamed while we looked
        return 0


def _binlog_info(target: Path) -> tuple[str, int]:
    """The GTID position of the copied data and the last LSN, from mariadb-backup's notes."""
    info = target / "xtrabackup_binlog_info"
    gtid = ""
    if info.exists():
        parts = info.read_text().split()
        gtid = parts[2] if len(parts) > 2 else ""
    to_lsn = 0
    for line in (target / "xtrabackup_checkpoints").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "to_lsn":
            to_lsn = int(value.strip())
    return gtid, to_lsn


# --- Redis -------------------------------------------------------------------------------------

@dataclass
class RedisManifest:
    id: str
    taken_at: str
    bytes: int
    sha256: str


def redis_copy(targets: Targets,
               clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> RedisManifest:
    """An RDB snapshot of Redis over its own protocol (`redis-cli --rdb`), with a checksum."""
    if targets.redis_url is None:
        raise BackupFailed("no Redis configured (ORCHID_REDIS_URL)")
    taken = clock()
    folder = targets.backup_dir / "redis" / new_id(taken, "rdb")
    folder.mkdir(parents=True, exist_ok=True)
    dump = folder / "dump.rdb"
    done = subprocess.run([binary("redis-cli"), *redis_cli_target(targets.redis_url), "--rdb",
                           str(dump)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not dump.exists():
        raise BackupFailed(f"redis-cli --rdb failed: {done.stderr.strip() or done.stdout}")
    digest = checksums(folder)["dump.rdb"]
    manifest = RedisManifest(folder.name, taken.isoformat(), dump.stat().st_size, digest)
    (folder / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1))
    return manifest


def redis_copies(targets: Targets) -> list[RedisManifest]:
    folder = targets.backup_dir / "redis"
    if not folder.is_dir():
        return []
    return [RedisManifest(**json.loads((d / "manifest.json").read_text()))
            for d in sorted(folder.iterdir()) if (d / "manifest.json").exists()]



# --- Retention ---------------------------------------------------------------------------------

@dataclass
class Pruned:
    """What a prune kept and removed."""

    kept: dict[str, list[str]]  # base id → reasons
    removed: list[str]  # base ids (and Redis copies) removed
    binlogs_removed: list[str]


def prune(targets: Targets, database: str, policy: Policy, *,
          dry_run: bool = False) -> Pruned:
    """Apply the retention policy to the full bases of `database`; an incremental goes with its
    full, and archived binlogs older than the oldest kept base go too (nothing could replay
    them)."""
    every = bases(targets, database)
    fulls = [(m.id, m.finished) for m in every if m.kind == "full"]
    kept = retention.keep(fulls, policy)
    roots = {m.id: chain(targets, database, m)[0].id for m in every}
    doomed = [m.id for m in every if roots[m.id] not in kept]
    survivors = [m for m in every if m.id not in doomed]
    binlogs_gone: list[str] = []
    if survivors:
        oldest = min(datetime.fromisoformat(m.started_at) for m in survivors).timestamp()
        for archived_file in _binlog_files(targets, database):
            # A file last written before the oldest kept base began holds nothing after it.
            if archived_file.stat().st_mtime < oldest:
                binlogs_gone.append(str(archived_file))
    if not dry_run:
        for backup_id in doomed:
            shutil.rmtree(base_dir(targets, database) / backup_id)
        for name in binlogs_gone:
            Path(name).unlink()
    return Pruned({k: v for k, v in kept.items()}, doomed, binlogs_gone)


def prune_redis(targets: Targets, policy: Policy, *, dry_run: bool = False) -> list[str]:
    """Apply the policy to the Redis copies; return the ones removed."""
    copies = redis_copies(targets)
    kept = retention.keep([(c.id, datetime.fromisoformat(c.taken_at)) for c in copies], policy)
    doomed = [c.id for c in copies if c.id not in kept]
    if not dry_run:
        for copy_id in doomed:
            shutil.rmtree(targets.backup_dir / "redis" / copy_id)
    return doomed


def _binlog_files(targets: Targets, database: str) -> list[Path]:
    root = targets.backup_dir / database / "binlogs"
    return sorted(root.glob("*/*.[0-9]*")) if root.is_dir() else []
