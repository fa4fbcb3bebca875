"""The transactional outbox: a service writes its event in the transaction that changes its state,
and a relay (orchid.events.relay) publishes it afterwards. A change that rolls back takes its
event with it; an event is never published for a change that did not commit.

    async with db.write() as session:
        order.status = "cancelled"
        record(session, MainOutbox, "order.cancelled", "order", order.number, {...})

Each database has its own `outbox` table (main: orders, payments, catalog, customers;
warehouse: stock and reservations). `seq` is the order rows were written in; a service that
locks its aggregate's row before writing (as every Orchid write does) gets one aggregate's
events in commit order, which is the order the relay publishes them in.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import JSON, BigInteger, Index, Integer, SmallInteger, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from orchid.kit import tracing
from orchid.kit.db import OUTBOX_WRITTEN
from orchid.kit.orm import MainBase, UTCDateTime, WarehouseBase, utcnow

SCHEMA_VERSION = 1  # of an event's payload, per type; bumped when a payload changes shape


@dataclass(frozen=True)
class Event:
    """One event as it travels: what happened, to which aggregate, when, and its payload."""

    type: str  # "<aggregate>.<what happened>", e.g. order.placed
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    occurred_at: datetime
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    version: int = SCHEMA_VERSION
    traceparent: str | None = None  # W3C: the trace of the request that made the change
    request_id: str | None = None

    def to_json(self) -> bytes:
        body = asdict(self)
        body["occurred_at"] = self.occurred_at.isoformat()
        return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Event:
        body = json.loads(data)
        body["occurred_at"] = datetime.fromisoformat(body["occurred_at"])
        return cls(**body)


class OutboxColumns:
    """The outbox table's columns, the same in both databases."""

    # BIGINT on MariaDB; SQLite autoincrements only an INTEGER PRIMARY KEY.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(SmallInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    traceparent: Mapped[str | None] = mapped_column(String(55))
    request_id: Mapped[str | None] = mapped_column(String(128))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Index, ...]:
        # The relay asks for unsent rows oldest first, and for an aggregate's unsent rows.
        return (Index("ix_outbox_aggregate", "aggregate_id", "seq"),)

    def event(self) -> Event:
        return Event(type=self.type, aggregate_type=self.aggregate_type,
                     aggregate_id=self.aggregate_id, payload=self.payload,
                     occurred_at=self.occurred_at, id=self.event_id, version=self.version,
                     traceparent=self.traceparent, request_id=self.request_id)


class MainOutbox(OutboxColumns, MainBase):
    __tablename__ = "outbox"


class WarehouseOutbox(OutboxColumns, WarehouseBase):
    __tablename__ = "outbox"


OutboxTable = type[MainOutbox] | type[WarehouseOutbox]


def record(session: AsyncSession | Session, table: OutboxTable, type: str, aggregate_type: str,
           aggregate_id: str, payload: dict[str, Any], *, version: int = SCHEMA_VERSION,
           now: datetime | None = None) -> Event:
    """Add an event to the session's transaction; it is written when the transaction commits."""
    headers: dict[str, str] = {}
    tracing.inject(headers)
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    event = Event(type=type, aggregate_type=aggregate_type, aggregate_id=aggregate_id,
                  payload=payload, occurred_at=now or utcnow(), version=version,
                  traceparent=headers.get("traceparent"),
                  request_id=str(request_id) if request_id else None)
    session.info[OUTBOX_WRITTEN] = True  # the database rings the relay once this commits
    session.add(table(event_id=event.id, type=event.type, aggregate_type=aggregate_type,
                      aggregate_id=aggregate_id, occurred_at=event.occurred_at,
                      version=version, payload=payload, traceparent=event.traceparent,
                      request_id=event.request_id))
    return event
