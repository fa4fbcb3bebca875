"""Inventory queries; every function takes the session and keyword-only arguments.

Stock rows are locked only through `locking.lock_stock_rows`, never here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.services.inventory.models import (
    Reservation,
    ReservationLine,
    Stock,
    StockMovement,
    Warehouse,
)


async def get_reservation(session: AsyncSession, *, key: str,
                          lock: bool = False) -> Reservation | None:
    """Return the reservation with `key`, locked FOR UPDATE when `lock`."""
    stmt = select(Reservation).where(Reservation.key == key)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    reservation: Reservation | None = (await session.scalars(stmt)).one_or_none()
    return reservation


async def get_lines(session: AsyncSession, *, reservation_id: int) -> list[ReservationLine]:
    """Return a reservation's lines."""
    return list(await session.scalars(
        select(ReservationLine).where(ReservationLine.reservation_id == reservation_id)
        .order_by(ReservationLine.sku, ReservationLine.stock_id)))


async def line_details(session: AsyncSession, *,
                       reservation_id: int) -> list[tuple[str, int, str]]:
    """Return (sku, quantity, warehouse code) for each line of a reservation."""
    stmt = (select(ReservationLine.sku, ReservationLine.quantity, Warehouse.code)
            .join(Stock, Stock.id == ReservationLine.stock_id)
            .join(Warehouse, Warehouse.id == Stock.warehouse_id)
            .where(ReservationLine.reservation_id == reservation_id)
            .order_by(ReservationLine.sku, Warehouse.id))
    return [(sku, quantity, code) for sku, quantity, code in await session.execute(stmt)]


async def expired_keys(session: AsyncSession, *, now: datetime, limit: int) -> list[str]:
    """Return keys of active reservations whose expiry is before `now`, oldest first."""
    return list(await session.scalars(
        select(Reservation.key)
        .where(Reservation.status == "active", Reservation.expires_at < now)
        .order_by(Reservation.expires_at, Reservation.id).limit(limit)))


async def available(session: AsyncSession, *, skus: Sequence[str]) -> dict[str, int]:
    """Return on_hand − reserved per SKU summed over active warehouses (found SKUs only)."""
    stmt = (select(Stock.sku, func.sum(Stock.on_hand - Stock.reserved))
            .join(Warehouse, Warehouse.id == Stock.warehouse_id)
            .where(Stock.sku.in_(skus), Warehouse.active == true())
            .group_by(Stock.sku))
    return {sku: int(total or 0) for sku, total in await session.execute(stmt)}


async def warehouses_by_id(session: AsyncSession) -> dict[int, Warehouse]:
    """Return every warehouse by id (a handful of rows)."""
    return {w.id: w for w in await session.scalars(select(Warehouse))}


async def list_warehouses(session: AsyncSession) -> list[Warehouse]:
    """Return every warehouse in id order."""
    return list(await session.scalars(select(Warehouse).order_by(Warehouse.id)))


async def get_warehouse(session: AsyncSession, *, code: str) -> Warehouse | None:
    """Return the warehouse with `code`."""
    warehouse: Warehouse | None = await session.scalar(
        select(Warehouse).where(Warehouse.code == code))
    return warehouse


async def stock_row_exists(session: AsyncSession, *, warehouse_id: int, sku: str) -> bool:
    """True when the warehouse has a stock row for `sku`."""
    return await session.scalar(select(Stock.id).where(
        Stock.warehouse_id == warehouse_id, Stock.sku == sku)) is not None


async def insert_stock_row(session: AsyncSession, *, warehouse_id: int, sku: str,
                           now: datetime) -> None:
    """Create an empty stock row unless one exists (a concurrent insert is not an error)."""
    stmt = (insert(Stock).values(warehouse_id=warehouse_id, sku=sku, on_hand=0, reserved=0,
                                 updated_at=now)
            .prefix_with("IGNORE", dialect="mysql").prefix_with("IGNORE", dialect="mariadb")
            .prefix_with("OR IGNORE", dialect="sqlite"))
    await session.execute(stmt)


async def movements(session: AsyncSession, *, sku: str, limit: int) -> list[Any]:
    """Return a SKU's movements newest first, each with its warehouse code."""
    stmt = (select(StockMovement, Warehouse.code)
            .join(Stock, Stock.id == StockMovement.stock_id)
            .join(Warehouse, Warehouse.id == Stock.warehouse_id)
            .where(StockMovement.sku == sku)
            .order_by(StockMovement.id.desc()).limit(limit))
    return list((await session.execute(stmt)).all())
