"""Staff operations of the inventory service: warehouses, restocks, counts and the audit trail.

A part of `InventoryService` (its base class), kept apart so the reservation rules read alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.cache import Cache
from orchid.kit.db import Database
from orchid.kit.errors import InvalidInput
from orchid.kit.orm import utcnow
from orchid.kit.placement import exposed
from orchid.services.inventory import repository
from orchid.services.inventory.errors import (
    BelowReserved,
    DuplicateWarehouse,
    WarehouseNotFound,
)
from orchid.services.inventory.ledger import TOUCHED, move
from orchid.services.inventory.locking import lock_stock_rows, retry_lock_conflicts
from orchid.services.inventory.models import MovementKind, Stock, Warehouse
from orchid.services.inventory.schemas import (
    Adjustment,
    MovementQuery,
    MovementRead,
    Restock,
    StockRead,
    WarehouseCreate,
    WarehouseRead,
    parse,
)


def available_key(sku: str) -> str:
    """The cache key of a SKU's units available over the active warehouses."""
    return f"available:{sku}"


class StaffOperations:
    """Warehouses, restocks, stock counts and the movement history (staff only)."""

    db: Database
    cache: Cache

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A write transaction on the warehouse database; the cached availability of every
        SKU whose stock it moved is dropped once it has committed."""
        async with self.db.write() as session:
            yield session
            touched = sorted(session.info.get(TOUCHED, ()))
        if touched:
            await self.cache.invalidate(*(available_key(sku) for sku in touched))

    @exposed()
    async def create_warehouse(self, *, data: WarehouseCreate) -> WarehouseRead:
        """Create a warehouse."""
        try:
            async with self.db.write() as s:
                if await repository.get_warehouse(s, code=data.code) is not None:
                    raise DuplicateWarehouse(warehouse_code=data.code)
                warehouse = Warehouse(**data.model_dump())
                s.add(warehouse)
                await s.flush()
        except IntegrityError as exc:  # lost a race with a concurrent create of the same code
            raise DuplicateWarehouse(warehouse_code=data.code) from exc
        return _warehouse_read(warehouse)

    @exposed(idempotent=True)
    async def list_warehouses(self) -> list[WarehouseRead]:
        """Return every warehouse."""
        return [_warehouse_read(w) for w in await self.db.read(repository.list_warehouses)]

    @exposed()
    async def restock(self, *, warehouse_code: str, sku: str, quantity: int, actor: str,
                      note: str) -> StockRead:
        """Add received units to a warehouse's stock of `sku`."""
        data = parse(Restock, warehouse_code=warehouse_code, sku=sku, quantity=quantity,
                     note=note)
        return await self._change(data.warehouse_code, data.sku, "restock", actor, data.note,
                                  lambda _: data.quantity)

    @exposed()
    async def adjust(self, *, warehouse_code: str, sku: str, on_hand: int, actor: str,
                     note: str) -> StockRead:
        """Set the counted units on hand; refused below the units already reserved."""
        data = parse(Adjustment, warehouse_code=warehouse_code, sku=sku, on_hand=on_hand,
                     note=note)

        def delta(stock: Stock) -> int:
            if data.on_hand < stock.reserved:
                raise BelowReserved(f"{stock.reserved} units of {stock.sku} are reserved",
                                    reserved=stock.reserved, on_hand=data.on_hand)
            return data.on_hand - stock.on_hand

        return await self._change(data.warehouse_code, data.sku, "adjust", actor, data.note,
                                  delta)

    @exposed(idempotent=True)
    async def movements(self, *, sku: str, limit: int = 100) -> list[MovementRead]:
        """Return a SKU's stock movements, newest first."""
        query = parse(MovementQuery, sku=sku, limit=limit)
        rows = await self.db.read(lambda s: repository.movements(s, sku=query.sku,
                                                                 limit=query.limit))
        return [MovementRead(id=m.id, sku=m.sku, warehouse_code=code, kind=m.kind,
                             delta_on_hand=m.delta_on_hand, delta_reserved=m.delta_reserved,
                             reference=m.reference, actor=m.actor, created_at=m.created_at)
                for m, code in rows]

    async def _change(self, code: str, sku: str, kind: MovementKind, actor: str, note: str,
                      delta: Callable[[Stock], int]) -> StockRead:
        """Change one stock row by `delta(row)` under its lock, with an audit entry."""
        if not 1 <= len(actor) <= 64:
            raise InvalidInput("actor must be 1..64 characters", code="invalid_actor")
        warehouse = await self._ensure_row(code, sku)

        async def attempt() -> StockRead:
            async with self.writing() as s:
                rows = await lock_stock_rows(s, [sku])
                stock = next(r for r in rows if r.warehouse_id == warehouse.id)
                move(s, stock, kind, on_hand=delta(stock), reference=note, actor=actor,
                     now=utcnow())
                await s.flush()
                return StockRead(warehouse_code=warehouse.code, sku=sku, on_hand=stock.on_hand,
                                 reserved=stock.reserved, available=stock.available)

        return await retry_lock_conflicts(attempt)

    async def _ensure_row(self, code: str, sku: str) -> Warehouse:
        # Its own short transaction, so the change itself only ever locks existing rows, in id
        # order; an empty row left by a change that then fails is harmless.
        async def attempt() -> Warehouse:
            async with self.db.write() as s:
                warehouse = await repository.get_warehouse(s, code=code)
                if warehouse is None:
                    raise WarehouseNotFound(warehouse_code=code)
                if not await repository.stock_row_exists(s, warehouse_id=warehouse.id, sku=sku):
                    await repository.insert_stock_row(s, warehouse_id=warehouse.id, sku=sku,
                                                      now=utcnow())
                return warehouse

        return await retry_lock_conflicts(attempt)


def _warehouse_read(w: Warehouse) -> WarehouseRead:
    return WarehouseRead(code=w.code, name=w.name, city=w.city, pincode=w.pincode, active=w.active)
