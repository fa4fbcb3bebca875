"""`orchid ops backup`, `orchid ops backups list|verify|prune`, `orchid ops restore`,
`orchid ops binlogs archive`, `orchid ops schedule`."""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from orchid.config import load_settings
from orchid.ops import backup as backups
from orchid.ops import binlogs, retention, schedule
from orchid.ops import search as search_ops
from orchid.ops.cli import Database, StateDir, ops_app, targets
from orchid.ops.restore import (
    Restored,
    RestoreFailed,
    load_restored,
    parse_point,
    restore_to,
    stop_restored,
)
from orchid.ops.retention import Policy
from orchid.ops.search import SearchOpsFailed
from orchid.ops.swap import SwapRefused, swap_in
from orchid.ops.targets import Targets

console = Console()
backups_app = typer.Typer(help="The backups taken: list, verify, prune.", no_args_is_help=True)
binlogs_app = typer.Typer(help="Continuous binlog archiving.", no_args_is_help=True)
ops_app.add_typer(backups_app, name="backups")
ops_app.add_typer(binlogs_app, name="binlogs")


def _policy() -> Policy:
    settings = load_settings()
    return Policy(settings.backup_keep_daily, settings.backup_keep_weekly,
                  settings.backup_keep_monthly)


@ops_app.command("backup")
def backup(
    database: Database = "all",
    incremental: Annotated[bool, typer.Option(help="On the newest base, not a full copy.")] = False,
    redis: Annotated[bool, typer.Option(help="Also copy Redis (RDB).")] = True,
    search: Annotated[bool, typer.Option(help="Also snapshot the search index.")] = True,
    state_dir: StateDir = None,
) -> None:
    """Base backup of each database (on a healthy replica), checksummed, with a manifest; a
    Redis copy; a snapshot of the search index."""
    found = targets(state_dir)
    try:
        take_all(found, database, incremental=incremental, redis=redis, search=search)
    except (backups.BackupFailed, SearchOpsFailed, KeyError) as exc:
        console.print(f"[red]backup failed:[/red] {exc}")
        raise typer.Exit(1) from None


def take_all(found: Targets, database: str, *, incremental: bool, redis: bool,
             search: bool) -> None:
    """Every selected database, then Redis and the search index; each with its progress."""
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        for cluster in found.selected(database):
            task = progress.add_task(f"{cluster.database}", total=None)

            def report(done: int, expected: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=max(expected, done))

            manifest = backups.take_base(found, cluster.database, incremental=incremental,
                                         progress=report)
            progress.update(task, description=f"{cluster.database} {manifest.id} "
                                              f"(on {manifest.member}, GTID {manifest.gtid})")
        if redis and found.redis_url is not None:
            copy = backups.redis_copy(found)
            progress.console.print(f"redis {copy.id}: {copy.bytes} bytes, sha256 "
                                   f"{copy.sha256[:16]}…")
        if search and found.elasticsearch_url and found.snapshot_repository:
            snapshot = search_ops.take_snapshot(found)
            progress.console.print(f"search snapshot {snapshot.name}: {snapshot.shards} shards, "
                                   f"{snapshot.size_bytes / 1e6:.1f} MB in "
                                   f"{snapshot.seconds:.1f} s")


@backups_app.command("list")
def backups_list(
    database: Database = "all",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    state_dir: StateDir = None,
) -> None:
    """Every base backup and Redis copy, oldest first."""
    found = targets(state_dir)
    rows = [m for cluster in found.selected(database)
            for m in backups.bases(found, cluster.database)]
    copies = backups.redis_copies(found)
    if as_json:
        typer.echo(json.dumps({"bases": [{k: v for k, v in asdict(m).items() if k != "files"}
                                         for m in rows],
                               "redis": [asdict(c) for c in copies]}, indent=1))
        return
    table = Table(title=f"Backups in {found.backup_dir}")
    for column in ("database", "id", "kind", "on", "finished (UTC)", "size", "GTID"):
        table.add_column(column)
    for m in rows:
        table.add_row(m.database, m.id, m.kind, m.member, m.finished_at[:19],
                      f"{m.bytes / 1e6:.1f} MB", m.gtid)
    for c in copies:
        table.add_row("redis", c.id, "rdb", "", c.taken_at[:19], f"{c.bytes / 1e6:.1f} MB", "")
    console.print(table)
    archived = [f for cluster in found.selected(database)
                for f in binlogs.archived(found, cluster.database)]
    console.print(f"{len(archived)} archived binlog files, "
                  f"{sum(f.bytes for f in archived) / 1e6:.1f} MB")


@backups_app.command("verify")
def backups_verify(
    backup_id: Annotated[str, typer.Argument(help="The backup's id.")],
    database: Annotated[str, typer.Option(help="main or warehouse.")] = "main",
    state_dir: StateDir = None,
) -> None:
    """Check every file of a base backup against its manifest's SHA-256."""
    problems = backups.verify(targets(state_dir), database, backup_id)
    if problems:
        for problem in problems:
            console.print(f"[red]{problem}[/red]")
        raise typer.Exit(1)
    console.print(f"{backup_id}: every file as taken")


@backups_app.command("prune")
def backups_prune(
    dry_run: Annotated[bool, typer.Option(help="Say what would go; remove nothing.")] = False,
    state_dir: StateDir = None,
) -> None:
    """Keep 7 daily, 4 weekly, 12 monthly (ORCHID_BACKUP_KEEP_*); remove the rest."""
    found = targets(state_dir)
    prune_all(found, _policy(), dry_run=dry_run)


def prune_all(found: Targets, policy: Policy, *, dry_run: bool) -> None:
    verb = "would remove" if dry_run else "removed"
    for cluster in found.selected("all"):
        report = backups.prune(found, cluster.database, policy, dry_run=dry_run)
        for backup_id, why in sorted(report.kept.items()):
            console.print(f"{cluster.database}: keep {backup_id} ({', '.join(why)})")
        for backup_id in report.removed:
            console.print(f"{cluster.database}: {verb} {backup_id}")
        if report.binlogs_removed:
            console.print(f"{cluster.database}: {verb} {len(report.binlogs_removed)} archived "
                          "binlog files older than every kept base")
    for copy_id in backups.prune_redis(found, policy, dry_run=dry_run):
        console.print(f"redis: {verb} {copy_id}")
    if found.elasticsearch_url and found.snapshot_repository:
        for name in prune_snapshots(found, policy, dry_run=dry_run):
            console.print(f"search: {verb} snapshot {name}")


def prune_snapshots(found: Targets, policy: Policy, *, dry_run: bool) -> list[str]:
    """The same policy on the search snapshots (by when each began)."""
    taken = [(s.name, datetime.fromisoformat(s.started_at))
             for s in search_ops.list_snapshots(found) if s.state == "SUCCESS"]
    kept = retention.keep(taken, policy)
    doomed = [name for name, _ in taken if name not in kept]
    if not dry_run:
        for name in doomed:
            search_ops.delete_snapshot(found, name)
    return doomed


@ops_app.command("restore")
def restore(
    to: Annotated[str, typer.Option(help="The last second to keep, with its offset: "
                                         "2026-12-02T10:15:03+05:30.")],
    into: Annotated[Path, typer.Option(help="A new folder for the restored server.")],
    database: Annotated[str, typer.Option(help="main or warehouse.")] = "main",
    port: Annotated[int | None, typer.Option(help="Its port (default: a free one).")] = None,
    swap: Annotated[bool, typer.Option(help="Then swap it in for the live data "
                                            "(as restore-swap).")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Swap without asking.")] = False,
    state_dir: StateDir = None,
) -> None:
    """Restore a database as it was at a second, beside the live one, read-only."""
    found = targets(state_dir)
    try:
        point = parse_point(to)
        restored = restore_to(found, database, to=point, into=into, port=port,
                              step=lambda what: console.print(f"  {what}"))
    except (RestoreFailed, backups.BackupFailed, KeyError) as exc:
        console.print(f"[red]restore refused:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"restored {database} to {point.isoformat()} from {restored.base} in "
                  f"{restored.seconds:.1f} s: GTID {restored.gtid}")
    console.print(f"running read-only on 127.0.0.1:{restored.port} (socket {restored.socket}, "
                  f"pid {restored.pid}); stop it with `orchid ops restore-stop --into {into}`")
    if swap:
        _swap(found, restored, yes=yes)


@ops_app.command("restore-swap")
def restore_swap(
    into: Annotated[Path, typer.Option(help="The restore's folder.")],
    yes: Annotated[bool, typer.Option("--yes", help="Swap without asking.")] = False,
    state_dir: StateDir = None,
) -> None:
    """Make a restored server's data the live data (on the primary; replicas and the app
    follow). The live tables are kept in <schema>_before_<time>."""
    try:
        restored = load_restored(into)
    except RestoreFailed as exc:
        console.print(f"[red]swap refused:[/red] {exc}")
        raise typer.Exit(1) from None
    _swap(targets(state_dir), restored, yes=yes)


def _swap(found: Targets, restored: Restored, *, yes: bool) -> None:
    try:
        schema = found.cluster(restored.database).schema
        if not yes:
            typer.confirm(f"Replace the live {restored.database} data ({schema}) with the data "
                          f"as of {restored.to.isoformat()}? Every write since then leaves the "
                          "live tables (kept aside)", abort=True)
        report = swap_in(found, restored, step=lambda what: console.print(f"  {what}"))
    except (SwapRefused, KeyError) as exc:
        console.print(f"[red]swap refused:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"{report.database} on {report.primary} is now as of {report.to.isoformat()}: "
                  f"{report.tables} tables, {report.rows} rows copied in "
                  f"{report.staged_seconds:.1f} s, cut over in {report.cut_over_seconds:.3f} s; "
                  f"replicas applied it: {', '.join(report.replicas) or 'none'}")
    console.print(f"the tables that were live are in {report.discarded}: copy back what should "
                  f"stay, then DROP DATABASE `{report.discarded}`")
    if report.database == "main":
        console.print("rebuild the search index from the restored catalog: "
                      "`orchid search reindex`; cached answers expire within "
                      "ORCHID_CACHE_TTL_SECONDS (300 s by default)")


@ops_app.command("restore-stop")
def restore_stop(into: Annotated[Path, typer.Option(help="The restore's folder.")]) -> None:
    """Stop the server a restore left running."""
    if not stop_restored(into):
        console.print(f"no restored server runs from {into}")
        raise typer.Exit(1)
    console.print("stopped")


@binlogs_app.command("archive")
def binlogs_archive(
    database: Annotated[str, typer.Option(help="main or warehouse.")] = "main",
    state_dir: StateDir = None,
) -> None:
    """Copy the primary's binlogs as they are written, until stopped (run it supervised)."""
    found = targets(state_dir)
    try:
        code = binlogs.archive_forever(found, database)
    except binlogs.ArchiveFailed as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@ops_app.command("schedule")
def schedule_command(
    at: Annotated[str, typer.Option(help="Wall-clock time of the nightly backup.")] = "02:00",
    zone: Annotated[str, typer.Option(help="Its time zone.")] = "Asia/Kolkata",
    state_dir: StateDir = None,
) -> None:
    """Take a full backup of everything and prune, every night at --at, until SIGTERM."""
    found = targets(state_dir)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    policy = _policy()

    def nightly() -> None:
        try:
            take_all(found, "all", incremental=False, redis=True, search=True)
            prune_all(found, policy, dry_run=False)
        except (backups.BackupFailed, SearchOpsFailed, KeyError) as exc:
            console.print(f"[red]nightly backup failed:[/red] {exc}")

    schedule.run_forever(
        nightly, at=schedule.parse_at(at), zone=ZoneInfo(zone), stop=stop,
        announce=lambda due: console.print(f"next backup at {due.astimezone(ZoneInfo(zone))} "
                                           f"({due:%Y-%m-%d %H:%M} UTC); now "
                                           f"{datetime.now(UTC):%H:%M:%S} UTC"))
