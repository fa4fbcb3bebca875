"""The one way stock changes: apply a delta to a locked row and write its audit entry and its
`stock.changed` event (docs/events.md; the aggregate is the stock row, sku@warehouse, whose row
lock orders its changes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.outbox import WarehouseOutbox, record
from orchid.services.inventory.models import MovementKind, Stock, StockMovement

SYSTEM = "system"  # the actor of changes no person asked for (checkouts, the sweeper)
# The SKUs a transaction moved (in its session's info): their cached availability is dropped
# once it commits (StaffOperations.writing).
TOUCHED = "orchid.stock_touched"


def move(session: AsyncSession, stock: Stock, kind: MovementKind, *, on_hand: int = 0,
         reserved: int = 0, reference: str, actor: str, now: datetime) -> None:
    """Add `on_hand` and `reserved` to a row locked by `lock_stock_rows`, and record why."""
    stock.on_hand += on_hand
    stock.reserved += reserved
    session.info.setdefault(TOUCHED, set()).add(stock.sku)
    # The table's CHECK would catch this too, but only at flush time as an IntegrityError that
    # reserve() reads as a lost race on its key; failing here names the bug instead.
    if not 0 <= stock.reserved <= stock.on_hand:
        raise AssertionError(f"stock {stock.id} would hold {stock.reserved} reserved "
                             f"of {stock.on_hand} on hand")
    stock.updated_at = now
    session.add(StockMovement(stock_id=stock.id, sku=stock.sku, kind=kind, delta_on_hand=on_hand,
                              delta_reserved=reserved, reference=reference[:200], actor=actor,
                              created_at=now))
    record(session, WarehouseOutbox, "stock.changed", "stock", f"{stock.sku}@{stock.warehouse_id}",
           {"sku": stock.sku, "warehouse_id": stock.warehouse_id, "kind": kind,
            "on_hand": stock.on_hand, "reserved": stock.reserved,
            "available": stock.on_hand - stock.reserved, "delta_on_hand": on_hand,
            "delta_reserved": reserved}, now=now)
