"""`orchid ops failover`, `orchid ops rejoin`, `orchid ops flags`."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchid.ops import topology
from orchid.ops.cli import StateDir, ops_app, targets
from orchid.ops.failover import FailoverRefused, failover, rejoin, set_read_only
from orchid.ops.mysql import SqlFailed
from orchid.ops.targets import Cluster, Targets
from orchid.ops.topology import format_position

console = Console(width=160)
One = Annotated[str, typer.Option("--database", help="main or warehouse.")]


def _say(line: str) -> None:
    console.print(line, highlight=False, markup=False)


@ops_app.command("failover")
def failover_command(
    database: One = "main",
    to: Annotated[str | None, typer.Option(help="The replica to promote (default: the most "
                                                "advanced by GTID).")] = None,
    planned: Annotated[bool, typer.Option(help="A switchover while the primary is up: it "
                                               "goes read-only, the replica catches up, "
                                               "then they swap. Loses nothing.")] = False,
    force: Annotated[bool, typer.Option(help="Promote a lagging or incomplete replica, or "
                                             "a primary the checks do not see as down.")] = False,
    max_lag: Annotated[float, typer.Option(help="Seconds a candidate may lag / take to apply "
                                                "its relay log.")] = 5.0,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
    state_dir: StateDir = None,
) -> None:
    """Promote a replica of DATABASE: checked like orchestrator, then repoint and fence."""
    found = targets(state_dir)
    cluster = _cluster(found, database)
    if not yes:
        what = "planned switchover" if planned else "failover"
        typer.confirm(f"{what} of {database} ({', '.join(m.name for m in cluster.members)})?",
                      abort=True)
    try:
        report = failover(cluster, to=to, planned=planned, force=force, max_lag=max_lag,
                          say=_say)
    except (FailoverRefused, SqlFailed) as refused:
        console.print(f"[red]refused:[/red] {refused}", highlight=False)
        console.print("nothing was promoted; see docs/operations.md (Failover) for what to do")
        raise typer.Exit(1) from None
    if found.stack is not None:
        from orchid.stack.plan import Layout

        Layout(found.stack).record_primary(
            database, report.new_primary, previous=report.old_primary,
            since=datetime.now(UTC).isoformat(timespec="seconds"),
            planned=str(report.planned).lower())
    typer.echo(json.dumps({"database": report.database, "old_primary": report.old_primary,
                           "new_primary": report.new_primary,
                           "seconds": round(report.seconds, 3),
                           "steps": [asdict(s) for s in report.steps],
                           "repointed": report.repointed,
                           "old_primary_fate": report.old_primary_fate}))


@ops_app.command("rejoin")
def rejoin_command(
    member: Annotated[str, typer.Argument(help="A former primary, back after a failover.")],
    database: One = "main",
    state_dir: StateDir = None,
) -> None:
    """Fence MEMBER (read_only=1) and make it a replica of the primary if its GTIDs allow."""
    cluster = _cluster(targets(state_dir), database)
    try:
        fate = rejoin(cluster, member, say=_say)
    except (SqlFailed, KeyError) as failed:
        console.print(f"[red]rejoin failed:[/red] {failed}", highlight=False)
        raise typer.Exit(1) from None
    _say(f"{member}: {fate}")
    if fate.startswith("diverged"):
        raise typer.Exit(1)


@ops_app.command("flags")
def flags_command(
    database: Annotated[str, typer.Option(help="main, warehouse or all.")] = "all",
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="NODE=ro or NODE=rw (repeatable); never makes a second member "
                      "writable.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    state_dir: StateDir = None,
) -> None:
    """Show (or set) read_only and the replication state of every member."""
    found = targets(state_dir)
    for assignment in set_ or []:
        name, _, value = assignment.partition("=")
        if value not in ("ro", "rw"):
            console.print(f"[red]--set {assignment}: give NODE=ro or NODE=rw[/red]")
            raise typer.Exit(2)
        cluster = next((c for c in found.selected(database)
                        if name in {m.name for m in c.members}), None)
        if cluster is None:
            console.print(f"[red]no member {name!r} in {database}[/red]")
            raise typer.Exit(2)
        try:
            set_read_only(cluster, name, value == "ro")
        except (FailoverRefused, SqlFailed) as refused:
            console.print(f"[red]refused:[/red] {refused}", highlight=False)
            raise typer.Exit(1) from None
        _say(f"{name}: read_only={1 if value == 'ro' else 0}")
    shown = [topology.read(c) for c in found.selected(database)]
    if as_json:
        typer.echo(json.dumps([{"database": t.database, "members": [
            {"name": s.name, "role": s.role, "read_only": s.read_only, "reachable": s.reachable,
             "io": s.io_running, "sql": s.sql_running, "seconds_behind": s.seconds_behind,
             "gtid_binlog_pos": format_position(s.binlog),
             "gtid_io_pos": format_position(s.received),
             "gtid_slave_pos": format_position(s.applied)} for s in t.states]}
            for t in shown]))
        return
    for top in shown:
        _table(top)


def _table(top: topology.Topology) -> None:
    table = Table(title=f"{top.database}: primary "
                        f"{top.primary.name if top.primary else '(none or several!)'}")
    for column in ("member", "role", "read_only", "IO", "SQL", "behind", "binlog / applied"):
        table.add_column(column)
    for s in top.states:
        positions = format_position(s.applied) if s.replicating else format_position(s.binlog)
        table.add_row(s.name, s.role, "-" if not s.reachable else str(int(s.read_only)),
                      s.io_running or "", s.sql_running or "",
                      "" if s.seconds_behind is None else f"{s.seconds_behind:.0f} s",
                      positions if s.reachable else (s.error or ""))
    console.print(table)


def _cluster(found: Targets, database: str) -> Cluster:
    try:
        return found.cluster(database)
    except KeyError as unknown:
        console.print(f"[red]{unknown}[/red]")
        raise typer.Exit(2) from None
