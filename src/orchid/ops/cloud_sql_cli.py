"""`orchid ops cloud-backup`: on-demand Cloud SQL backups of every primary, then retention."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer

from orchid.config import load_settings
from orchid.ops.cli import ops_app
from orchid.ops.cloud_sql import CloudBackupFailed, CloudSqlAdmin, Instance, google_token, prune
from orchid.ops.retention import Policy


@ops_app.command("cloud-backup")
def cloud_backup(
    instance: Annotated[list[str] | None, typer.Option(
        help="A primary's connection name, project:region:instance; repeatable (default: "
             "ORCHID_OPS_CLOUD_SQL_PRIMARIES).")] = None,
    prune_only: Annotated[bool, typer.Option(help="Take no backup; only apply retention.")]
    = False,
) -> None:
    """Back up each Cloud SQL primary on demand, then delete ours the policy no longer keeps."""
    settings = load_settings()
    names = instance or settings.ops_cloud_sql_primaries
    if not names:
        typer.echo("no instances: pass --instance or set ORCHID_OPS_CLOUD_SQL_PRIMARIES", err=True)
        raise typer.Exit(2)
    policy = Policy(settings.backup_keep_daily, settings.backup_keep_weekly,
                    settings.backup_keep_monthly)
    try:
        targets = [Instance.parse(name) for name in names]
        with httpx.Client(timeout=30) as client:
            admin = CloudSqlAdmin(client, google_token())
            for target in targets:
                if not prune_only:
                    operation = admin.backup(target)
                    typer.echo(f"{target.name}: backed up ({operation})")
                for run in prune(admin, target, policy):
                    typer.echo(f"{target.name}: deleted backup {run.id} of "
                               f"{run.taken_at.isoformat()}")
    except CloudBackupFailed as failed:
        typer.echo(f"backup failed: {failed}", err=True)
        raise typer.Exit(1) from None
