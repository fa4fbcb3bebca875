"""Reporting tables the functions keep in the main database, and the reports read from them.

`sales_daily` (Alembic main 0008) holds one row per IST business day × category × brand ×
city × payment method, kept by the daily-sales function (functions/daily_sales.py):

    async with db.write() as session:
        await add_up(session, {key: Tally(orders=1, units=2, revenue_paise=59_800)}, now=now)
    lines = await sales_report(db, since=date(2025, 4, 1), until=date(2025, 4, 30), by="city")

Rows only ever grow by increments (`add_up`), so concurrent writers never lose one another's
counts; reports read them from a replica (`Database.read`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal, get_args

from sqlalchemy import BigInteger, Date, Integer, String, func, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from orchid.kit.db import Database
from orchid.kit.orm import MainBase, UTCDateTime, utcnow

# India keeps one zone without daylight saving: the shop's business day is the IST calendar day.
IST = timezone(timedelta(hours=5, minutes=30), "IST")
SLUG_LENGTH, CITY_LENGTH, METHOD_LENGTH = 160, 100, 8  # as catalog slugs, address cities, orders
# Hindi and Tamil city names need 4-byte-safe text whatever the server's default charset is.
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
Dimension = Literal["day", "category", "brand", "city", "payment_method"]
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)


def ist_day(moment: datetime) -> date:
    """The IST calendar day of an aware moment (18:30 UTC is already the next day)."""
    if moment.utcoffset() is None:
        raise ValueError("naive datetime refused: pass a timezone-aware datetime")
    return moment.astimezone(IST).date()


class SalesDaily(MainBase):
    """One day's accepted sales and their reversals for a category, brand, city and method."""

    __tablename__ = "sales_daily"
    # The key is the row's identity and leads with the day, so a report's date range is one
    # range scan of the clustered index (InnoDB) and the upsert needs no second unique key.
    __table_args__ = (TABLE_OPTIONS,)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(SLUG_LENGTH), primary_key=True)
    brand: Mapped[str] = mapped_column(String(SLUG_LENGTH), primary_key=True)
    city: Mapped[str] = mapped_column(String(CITY_LENGTH), primary_key=True)
    payment_method: Mapped[str] = mapped_column(String(METHOD_LENGTH), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)
    revenue_paise: Mapped[int] = mapped_column(BigInteger)
    reversed_orders: Mapped[int] = mapped_column(Integer)
    reversed_units: Mapped[int] = mapped_column(Integer)
    reversed_paise: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True, order=True)
class Key:
    """The identity of a `sales_daily` row."""

    day: date
    category: str
    brand: str
    city: str
    payment_method: str


@dataclass
class Tally:
    """What one event adds to a row (every count is added, none is ever set)."""

    orders: int = 0
    units: int = 0
    revenue_paise: int = 0
    reversed_orders: int = 0
    reversed_units: int = 0
    reversed_paise: int = 0


COUNTS: tuple[str, ...] = tuple(asdict(Tally()))
KEY_COLUMNS: tuple[str, ...] = tuple(Key.__dataclass_fields__)


async def add_up(session: AsyncSession, tallies: Mapping[Key, Tally], *,
                 now: datetime) -> None:
    """Add each tally to its row, creating the row at zero first; one atomic upsert.

    MariaDB: INSERT … ON DUPLICATE KEY UPDATE n = n + VALUES(n) under the row's lock, rows in
    key order so two writers lock shared rows in the same order; SQLite: ON CONFLICT DO UPDATE
    (its writers are serialised anyway)."""
    if not tallies:
        return
    rows = [{**asdict(key), **asdict(tally), "updated_at": now}
            for key, tally in sorted(tallies.items())]
    dialect = (await session.connection()).dialect.name
    if dialect in ("mysql", "mariadb"):
        upsert = mysql_insert(SalesDaily).values(rows)
        added = {name: getattr(SalesDaily, name) + upsert.inserted[name] for name in COUNTS}
        await session.execute(upsert.on_duplicate_key_update(
            {**added, "updated_at": upsert.inserted.updated_at}))
    elif dialect == "sqlite":
        insert = sqlite_insert(SalesDaily).values(rows)
        summed = {name: getattr(SalesDaily, name) + insert.excluded[name] for name in COUNTS}
        await session.execute(insert.on_conflict_do_update(
            index_elements=list(KEY_COLUMNS),
            set_={**summed, "updated_at": insert.excluded.updated_at}))
    else:  # pragma: no cover - the two databases Orchid runs on
        raise RuntimeError(f"no upsert for the {dialect} dialect")


@dataclass(frozen=True)
class SalesLine:
    """One line of a sales report: a day or a dimension's value and its sums."""

    key: str
    orders: int
    units: int
    revenue_paise: int
    reversed_orders: int
    reversed_units: int
    reversed_paise: int

    @property
    def net_paise(self) -> int:
        """Revenue less what was cancelled or refunded after acceptance."""
        return self.revenue_paise - self.reversed_paise

    def as_dict(self) -> dict[str, Any]:
        """The line as JSON-ready fields, net included."""
        return {**asdict(self), "net_paise": self.net_paise}


async def sales_report(db: Database, *, since: date, until: date,
                       by: Dimension = "day") -> list[SalesLine]:
    """Sum `sales_daily` over the IST days since..until (inclusive) by `by`, from a replica.

    By day: one line per day with sales, oldest first; by anything else: one line per value,
    highest revenue first."""
    if since > until:
        raise ValueError(f"the report starts ({since}) after it ends ({until})")
    if by not in DIMENSIONS:
        raise ValueError(f"cannot report by {by!r}: one of {', '.join(DIMENSIONS)}")
    group = getattr(SalesDaily, by)
    sums = [func.sum(getattr(SalesDaily, name)).label(name) for name in COUNTS]
    query = (select(group.label("key"), *sums)
             .where(SalesDaily.day >= since, SalesDaily.day <= until).group_by(group))
    query = query.order_by(group) if by == "day" else query.order_by(
        func.sum(SalesDaily.revenue_paise).desc(), group)

    async def run(session: AsyncSession) -> list[Any]:
        return list((await session.execute(query)).all())

    return [SalesLine(key=row.key.isoformat() if by == "day" else str(row.key),
                      **{name: int(getattr(row, name)) for name in COUNTS})
            for row in await db.read(run)]
