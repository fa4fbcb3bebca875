"""Bulk stocking for seeding: two demo warehouses and deterministic stock, batch by batch.

Kept in the inventory folder because it writes inventory tables; the seeder passes plain SKUs.
Stock rows are inserted directly (no movements): a seed is the starting count, not a change.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select

from orchid.kit.db import Database
from orchid.kit.orm import utcnow
from orchid.services.inventory.models import Stock, Warehouse

DEMO_WAREHOUSES = [
    {"code": "BLR-1", "name": "Bengaluru Fulfilment Centre", "city": "Bengaluru",
     "pincode": "560001", "active": True},
    {"code": "DEL-1", "name": "Delhi Fulfilment Centre", "city": "Delhi",
     "pincode": "110001", "active": True},
]
OUT_OF_STOCK_SHARE, MAX_UNITS = 0.05, 200


async def upsert_demo_warehouses(db: Database) -> list[int]:
    """Create the demo warehouses that are missing; return their ids in the listed order."""
    async with db.write() as session:
        ids = {code: id_ for code, id_ in await session.execute(select(Warehouse.code,
                                                                       Warehouse.id))}
        missing = [w for w in DEMO_WAREHOUSES if w["code"] not in ids]
        if missing:
            await session.execute(insert(Warehouse), missing)
            ids = {code: id_ for code, id_ in await session.execute(select(Warehouse.code,
                                                                           Warehouse.id))}
        return [ids[str(w["code"])] for w in DEMO_WAREHOUSES]


async def seed_stock(db: Database, skus: Iterable[str], *, seed: int,
                     batch_size: int = 5000) -> int:
    """Stock every SKU in both demo warehouses; return how many stock rows were inserted.

    Expects the SKUs to have no stock yet (the seeder calls it right after the catalog).
    """
    warehouse_ids = await upsert_demo_warehouses(db)
    rng = random.Random(seed)
    now = utcnow()
    inserted = 0
    batch: list[dict[str, Any]] = []

    async def flush() -> None:
        nonlocal inserted
        # A list of parameter sets: the MySQL drivers send it as multi-row INSERTs.
        async with db.write() as session:
            await session.execute(insert(Stock), batch)
        inserted += len(batch)
        batch.clear()

    for sku in skus:
        sold_out = rng.random() < OUT_OF_STOCK_SHARE
        for warehouse_id in warehouse_ids:
            on_hand = 0 if sold_out else rng.randint(0, MAX_UNITS)
            batch.append({"warehouse_id": warehouse_id, "sku": sku, "on_hand": on_hand,
                          "reserved": 0, "updated_at": now})
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    return inserted
