"""The outbox relay: publishes each database's unsent events, oldest first, at least once.

    relay = Relay(db, MainOutbox, bus)
    await relay.run(stop)            # until `stop` is set: batches, stats, purges

A batch is one transaction: lock up to `batch` unsent rows (`FOR UPDATE SKIP LOCKED`, so
several relays share the work without waiting on each other), publish them, mark them sent,
commit. A relay that dies after publishing and before committing leaves its rows unsent, and
they are published again: consumers deduplicate by event id.

Order: within a batch, rows go out in `seq` order, with the aggregate id as the ordering key.
Across relays, a row is held back while an earlier unsent row of its aggregate is locked by
another relay — so one aggregate's events are published in the order they were written, even
with several relays.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import structlog
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.events.bus import Bus
from orchid.events.topics import topic_of
from orchid.kit.db import Database
from orchid.kit.metrics import EVENTS_PUBLISHED, OUTBOX_LAG, OUTBOX_PENDING
from orchid.kit.orm import utcnow
from orchid.kit.outbox import Event, MainOutbox, OutboxColumns, OutboxTable, WarehouseOutbox
from orchid.services import MAIN_DB, WAREHOUSE_DB

if TYPE_CHECKING:
    from orchid.platform import Resources

log = structlog.get_logger("orchid.events.relay")
RETENTION = timedelta(days=7)  # sent rows kept for `orchid events tail` and investigations


@dataclass(frozen=True)
class Backlog:
    """What waits in an outbox: how many rows, and since when."""

    pending: int
    oldest: datetime | None


class Relay:
    """Publishes one database's outbox to the bus."""

    def __init__(self, db: Database, table: OutboxTable, bus: Bus, *, batch: int = 200,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.table, self.bus = db, table, bus
        self.batch, self.clock = batch, clock

    async def publish_batch(self) -> list[Event]:
        """Publish one batch of unsent events; return those published (empty: nothing to do)."""
        table = self.table
        if not await self.db.read(partial(_any_unsent, table)):
            return []  # the common case, answered without a write transaction (or its lock)
        async with self.db.write() as session:
            if session.get_bind().dialect.name == "mysql":
                # Record locks only. REPEATABLE READ would also lock the gap after the last
                # unsent row, and every service's next outbox insert — an order, a payment —
                # would wait while this batch waits on the bus (up to its publish timeout).
                await session.execute(text("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"))
            rows = cast(list[OutboxColumns], list((await session.execute(
                select(table).where(table.sent_at.is_(None)).order_by(table.seq)
                .limit(self.batch).with_for_update(skip_locked=True))).scalars()))
            if not rows:
                return []
            held = {row.seq for row in rows}
            # Unsent rows of these aggregates that this relay does not hold (another relay has
            # them locked, or they are past this batch): nothing of theirs may overtake them.
            others = (await session.execute(
                select(table.aggregate_id, func.min(table.seq))
                .where(table.sent_at.is_(None),
                       table.aggregate_id.in_({row.aggregate_id for row in rows}),
                       table.seq.not_in(held))
                .group_by(table.aggregate_id))).all()
            first_other = {aggregate: seq for aggregate, seq in others}
            going = [row for row in rows
                     if row.seq < first_other.get(row.aggregate_id, row.seq + 1)]
            events = [row.event() for row in going]
            await asyncio.gather(*(self.bus.publish(topic_of(e), e) for e in events))
            if going:
                await session.execute(update(table).where(table.seq.in_([r.seq for r in going]))
                                      .values(sent_at=self.clock()))
        for event in events:
            EVENTS_PUBLISHED.labels(self.db.name, event.type).inc()
        return events

    async def backlog(self) -> Backlog:
        """Count the unsent rows and find the oldest; export both as gauges."""
        table = self.table

        async def count(session: AsyncSession) -> tuple[int, Any]:
            found = (await session.execute(select(func.count(), func.min(table.occurred_at))
                                           .where(table.sent_at.is_(None)))).one()
            return int(found[0]), found[1]

        pending, oldest = await self.db.read(count)  # no write lock for a count
        if isinstance(oldest, str):  # SQLite hands an aggregate's DATETIME back as text
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=self.clock().tzinfo)
        OUTBOX_PENDING.labels(self.db.name).set(pending)
        lag = (self.clock() - oldest).total_seconds() if oldest is not None else 0.0
        OUTBOX_LAG.labels(self.db.name).set(max(lag, 0.0))
        return Backlog(int(pending), oldest)

    async def purge(self, *, older_than: timedelta = RETENTION, limit: int = 1000) -> int:
        """Delete up to `limit` rows sent before `older_than` ago; return how many."""
        table, cutoff = self.table, self.clock() - older_than

        async def expired(session: AsyncSession) -> list[int]:
            return list((await session.execute(
                select(table.seq).where(table.sent_at < cutoff).order_by(table.seq)
                .limit(limit))).scalars())

        seqs = await self.db.read(expired)  # usually none: then no write transaction at all
        if seqs:
            async with self.db.write() as session:
                await session.execute(delete(table).where(table.seq.in_(seqs)))
        return len(seqs)

    async def run(self, stop: asyncio.Event, *, idle: float = 0.1,
                  backlog_every: float = 5.0, purge_every: float = 300.0) -> None:
        """Publish until `stop` is set. With nothing to send, sleep until a writer rings the
        database's doorbell (kit/doorbell.py) or `idle` seconds pass — longer (up to 5 s) while
        the database or the bus keeps failing."""
        async with self.db.doorbell.listening():
            await self._run(stop, idle, backlog_every, purge_every)

    async def _run(self, stop: asyncio.Event, idle: float, backlog_every: float,
                   purge_every: float) -> None:
        loop = asyncio.get_running_loop()
        next_backlog = next_purge = loop.time()
        failures = 0
        while not stop.is_set():
            try:
                sent = await self.publish_batch()
                now = loop.time()
                if now >= next_backlog:
                    await self.backlog()
                    next_backlog = now + backlog_every
                if now >= next_purge:
                    await self.purge()
                    next_purge = now + purge_every
                failures = 0
            except Exception as error:  # the database or the bus away: the rows wait for us
                failures += 1
                log.warning("relay_waiting", database=self.db.name, failures=failures,
                            error=f"{type(error).__name__}: {error}")
                sent = []
            if len(sent) < self.batch:
                pause = idle if not failures else min(idle * 2 ** failures, 5.0)
                await self.db.doorbell.wait(pause, unless=stop)


async def _any_unsent(table: OutboxTable, session: AsyncSession) -> bool:
    found = await session.execute(select(table.seq).where(table.sent_at.is_(None)).limit(1))
    return found.first() is not None


def relays(resources: Resources, stores: set[str]
           ) -> list[Callable[[], Coroutine[Any, Any, None]]]:
    """The relays of the databases among `stores`, publishing to the process's own bus (work
    for the app's lifespan, which cancels it at shutdown)."""
    found: list[tuple[Database, OutboxTable]] = []
    if MAIN_DB in stores:
        found.append((resources.main_db, MainOutbox))
    if WAREHOUSE_DB in stores:
        found.append((resources.warehouse_db, WarehouseOutbox))
    idle = resources.settings.events_relay_idle_seconds
    return [partial(Relay(db, table, resources.bus).run, asyncio.Event(), idle=idle)
            for db, table in found]
