"""The bodies of the reservation transactions: plan, write, let go, read back.

Each function runs inside a transaction the service opened, on stock rows already locked by
`lock_stock_rows`; none of them commits or retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.outbox import WarehouseOutbox, record
from orchid.services.inventory import repository
from orchid.services.inventory.errors import ReservationMismatch
from orchid.services.inventory.ledger import SYSTEM, move
from orchid.services.inventory.locking import lock_stock_rows
from orchid.services.inventory.models import (
    MovementKind,
    Reservation,
    ReservationLine,
    ReservationStatus,
    Stock,
    Warehouse,
)
from orchid.services.inventory.schemas import (
    ReservationLineRead,
    ReservationRead,
    ReserveRequest,
)

LET_GO_KINDS: dict[ReservationStatus, MovementKind] = {
    "allocated": "allocate", "released": "release", "expired": "expire"}


@dataclass(frozen=True)
class Piece:
    """Units of a SKU taken from one stock row."""

    stock: Stock
    warehouse: Warehouse
    quantity: int


def plan(wanted: dict[str, int], rows: list[Stock],
         warehouses: dict[int, Warehouse]) -> tuple[list[Piece], list[str]]:
    """Take each SKU from active warehouses in warehouse id order; return pieces and short SKUs."""
    pieces: list[Piece] = []
    short: list[str] = []
    for sku, quantity in wanted.items():
        candidates = sorted((r for r in rows if r.sku == sku and _active(warehouses, r)),
                            key=lambda r: (r.warehouse_id, r.id))
        remaining = quantity
        for stock in candidates:
            take = min(remaining, stock.available)
            if take > 0:
                pieces.append(Piece(stock, warehouses[stock.warehouse_id], take))
                remaining -= take
            if remaining == 0:
                break
        if remaining:
            short.append(sku)
    return pieces, short


def _active(warehouses: dict[int, Warehouse], stock: Stock) -> bool:
    warehouse = warehouses.get(stock.warehouse_id)
    return warehouse is not None and warehouse.active


async def write(session: AsyncSession, request: ReserveRequest, pieces: list[Piece],
                now: datetime) -> ReservationRead:
    """Insert the reservation (its unique key fails a concurrent twin) and hold the pieces."""
    reservation = Reservation(key=request.key, status="active", created_at=now, updated_at=now,
                              expires_at=now + timedelta(seconds=request.ttl_seconds))
    session.add(reservation)
    await session.flush()
    for piece in pieces:
        session.add(ReservationLine(reservation_id=reservation.id, stock_id=piece.stock.id,
                                    sku=piece.stock.sku, quantity=piece.quantity))
        move(session, piece.stock, "reserve", reserved=piece.quantity, reference=request.key,
             actor=SYSTEM, now=now)
    await session.flush()
    return ReservationRead(key=reservation.key, status="active", expires_at=reservation.expires_at,
                           lines=[ReservationLineRead(sku=p.stock.sku, quantity=p.quantity,
                                                      warehouse_code=p.warehouse.code)
                                  for p in pieces])


async def let_go(session: AsyncSession, reservation: Reservation, *, status: ReservationStatus,
                 now: datetime) -> None:
    """Move a locked active reservation to `status`, giving back (or shipping) its units."""
    lines = await repository.get_lines(session, reservation_id=reservation.id)
    # The reservation row is locked already; stock comes second, in id order, like everywhere.
    rows = {r.id: r for r in await lock_stock_rows(session, {line.sku for line in lines})}
    kind = LET_GO_KINDS[status]
    for line in sorted(lines, key=lambda line: line.stock_id):
        # Allocated units leave the building: they stop being reserved and stop being on hand.
        on_hand = -line.quantity if status == "allocated" else 0
        move(session, rows[line.stock_id], kind, on_hand=on_hand, reserved=-line.quantity,
             reference=reservation.key, actor=SYSTEM, now=now)
    reservation.status, reservation.updated_at = status, now
    if status == "expired":  # abandoned: the units are back on sale (docs/events.md)
        record(session, WarehouseOutbox, "reservation.expired", "reservation", reservation.key,
               {"key": reservation.key, "lines": [{"sku": line.sku, "quantity": line.quantity}
                                                  for line in lines]}, now=now)
    await session.flush()


async def read(session: AsyncSession, reservation: Reservation) -> ReservationRead:
    """Return a stored reservation with its lines and their warehouses."""
    details = await repository.line_details(session, reservation_id=reservation.id)
    return ReservationRead(
        key=reservation.key, status=reservation.status, expires_at=reservation.expires_at,
        lines=[ReservationLineRead(sku=sku, quantity=quantity, warehouse_code=code)
               for sku, quantity, code in details])


def same_or_mismatch(existing: ReservationRead, request: ReserveRequest) -> ReservationRead:
    """Return the existing reservation if it holds exactly the lines asked for."""
    if existing.totals() != request.wanted:
        raise ReservationMismatch(f"reservation {request.key!r} exists with other lines",
                                  key=request.key)
    return existing
