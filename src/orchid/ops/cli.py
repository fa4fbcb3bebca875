"""`orchid ops …`: the operator's commands. Each subcommand lives in the module that does it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchid.config import load_settings
from orchid.ops.targets import Targets, TargetsMissing, resolve

ops_app = typer.Typer(help="Data operations: backups, restore, failover, schema changes.",
                      no_args_is_help=True)

StateDir = Annotated[Path | None, typer.Option(
    "--state-dir", help="A local stack's folder (default: .orchid/stack when it exists; "
                        "otherwise the ORCHID_OPS_* settings name a deployment's servers).")]
Database = Annotated[str, typer.Option(help="main, warehouse or all.")]


def targets(state_dir: Path | None) -> Targets:
    """Where the servers are, or exit 2 saying how to tell us."""
    try:
        return resolve(state_dir, load_settings())
    except TargetsMissing as missing:
        typer.echo(str(missing), err=True)
        raise typer.Exit(2) from None


def _register() -> None:
    # Each module adds its commands to ops_app; imported here so `orchid ops --help` lists all.
    from orchid.ops import backup_cli, failover_cli, iam_cli, schema_change_cli  # noqa: F401
    from orchid.ops import cloud_sql_cli as _cloud_sql  # noqa: F401
    from orchid.ops import search_cli as _search  # noqa: F401


_register()
