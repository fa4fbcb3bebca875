"""`orchid ops schema-change`: alter a large table online, then cut over, or panic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from orchid.ops import mysql
from orchid.ops import schema_change as osc
from orchid.ops.cli import StateDir, ops_app, targets

console = Console()


@ops_app.command("schema-change")
def schema_change(
    table: Annotated[str | None, typer.Option(help="The table to alter.")] = None,
    alter: Annotated[str | None, typer.Option(
        help='The change without ALTER TABLE, e.g. "ADD COLUMN note TEXT NULL".')] = None,
    database: Annotated[str, typer.Option(help="main or warehouse.")] = "main",
    postpone: Annotated[bool, typer.Option(
        help="Copy, then hold the cut-over until `--cut-over`.")] = False,
    cut_over: Annotated[bool, typer.Option(
        "--cut-over", help="Let the postponed change of --table (or the only one) cut over.")
    ] = False,
    panic: Annotated[bool, typer.Option(
        "--panic", help="Stop the running change of --table now; the table stays as it was.")
    ] = False,
    instant: Annotated[bool, typer.Option(
        help="Use MariaDB's ALGORITHM=INSTANT (refused unless the change is instant).")] = False,
    flags_dir: Annotated[Path, typer.Option(help="Where the flag files live.")] = Path("/tmp"),
    state_dir: StateDir = None,
) -> None:
    """Alter a table online (gh-ost when installed, else pt-online-schema-change)."""
    found = targets(state_dir)
    folder = found.backup_dir / "ops"
    if cut_over or panic:
        _signal(folder, table, cut_over=cut_over)
        return
    if table is None or alter is None:
        console.print("[red]--table and --alter are required[/red]")
        raise typer.Exit(2)
    cluster = found.cluster(database)
    change = osc.Change(database, cluster.schema, table, alter, flags_dir)
    primary = osc.primary_of(cluster)
    is_instant = osc.instant_possible(cluster, primary, change)
    if instant:
        if not is_instant:
            console.print("[red]not instant in MariaDB:[/red] an in-place ALTER would stall "
                          "every replica while it replays it; run without --instant")
            raise typer.Exit(1)
        osc.alter_instant(cluster, primary, change)
        console.print(f"{table}: altered with ALGORITHM=INSTANT")
        return
    if is_instant:
        console.print(f"[yellow]this change is instant in MariaDB[/yellow]: `--instant` applies "
                      f"it as ALTER TABLE {table} {alter}, ALGORITHM=INSTANT, with no copy")
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"{table}: copying", total=100)

        def report(percent: int, phase: str) -> None:
            hint = " (run `orchid ops schema-change --cut-over`)" if phase == "postponed" else ""
            progress.update(task, completed=percent, description=f"{table}: {phase}{hint}")

        try:
            tool = osc.run(cluster, change, postpone=postpone, state_dir=folder,
                           log_dir=folder, progress=report)
        except (osc.SchemaChangeFailed, mysql.SqlFailed) as exc:
            console.print(f"[red]schema change stopped:[/red] {exc}")
            raise typer.Exit(1) from None
    console.print(f"{table}: altered online with {tool}")


def _signal(folder: Path, table: str | None, *, cut_over: bool) -> None:
    running = [s for s in osc.read_states(folder) if table is None or s.table == table]
    if len(running) != 1:
        names = ", ".join(s.table for s in running) or "none"
        console.print(f"[red]name one running change with --table[/red] (running: {names})")
        raise typer.Exit(2)
    change = running[0].change()
    if cut_over:
        osc.request_cut_over(change)
        console.print(f"{change.table}: cut-over requested (was {running[0].phase})")
    else:
        osc.request_panic(change)
        console.print(f"{change.table}: panic requested; the change stops and cleans up")
