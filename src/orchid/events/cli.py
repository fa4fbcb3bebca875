"""`orchid events tail`: the newest events in the outboxes, published or waiting; `orchid events
dlq list|replay`: the events subscribers gave up on, in Pub/Sub's dead-letter subscriptions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.config import Settings, load_settings
from orchid.kit.db import Database
from orchid.kit.outbox import MainOutbox, OutboxColumns, OutboxTable, WarehouseOutbox

if TYPE_CHECKING:
    from orchid.events.pubsub import DeadLetter, PubSubBus

events_app = typer.Typer(help="The events the services wrote (docs/events.md).",
                         no_args_is_help=True)
OUTBOXES: dict[str, OutboxTable] = {"main": MainOutbox, "warehouse": WarehouseOutbox}
dlq_app = typer.Typer(help="Dead letters: the events a subscriber gave up on, waiting in its "
                      "Pub/Sub dead-letter subscription <subscription>-dead.",
                      no_args_is_help=True)
events_app.add_typer(dlq_app, name="dlq")
NO_PROJECT = ("no Pub/Sub project (ORCHID_PUBSUB_PROJECT): this setup runs the in-process bus, "
              "whose dead letters live only in the memory of the process that subscribed, and "
              "go with it")


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


@dlq_app.command("list")
def dlq_list(
    subscription: Annotated[str | None, typer.Option(
        help="Only this subscription's dead letters (its name or <name>-dead; default: every "
             "subscription of the project ending in -dead).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many per "
                                       "subscription.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one per dead letter.")
                       ] = False,
) -> None:
    """Show the dead letters waiting, without consuming them (ORCHID_PUBSUB_PROJECT)."""
    from orchid.events.pubsub import dead_letter_subscription

    with _pubsub() as bus:
        names = ([dead_letter_subscription(subscription)] if subscription
                 else bus.dead_letter_subscriptions())
        for name in names:
            letters = bus.dead_letters(name, limit)
            if not as_json:
                typer.echo(f"{name}: {len(letters)}{'+' if len(letters) == limit else ''} waiting")
            for letter in letters:
                row = _described(letter)
                typer.echo(json.dumps(row, ensure_ascii=False) if as_json else _line(row))


@dlq_app.command("replay")
def dlq_replay(
    subscription: Annotated[str, typer.Option(
        help="The subscription that gave up on them (its name or <name>-dead).")],
    event_id: Annotated[list[str] | None, typer.Option(
        "--event-id", help="Replay this event; repeatable.")] = None,
    everything: Annotated[bool, typer.Option(
        "--all", help="Replay every dead letter of the subscription (1000 at most a run).")
                          ] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Only print what would be replayed; change nothing.")] = False,
) -> None:
    """Publish dead letters to the topic of the subscription that failed them, then remove them
    from its dead letters.

    A replayed event keeps its data and attributes, with its aggregate id as ordering key; it
    loses dead_letter_reason and gains replayed_from=<subscription>-dead. The topic delivers it
    to EVERY subscription of that topic, not only to the one that failed it: the others have
    handled it already and get it a second time. Our handlers are idempotent (an inbox by event
    id, or an effect that is the same when repeated: functions/runtime.py); one that is not
    would apply it twice. Fix the failing handler first, or the event fails its attempts again
    and comes back here.
    """
    from orchid.events.pubsub import REPLAY_LIMIT

    if bool(event_id) == everything:
        typer.echo("name the events: --event-id ID (repeatable) or --all", err=True)
        raise typer.Exit(2)
    with _pubsub() as bus:
        outcome = bus.replay(subscription, None if everything else event_id, dry_run=dry_run)
    verb = "would replay" if dry_run else "replayed"
    for letter in outcome.replayed:
        row = _described(letter)
        typer.echo(f"{verb} {row['event_id']}  {row['type']}  {row['aggregate']}")
    failed = False
    for letter in outcome.failed:
        typer.echo(f"failed {letter.event_id}: left in the dead letters", err=True)
        failed = True
    missing = sorted(set(event_id or []) - {letter.event_id for letter in
                                             outcome.replayed + outcome.failed})
    if missing:
        typer.echo(f"not among the dead letters: {', '.join(missing)}", err=True)
        failed = True
    if everything and len(outcome.replayed) + len(outcome.failed) >= REPLAY_LIMIT:
        typer.echo(f"{REPLAY_LIMIT} at most a run: more may be waiting", err=True)
    if failed:
        raise typer.Exit(1)


@contextmanager
def _pubsub() -> Iterator[PubSubBus]:
    """The project's Pub/Sub (the emulator's when PUBSUB_EMULATOR_HOST is set), closed after."""
    project = load_settings().pubsub_project
    if not project:
        typer.echo(NO_PROJECT, err=True)
        raise typer.Exit(2)
    from google.api_core.exceptions import NotFound

    from orchid.events.pubsub import PubSubBus  # gRPC clients: only where they are used

    bus = PubSubBus(project)
    try:
        yield bus
    except NotFound as error:
        typer.echo(f"not in project {project}: {error.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        asyncio.run(bus.close())


def _described(letter: DeadLetter) -> dict[str, Any]:
    event = letter.event
    return {"subscription": letter.subscription, "event_id": letter.event_id,
            "type": event.type if event else letter.attributes.get("type"),
            "aggregate": f"{event.aggregate_type}:{event.aggregate_id}" if event else None,
            "occurred_at": event.occurred_at.isoformat() if event else None,
            "reason": letter.reason, "attempts": letter.attempts,
            "dead_since": letter.dead_since.isoformat(), "message_id": letter.message_id}


def _line(row: dict[str, Any]) -> str:
    fields = [row["event_id"], row["type"], row["aggregate"], row["occurred_at"],
              f"attempts={row['attempts'] or '?'}", row["reason"] or ""]
    return "  " + "  ".join(str(field) for field in fields).rstrip()
