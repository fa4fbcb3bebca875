"""Inventory service on a real, migrated SQLite warehouse database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from orchid.kit.cache import Cache
from orchid.kit.db import Database
from orchid.kit.errors import Conflict, InvalidInput, NotFound
from orchid.kit.kv import MemoryStore
from orchid.kit.orm import WarehouseBase, utcnow
from orchid.kit.outbox import WarehouseOutbox
from orchid.services.inventory import bulk
from orchid.services.inventory.errors import InventoryBusy
from orchid.services.inventory.locking import retry_lock_conflicts
from orchid.services.inventory.models import Reservation, Stock, StockMovement
from orchid.services.inventory.schemas import ReserveLine, WarehouseCreate
from orchid.services.inventory.service import InventoryService

STAFF = "cus_staff"


@pytest.fixture
async def warehouse_db(data_dir: Path) -> AsyncIterator[Database]:
    """The embedded warehouse database, migrated through the real Alembic history."""
    database = Database("warehouse", f"sqlite+aiosqlite:///{data_dir / 'warehouse.db'}")
    yield database
    await database.close()


@pytest.fixture
async def inventory(warehouse_db: Database) -> InventoryService:
    """An inventory with two active warehouses, BLR-1 (first) and DEL-1."""
    service = InventoryService(db=warehouse_db, cache=Cache(MemoryStore(), name="inventory"))
    for code, city, pincode in (("BLR-1", "Bengaluru", "560001"), ("DEL-1", "Delhi", "110001")):
        await service.create_warehouse(data=WarehouseCreate(
            code=code, name=f"{city} FC", city=city, pincode=pincode))
    return service


async def stock(inventory: InventoryService, units: dict[str, int],
                warehouse: str = "BLR-1") -> None:
    """Restock `units` per SKU into `warehouse`."""
    for sku, quantity in units.items():
        await inventory.restock(warehouse_code=warehouse, sku=sku, quantity=quantity,
                                actor=STAFF, note="PO-1")


def lines(**units: int) -> list[ReserveLine]:
    """Reserve lines from SKU=quantity keywords (underscores become dashes)."""
    return [ReserveLine(sku=sku.replace("_", "-"), quantity=q) for sku, q in units.items()]


async def available(inventory: InventoryService, *skus: str) -> dict[str, int]:
    """Return available units per SKU."""
    return {a.sku: a.available for a in await inventory.availability(skus=list(skus))}


async def count(db: Database, model: Any) -> int:
    """Return the number of rows of a table."""
    async with db.write() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_availability_sums_active_warehouses(inventory: InventoryService) -> None:
    await inventory.create_warehouse(data=WarehouseCreate(
        code="MUM-1", name="Mumbai FC", city="Mumbai", pincode="400001", active=False))
    await stock(inventory, {"KAJAL-1": 5, "LIP-1": 1})
    await stock(inventory, {"KAJAL-1": 3}, warehouse="DEL-1")
    await stock(inventory, {"KAJAL-1": 100, "LIP-2": 7}, warehouse="MUM-1")
    result = await inventory.availability(skus=["KAJAL-1", "LIP-2", "NOPE-1", "KAJAL-1"])
    assert [(a.sku, a.available, a.in_stock) for a in result] == [
        ("KAJAL-1", 8, True), ("LIP-2", 0, False), ("NOPE-1", 0, False)]
    assert await inventory.availability(skus=[]) == []
    with pytest.raises(InvalidInput):
        await inventory.availability(skus=[f"SKU-{i}" for i in range(101)])


async def test_availability_is_cached_until_a_change_moves_the_sku(
        inventory: InventoryService, warehouse_db: Database) -> None:
    await stock(inventory, {"KAJAL-1": 5, "LIP-1": 3})
    assert await available(inventory, "KAJAL-1", "LIP-1") == {"KAJAL-1": 5, "LIP-1": 3}
    reads = sum(warehouse_db.served.values())
    assert await available(inventory, "LIP-1", "KAJAL-1") == {"KAJAL-1": 5, "LIP-1": 3}
    assert sum(warehouse_db.served.values()) == reads  # both from the cache, no read
    await available(inventory, "KAJAL-1", "NEW-1")  # one cached, one missing: one read for it
    assert sum(warehouse_db.served.values()) == reads + 1
    # Each kind of change drops the SKUs it moved, and only those.
    await inventory.reserve(key="order-1", lines=lines(KAJAL_1=2))
    assert await available(inventory, "KAJAL-1") == {"KAJAL-1": 3}
    await inventory.release(key="order-1", reason="cancelled")
    assert await available(inventory, "KAJAL-1") == {"KAJAL-1": 5}
    await inventory.reserve(key="order-2", lines=lines(LIP_1=3))
    await inventory.allocate(key="order-2")
    assert await available(inventory, "LIP-1") == {"LIP-1": 0}
    await stock(inventory, {"LIP-1": 4}, warehouse="DEL-1")
    assert await available(inventory, "LIP-1") == {"LIP-1": 4}
    await inventory.adjust(warehouse_code="BLR-1", sku="KAJAL-1", on_hand=1, actor=STAFF,
                           note="count")
    reads = sum(warehouse_db.served.values())
    assert await available(inventory, "KAJAL-1", "LIP-1") == {"KAJAL-1": 1, "LIP-1": 4}
    assert sum(warehouse_db.served.values()) == reads + 1  # KAJAL-1 read again, LIP-1 cached


async def test_reserve_holds_stock_and_records_movements(inventory: InventoryService) -> None:
    await stock(inventory, {"KAJAL-1": 5, "LIP-1": 2})
    before = utcnow()
    held = await inventory.reserve(key="chk_a", lines=lines(KAJAL_1=2, LIP_1=2), ttl_seconds=60)
    assert held.status == "active" and held.key == "chk_a"
    assert before + timedelta(seconds=59) < held.expires_at <= utcnow() + timedelta(seconds=60)
    assert [(x.sku, x.quantity, x.warehouse_code) for x in held.lines] == [
        ("KAJAL-1", 2, "BLR-1"), ("LIP-1", 2, "BLR-1")]
    assert await available(inventory, "KAJAL-1", "LIP-1") == {"KAJAL-1": 3, "LIP-1": 0}
    trail = await inventory.movements(sku="KAJAL-1")
    assert [(m.kind, m.delta_on_hand, m.delta_reserved, m.reference, m.actor)
            for m in trail] == [("reserve", 0, 2, "chk_a", "system"),
                                ("restock", 5, 0, "PO-1", STAFF)]


async def test_reserve_splits_across_warehouses_in_id_order(inventory: InventoryService) -> None:
    await stock(inventory, {"TONER-1": 2}, warehouse="DEL-1")
    await stock(inventory, {"TONER-1": 3})
    held = await inventory.reserve(key="chk_split", lines=lines(TONER_1=4))
    assert [(x.warehouse_code, x.quantity) for x in held.lines] == [("BLR-1", 3), ("DEL-1", 1)]
    assert held.totals() == {"TONER-1": 4}
    assert await available(inventory, "TONER-1") == {"TONER-1": 1}


async def test_reserve_is_idempotent_on_key(inventory: InventoryService) -> None:
    await stock(inventory, {"KAJAL-1": 5, "LIP-1": 5})
    first = await inventory.reserve(key="chk_same", lines=lines(KAJAL_1=2, LIP_1=1))
    # The same lines in another order, one of them split in two, are the same request.
    again = await inventory.reserve(key="chk_same", lines=[
        ReserveLine(sku="LIP-1", quantity=1), ReserveLine(sku="KAJAL-1", quantity=1),
        ReserveLine(sku="KAJAL-1", quantity=1)])
    assert again == first
    assert await available(inventory, "KAJAL-1", "LIP-1") == {"KAJAL-1": 3, "LIP-1": 4}
    with pytest.raises(Conflict) as caught:
        await inventory.reserve(key="chk_same", lines=lines(KAJAL_1=3, LIP_1=1))
    assert caught.value.code == "reservation_mismatch"


async def test_duplicate_skus_are_summed(inventory: InventoryService) -> None:
    await stock(inventory, {"KAJAL-1": 5})
    held = await inventory.reserve(key="chk_dup", lines=[ReserveLine(sku="KAJAL-1", quantity=2),
                                                         ReserveLine(sku="KAJAL-1", quantity=3)])
    assert [(x.sku, x.quantity) for x in held.lines] == [("KAJAL-1", 5)]


async def test_out_of_stock_writes_nothing(inventory: InventoryService,
                                           warehouse_db: Database) -> None:
    await stock(inventory, {"KAJAL-1": 5, "LIP-1": 1})
    movements = await count(warehouse_db, StockMovement)
    with pytest.raises(Conflict) as caught:
        await inventory.reserve(key="chk_short",
                                lines=lines(KAJAL_1=2, LIP_1=2, NOPE_1=1))
    assert caught.value.code == "out_of_stock"
    assert caught.value.data == {"skus": ["LIP-1", "NOPE-1"]}
    assert await available(inventory, "KAJAL-1", "LIP-1") == {"KAJAL-1": 5, "LIP-1": 1}
    assert await count(warehouse_db, Reservation) == 0
    assert await count(warehouse_db, StockMovement) == movements
    # Nothing was stored under the key, so it may be used once stock arrives.
    await stock(inventory, {"LIP-1": 1, "NOPE-1": 1})
    held = await inventory.reserve(key="chk_short", lines=lines(KAJAL_1=2, LIP_1=2, NOPE_1=1))
    assert held.totals() == {"KAJAL-1": 2, "LIP-1": 2, "NOPE-1": 1}


@pytest.mark.parametrize("key, units, ttl", [
    ("", {"KAJAL-1": 1}, 900), ("k" * 65, {"KAJAL-1": 1}, 900), ("bad key", {"KAJAL-1": 1}, 900),
    ("chk_x", {f"SKU-{i}": 1 for i in range(51)}, 900), ("chk_x", {}, 900),
    ("chk_x", {"KAJAL-1": 1}, 0)])
async def test_reserve_refuses_bad_input(inventory: InventoryService, key: str,
                                         units: dict[str, int], ttl: int) -> None:
    request = [ReserveLine(sku=sku, quantity=q) for sku, q in units.items()]
    with pytest.raises(InvalidInput):
        await inventory.reserve(key=key, lines=request, ttl_seconds=ttl)


async def test_reserve_line_limits() -> None:
    for quantity in (0, 101):
        with pytest.raises(ValidationError):
            ReserveLine(sku="KAJAL-1", quantity=quantity)
    with pytest.raises(ValidationError):
        ReserveLine(sku="lower-case", quantity=1)


async def test_allocate_ships_the_units_once(inventory: InventoryService,
                                             warehouse_db: Database) -> None:
    await stock(inventory, {"KAJAL-1": 5})
    await inventory.reserve(key="chk_ship", lines=lines(KAJAL_1=2))
    shipped = await inventory.allocate(key="chk_ship")
    assert shipped.status == "allocated"
    assert await inventory.allocate(key="chk_ship") == shipped
    async with warehouse_db.write() as s:
        row = await s.scalar(select(Stock).where(Stock.sku == "KAJAL-1"))
        assert row is not None and (row.on_hand, row.reserved) == (3, 0)
    kinds = [(m.kind, m.delta_on_hand, m.delta_reserved)
             for m in await inventory.movements(sku="KAJAL-1")]
    assert kinds[0] == ("allocate", -2, -2) and len(kinds) == 3
    with pytest.raises(Conflict) as caught:
        await inventory.release(key="chk_ship", reason="customer cancelled")
    assert caught.value.code == "reservation_allocated"
    with pytest.raises(NotFound):
        await inventory.allocate(key="chk_unknown")


async def test_release_gives_units_back_once(inventory: InventoryService) -> None:
    await stock(inventory, {"KAJAL-1": 5})
    await inventory.reserve(key="chk_back", lines=lines(KAJAL_1=4))
    released = await inventory.release(key="chk_back", reason="payment declined")
    assert released is not None and released.status == "released"
    assert await inventory.release(key="chk_back", reason="again") == released
    assert await available(inventory, "KAJAL-1") == {"KAJAL-1": 5}
    assert await inventory.release(key="chk_unknown", reason="none") is None
    with pytest.raises(Conflict) as caught:
        await inventory.allocate(key="chk_back")
    assert caught.value.code == "reservation_released"
    # The key stays taken by the released reservation: the same request gets it back.
    again = await inventory.reserve(key="chk_back", lines=lines(KAJAL_1=4))
    assert again.status == "released"


async def test_expire_releases_only_overdue_reservations(inventory: InventoryService) -> None:
    await stock(inventory, {"KAJAL-1": 10})
    for key, ttl in (("chk_old1", 60), ("chk_old2", 120), ("chk_new", 3600)):
        await inventory.reserve(key=key, lines=lines(KAJAL_1=2), ttl_seconds=ttl)
    await inventory.allocate(key="chk_old2")
    later = utcnow() + timedelta(minutes=10)
    assert await inventory.expire_reservations(now=later, limit=10) == ["chk_old1"]
    assert await inventory.expire_reservations(now=later) == []
    assert await available(inventory, "KAJAL-1") == {"KAJAL-1": 6}
    expired = await inventory.release(key="chk_old1", reason="late")
    assert expired is not None and expired.status == "expired"
    with pytest.raises(Conflict):
        await inventory.allocate(key="chk_old1")
    assert (await inventory.movements(sku="KAJAL-1", limit=1))[0].kind == "expire"
    with pytest.raises(InvalidInput):
        await inventory.expire_reservations(now=later.replace(tzinfo=None))


async def test_expire_honours_the_limit(inventory: InventoryService) -> None:
    await stock(inventory, {"KAJAL-1": 10})
    for i in range(3):
        await inventory.reserve(key=f"chk_{i}", lines=lines(KAJAL_1=1), ttl_seconds=60 + i)
    later = utcnow() + timedelta(hours=1)
    assert await inventory.expire_reservations(now=later, limit=2) == ["chk_0", "chk_1"]
    assert await inventory.expire_reservations(now=later, limit=2) == ["chk_2"]


async def test_adjust_sets_the_count_but_never_below_reserved(
        inventory: InventoryService) -> None:
    await stock(inventory, {"KAJAL-1": 10})
    await inventory.reserve(key="chk_adj", lines=lines(KAJAL_1=4))
    with pytest.raises(Conflict) as caught:
        await inventory.adjust(warehouse_code="BLR-1", sku="KAJAL-1", on_hand=3, actor=STAFF,
                               note="cycle count")
    assert caught.value.code == "below_reserved" and caught.value.data["reserved"] == 4
    counted = await inventory.adjust(warehouse_code="BLR-1", sku="KAJAL-1", on_hand=6,
                                     actor=STAFF, note="cycle count")
    assert (counted.on_hand, counted.reserved, counted.available) == (6, 4, 2)
    latest = (await inventory.movements(sku="KAJAL-1"))[0]
    assert (latest.kind, latest.delta_on_hand, latest.reference, latest.actor,
            latest.warehouse_code) == ("adjust", -4, "cycle count", STAFF, "BLR-1")
    fresh = await inventory.adjust(warehouse_code="DEL-1", sku="NEW-1", on_hand=9, actor=STAFF,
                                   note="first count")
    assert (fresh.on_hand, fresh.reserved) == (9, 0)


async def test_staff_operations_refuse_bad_requests(inventory: InventoryService) -> None:
    with pytest.raises(NotFound) as missing:
        await stock(inventory, {"KAJAL-1": 1}, warehouse="XYZ-9")
    assert missing.value.code == "warehouse_not_found"
    with pytest.raises(Conflict) as taken:
        await inventory.create_warehouse(data=WarehouseCreate(
            code="BLR-1", name="Again", city="Bengaluru", pincode="560002"))
    assert taken.value.code == "duplicate_warehouse"
    for quantity, actor in ((0, STAFF), (100_001, STAFF), (1, "")):
        with pytest.raises(InvalidInput):
            await inventory.restock(warehouse_code="BLR-1", sku="KAJAL-1", quantity=quantity,
                                    actor=actor, note="")
    with pytest.raises(InvalidInput):
        await inventory.adjust(warehouse_code="BLR-1", sku="KAJAL-1", on_hand=1, actor=STAFF,
                               note=" ")
    with pytest.raises(InvalidInput):
        await inventory.movements(sku="KAJAL-1", limit=0)


async def test_fifty_concurrent_reserves_for_ten_units(inventory: InventoryService) -> None:
    await stock(inventory, {"KAJAL-1": 10})
    results = await asyncio.gather(
        *(inventory.reserve(key=f"chk_race_{i}", lines=lines(KAJAL_1=1)) for i in range(50)),
        return_exceptions=True)
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 10
    assert all(isinstance(e, Conflict) and e.code == "out_of_stock" for e in lost)
    assert await available(inventory, "KAJAL-1") == {"KAJAL-1": 0}


async def test_concurrent_reserves_with_one_key_make_one_reservation(
        inventory: InventoryService, warehouse_db: Database) -> None:
    await stock(inventory, {"KAJAL-1": 1})
    results = await asyncio.gather(
        *(inventory.reserve(key="chk_twin", lines=lines(KAJAL_1=1)) for _ in range(10)))
    assert all(r == results[0] for r in results)
    assert await count(warehouse_db, Reservation) == 1


async def test_retry_hides_lock_conflicts_then_gives_up() -> None:
    calls = 0

    def conflict(code: int) -> OperationalError:
        return OperationalError("UPDATE stock", {}, Exception(code, "Deadlock found"))

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise conflict(1213 if calls == 1 else 1205)
        return "done"

    assert await retry_lock_conflicts(flaky, delay=0) == "done" and calls == 3

    async def always() -> str:
        raise conflict(1213)

    with pytest.raises(InventoryBusy):
        await retry_lock_conflicts(always, delay=0)

    async def other() -> str:
        raise conflict(1146)

    with pytest.raises(OperationalError):
        await retry_lock_conflicts(other, delay=0)


async def test_seed_stock_is_deterministic(warehouse_db: Database) -> None:
    skus = [f"SEED-{i}" for i in range(400)]
    assert await bulk.seed_stock(warehouse_db, skus, seed=7, batch_size=150) == 800
    service = InventoryService(db=warehouse_db, cache=Cache(MemoryStore(), name="inventory"))
    assert [w.code for w in await service.list_warehouses()] == ["BLR-1", "DEL-1"]
    units: dict[str, int] = {}
    for start in range(0, len(skus), 100):
        units |= await available(service, *skus[start:start + 100])
    sold_out = sum(1 for n in units.values() if n == 0)
    assert 5 <= sold_out <= 40 and max(units.values()) <= 400
    assert await bulk.upsert_demo_warehouses(warehouse_db) == [1, 2]


async def test_migration_matches_the_models(warehouse_db: Database) -> None:
    def mine(item: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        # Only inventory's tables: other tests may add theirs to a shared database.
        table = item if kind == "table" else getattr(item, "table", None)
        return table is None or table.name in WarehouseBase.metadata.tables

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": mine})
        return list(compare_metadata(context, WarehouseBase.metadata))

    async with warehouse_db.primary.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


# -- events ---------------------------------------------------------------------------------

async def warehouse_outbox(db: Database) -> list[WarehouseOutbox]:
    async with db.write() as session:
        return list((await session.execute(select(WarehouseOutbox)
                                           .order_by(WarehouseOutbox.seq))).scalars())


async def test_stock_movements_and_an_expiry_are_events(inventory: InventoryService,
                                                        warehouse_db: Database) -> None:
    await stock(inventory, {"KAJAL-1": 5})
    await inventory.reserve(key="chk-1", lines=[ReserveLine(sku="KAJAL-1", quantity=2)],
                            ttl_seconds=60)
    assert await inventory.expire_reservations(now=utcnow() + timedelta(minutes=2)) == ["chk-1"]
    rows = await warehouse_outbox(warehouse_db)
    assert [(r.type, r.payload.get("kind")) for r in rows] == [
        ("stock.changed", "restock"), ("stock.changed", "reserve"),
        ("stock.changed", "expire"), ("reservation.expired", None)]
    figures = [(r.payload["on_hand"], r.payload["reserved"], r.payload["available"])
               for r in rows[:3]]
    assert figures == [(5, 0, 5), (5, 2, 3), (5, 0, 5)]
    assert len({r.aggregate_id for r in rows[:3]}) == 1 and rows[0].aggregate_id.startswith(
        "KAJAL-1@")
    assert rows[3].payload == {"key": "chk-1", "lines": [{"sku": "KAJAL-1", "quantity": 2}]}
