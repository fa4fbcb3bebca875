"""`orchid ops search snapshot|snapshots|restore|delete|health`: the search cluster."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orchid.config import load_settings
from orchid.ops import search
from orchid.ops.cli import StateDir, ops_app
from orchid.ops.targets import Targets, TargetsMissing, resolve
from orchid.services.search.es_mapping import ALIAS

console = Console()
search_app = typer.Typer(help="Search cluster: snapshots, restore, health and shard state.",
                         no_args_is_help=True)
ops_app.add_typer(search_app, name="search")

Alias = Annotated[str, typer.Option(help="The alias whose indexes are meant.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def search_targets(state_dir: Path | None) -> Targets:
    """The stack's or the deployment's Elasticsearch; no database needs to be named for it."""
    settings = load_settings()
    try:
        return resolve(state_dir, settings)
    except TargetsMissing as missing:
        if state_dir is None and settings.elasticsearch_url:
            return Targets({}, backup_dir=settings.backup_dir,
                           elasticsearch_url=settings.elasticsearch_url,
                           snapshot_repository=settings.ops_snapshot_repository)
        typer.echo(str(missing), err=True)
        raise typer.Exit(2) from None


def _failed(exc: search.SearchOpsFailed) -> typer.Exit:
    console.print(f"[red]{exc}[/red]")
    return typer.Exit(1)


@search_app.command("snapshot")
def snapshot(alias: Alias = ALIAS, as_json: AsJson = False, state_dir: StateDir = None) -> None:
    """Snapshot the indexes behind the alias into the filesystem repository; wait for it."""
    found = search_targets(state_dir)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=as_json) as progress:
            task = progress.add_task(f"snapshot of {alias}", total=None)
            info = search.take_snapshot(found, alias=alias, progress=lambda done, total:
                                        progress.update(task, completed=done,
                                                        total=max(total, done)))
    except search.SearchOpsFailed as exc:
        raise _failed(exc) from None
    if as_json:
        typer.echo(json.dumps(asdict(info), indent=1))
        return
    console.print(f"{info.name}: {', '.join(info.indices)} — {info.shards} shards, "
                  f"{info.size_bytes / 1e6:.1f} MB ({(info.added_bytes or 0) / 1e6:.1f} MB new) "
                  f"in {info.seconds:.1f} s, into {found.snapshot_repository}")


@search_app.command("snapshots")
def snapshots(as_json: AsJson = False, state_dir: StateDir = None) -> None:
    """Every snapshot in the repository, oldest first."""
    found = search_targets(state_dir)
    try:
        rows = search.list_snapshots(found)
    except search.SearchOpsFailed as exc:
        raise _failed(exc) from None
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], indent=1))
        return
    table = Table(title=f"Search snapshots in {found.snapshot_repository}")
    for column in ("name", "state", "started (UTC)", "indices", "shards", "size", "took"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.name, r.state, r.started_at[:19], ", ".join(r.indices),
                      f"{r.shards - r.failed_shards}/{r.shards}", f"{r.size_bytes / 1e6:.1f} MB",
                      f"{r.seconds:.1f} s")
    console.print(table)


@search_app.command("restore")
def restore(
    name: Annotated[str, typer.Argument(help="The snapshot's name (see `snapshots`).")],
    alias: Alias = ALIAS,
    keep_previous: Annotated[bool, typer.Option(
        help="Keep the index the alias leaves (default: delete it once the alias moved).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    state_dir: StateDir = None,
) -> None:
    """Restore a snapshot as a new index, then move the alias to it in one atomic call."""
    found = search_targets(state_dir)
    if not yes:
        typer.confirm(f"Point {alias} at the contents of snapshot {name}? Searches answer from "
                      f"it until the next sync catches up.", abort=True)
    try:
        with console.status(f"restoring {name}…"):
            report = search.restore_snapshot(found, name, alias=alias,
                                             keep_previous=keep_previous)
    except search.SearchOpsFailed as exc:
        raise _failed(exc) from None
    console.print(f"{report.source_index} of {name} restored as {report.index}: "
                  f"{report.documents} documents in {report.seconds:.1f} s; {alias} moved from "
                  f"{', '.join(report.previous) or 'nothing'}"
                  + (f"; deleted {', '.join(report.deleted)}" if report.deleted else ""))


@search_app.command("delete")
def delete(
    names: Annotated[list[str], typer.Argument(help="Snapshot names.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    state_dir: StateDir = None,
) -> None:
    """Delete snapshots by name."""
    found = search_targets(state_dir)
    if not yes:
        typer.confirm(f"Delete {len(names)} snapshot(s): {', '.join(names)}?", abort=True)
    try:
        for name in names:
            gone = search.delete_snapshot(found, name)
            console.print(f"{name}: {'deleted' if gone else 'not found'}")
    except search.SearchOpsFailed as exc:
        raise _failed(exc) from None


@search_app.command("health")
def health(alias: Alias = ALIAS, as_json: AsJson = False, state_dir: StateDir = None) -> None:
    """Cluster status, nodes, shard counts and each shard of the alias; exit 1 if red or down."""
    found = search_targets(state_dir)
    url = found.elasticsearch_url
    if url is None:
        raise _failed(search.SearchOpsFailed("no Elasticsearch configured"))
    cluster = search.cluster_health(url)
    shards = search.shard_states(url, index=f"{alias}*") \
        if cluster["status"] != "unreachable" else []
    if as_json:
        typer.echo(json.dumps({**cluster, "shard_copies": shards}, indent=1))
    else:
        console.print(search.describe_health(cluster))
        table = Table(title=f"Shards of {alias}*")
        for column in ("index", "shard", "copy", "state", "docs", "size", "node", "unassigned"):
            table.add_column(column)
        for s in shards:
            table.add_row(s["index"], s["shard"], "primary" if s["prirep"] == "p" else "replica",
                          s["state"], s["docs"], s["store"], s["node"], s["unassigned.reason"])
        console.print(table)
    if cluster["status"] in ("red", "unreachable"):
        raise typer.Exit(1)

