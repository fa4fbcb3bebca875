"""The one place stock rows are locked, and the retry that hides lock conflicts from clients.

Every transaction that changes stock locks its rows through `lock_stock_rows`, so all of them
take the locks in the same order (stock id ascending) and two checkouts wanting the same SKUs
queue instead of deadlocking. A transaction that also touches a reservation locks the
reservation row first, then stock.

    async def attempt() -> ReservationRead:
        async with db.write() as session:
            rows = await lock_stock_rows(session, ["KAJAL-1", "LIP-2"])
            ...
    result = await retry_lock_conflicts(attempt)
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Collection
from typing import TypeVar

import structlog
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.db import DatabaseBusy, is_lock_conflict
from orchid.services.inventory.errors import InventoryBusy
from orchid.services.inventory.models import Stock

T = TypeVar("T")
log = structlog.get_logger("orchid.inventory")
async def lock_stock_rows(session: AsyncSession, skus: Collection[str]) -> list[Stock]:
    """Lock every stock row of `skus` (all warehouses) FOR UPDATE, in id order; return them."""
    if not skus:
        return []
    # Find the ids first, then lock by primary key: locking through the SKU index would take
    # the locks in SKU order, while allocate and release would take them in id order.
    ids = list(await session.scalars(
        select(Stock.id).where(Stock.sku.in_(sorted(set(skus)))).order_by(Stock.id)))
    if not ids:
        return []
    # populate_existing: the locked read is the latest committed row; never a cached copy.
    rows = await session.scalars(
        select(Stock).where(Stock.id.in_(ids)).order_by(Stock.id)
        .with_for_update().execution_options(populate_existing=True))
    return list(rows)


async def retry_lock_conflicts(attempt: Callable[[], Awaitable[T]], *, attempts: int = 3,
                               delay: float = 0.02,
                               rng: Callable[[], float] = random.random) -> T:
    """Run the transaction `attempt`, rerunning it on lock conflicts up to `attempts` times."""
    for number in range(1, attempts + 1):
        try:
            return await attempt()
        except (OperationalError, DatabaseBusy) as exc:
            if not is_lock_conflict(exc):
                raise
            log.warning("inventory_lock_conflict", attempt=number, error=str(exc.__cause__ or exc))
            if number == attempts:
                raise InventoryBusy("Stock is busy; try again in a moment.") from exc
            # Jitter keeps the transactions that collided from colliding again in step.
            await asyncio.sleep(delay * number * (0.5 + rng()))
    raise AssertionError("unreachable")  # pragma: no cover
