"""`orchid events tail`: the newest events in the outboxes, published or waiting."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import Annotated, Any

import typer
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.config import Settings, load_settings
from orchid.kit.db import Database
from orchid.kit.outbox import MainOutbox, OutboxColumns, OutboxTable, WarehouseOutbox

events_app = typer.Typer(help="The events the services wrote (docs/events.md).",
                         no_args_is_help=True)
OUTBOXES: dict[str, OutboxTable] = {"main": MainOutbox, "warehouse": WarehouseOutbox}


@events_app.command("tail")
def tail(
    kind: Annotated[str | None, typer.Option("--type", help="Only events of this type.")] = None,
    database: Annotated[list[str] | None, typer.Option(
        help="main or warehouse; repeatable (default: both).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest last.")] = 20,
    unsent: Annotated[bool, typer.Option("--unsent", help="Only those not yet published.")
                      ] = False,
) -> None:
    """Print the newest events as JSON lines (the settings' databases: ORCHID_*_URL)."""
    names = database or list(OUTBOXES)
    unknown = sorted(set(names) - set(OUTBOXES))
    if unknown:
        typer.echo(f"no database {', '.join(unknown)}: main or warehouse", err=True)
        raise typer.Exit(2)
    rows = asyncio.run(_newest(load_settings(), names, kind=kind, limit=limit, unsent=unsent))
    for name, row in rows:
        event = row.event()
        typer.echo(json.dumps({"database": name, "seq": row.seq, "type": event.type,
                               "aggregate": f"{event.aggregate_type}:{event.aggregate_id}",
                               "occurred_at": event.occurred_at.isoformat(),
                               "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                               "id": event.id, "request_id": event.request_id,
                               "payload": event.payload}, ensure_ascii=False))


async def _newest(settings: Settings, names: list[str], *, kind: str | None, limit: int,
                  unsent: bool) -> list[tuple[str, OutboxColumns]]:
    urls = {"main": settings.main_url(), "warehouse": settings.warehouse_url()}
    found: list[tuple[str, OutboxColumns]] = []
    for name in names:
        table = OUTBOXES[name]
        query = select(table).order_by(table.seq.desc()).limit(limit)
        if kind is not None:
            query = query.where(table.type == kind)
        if unsent:
            query = query.where(table.sent_at.is_(None))
        db = Database(name, urls[name])
        try:
            rows = await db.read(partial(_rows, query))
        finally:
            await db.close()
        found += [(name, row) for row in rows]
    found.sort(key=lambda pair: pair[1].occurred_at)
    return found[-limit:]


async def _rows(query: Select[Any], session: AsyncSession) -> list[OutboxColumns]:
    return list((await session.execute(query)).scalars())
