"""Reservations racing on a real MariaDB primary: never oversold, never deadlocked, one per key."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from structlog.testing import capture_logs

from orchid.config import Settings
from orchid.kit.cache import Cache
from orchid.kit.db import Database
from orchid.kit.errors import Conflict
from orchid.kit.kv import MemoryStore
from orchid.kit.orm import WarehouseBase, utcnow
from orchid.migrate import upgrade
from orchid.services.inventory.models import Reservation, Stock, StockMovement
from orchid.services.inventory.schemas import ReservationRead, ReserveLine, WarehouseCreate
from orchid.services.inventory.service import InventoryService
from tests.support.servers import MariaDBPair

Outcome = ReservationRead | BaseException


@pytest.fixture(scope="module")
def warehouse_url(warehouse_db_pair: MariaDBPair) -> str:
    """The warehouse primary, migrated."""
    url = warehouse_db_pair.primary.url("orchid_warehouse")
    upgrade(url, "warehouse", Settings().migrations_dir)
    return url


@pytest.fixture
async def db(warehouse_url: str) -> AsyncIterator[Database]:
    """The warehouse primary with a pool wide enough for hundreds of concurrent checkouts."""
    database = Database("warehouse", warehouse_url, pool_size=20)
    yield database
    await database.close()


@pytest.fixture
async def inventory(db: Database) -> InventoryService:
    """An inventory with two fresh warehouses (the server is shared by the whole session)."""
    service = InventoryService(db=db, cache=Cache(MemoryStore(), name="inventory"))
    tag = uuid.uuid4().hex[:6].upper()
    for n in (1, 2):
        await service.create_warehouse(data=WarehouseCreate(
            code=f"T{tag}-{n}", name=f"Test FC {n}", city="Pune", pincode="411001"))
    return service


async def warehouse_codes(inventory: InventoryService) -> list[str]:
    """The codes of the fixture's two warehouses (the newest)."""
    return [w.code for w in await inventory.list_warehouses()][-2:]


def new_skus(count: int) -> list[str]:
    """SKUs nobody else in this session uses."""
    tag = uuid.uuid4().hex[:8].upper()
    return [f"RACE-{tag}-{i}" for i in range(count)]


async def restock(inventory: InventoryService, code: str, sku: str, quantity: int) -> None:
    """Receive `quantity` units of `sku` into warehouse `code`."""
    await inventory.restock(warehouse_code=code, sku=sku, quantity=quantity, actor="cus_test",
                            note="race")


async def race(calls: list[Awaitable[ReservationRead]]) -> tuple[list[ReservationRead],
                                                                 list[BaseException]]:
    """Run `calls` at once; split the winners from the errors."""
    results: list[Outcome] = await asyncio.gather(*calls, return_exceptions=True)
    won = [r for r in results if isinstance(r, ReservationRead)]
    return won, [r for r in results if isinstance(r, BaseException)]


def only_out_of_stock(errors: list[BaseException]) -> bool:
    """True when every error is the out_of_stock conflict."""
    return all(isinstance(e, Conflict) and e.code == "out_of_stock" for e in errors)


async def stock_rows(db: Database, skus: list[str]) -> list[Stock]:
    """Read the stock rows of `skus` from the primary."""
    async with db.write() as s:
        return list(await s.scalars(select(Stock).where(Stock.sku.in_(skus))))


async def assert_ledger_matches(db: Database, skus: list[str]) -> None:
    """Every stock row equals the sum of its movements."""
    async with db.write() as s:
        sums = {sid: (int(h), int(r)) for sid, h, r in await s.execute(
            select(StockMovement.stock_id, func.sum(StockMovement.delta_on_hand),
                   func.sum(StockMovement.delta_reserved))
            .where(StockMovement.sku.in_(skus)).group_by(StockMovement.stock_id))}
    for row in await stock_rows(db, skus):
        assert sums[row.id] == (row.on_hand, row.reserved), row.sku


async def test_300_concurrent_reserves_for_10_units(inventory: InventoryService,
                                                    db: Database) -> None:
    (sku,) = new_skus(1)
    first, _ = await warehouse_codes(inventory)
    await restock(inventory, first, sku, 10)
    started = time.perf_counter()
    with capture_logs() as logs:
        won, errors = await race([
            inventory.reserve(key=f"race-{sku}-{i}", lines=[ReserveLine(sku=sku, quantity=1)])
            for i in range(300)])
    elapsed = time.perf_counter() - started
    conflicts = sum(1 for entry in logs if entry["event"] == "inventory_lock_conflict")
    print(f"\n300 concurrent reserves: {elapsed:.2f} s, {conflicts} lock conflicts retried")
    assert len(won) == 10 and len(errors) == 290 and only_out_of_stock(errors)
    (row,) = await stock_rows(db, [sku])
    assert (row.on_hand, row.reserved) == (10, 10)
    await assert_ledger_matches(db, [sku])


async def test_opposite_orders_and_mixed_transitions_never_deadlock(
        inventory: InventoryService, db: Database) -> None:
    skus = new_skus(3)
    for code in await warehouse_codes(inventory):
        for sku in skus:
            await restock(inventory, code, sku, 20)  # 40 of each, split over two warehouses

    def reserve(i: int) -> Awaitable[ReservationRead]:
        order = skus if i % 2 else skus[::-1]
        return inventory.reserve(key=f"multi-{skus[0]}-{i}",
                                 lines=[ReserveLine(sku=s, quantity=1) for s in order])

    with capture_logs() as logs:
        won, errors = await race([reserve(i) for i in range(60)])
        assert len(won) == 40 and only_out_of_stock(errors)
        # Second wave: allocations, releases and new reserves at once, in every lock order.
        keys = [r.key for r in won]
        wave: list[Awaitable[Any]] = [inventory.allocate(key=k) for k in keys[:20]]
        wave += [inventory.release(key=k, reason="cancelled") for k in keys[20:]]
        wave += [reserve(i) for i in range(100, 130)]
        results = await asyncio.gather(*wave, return_exceptions=True)
    conflicts = sum(1 for entry in logs if entry["event"] == "inventory_lock_conflict")
    print(f"\nmixed multi-SKU waves: {conflicts} lock conflicts retried")
    errors = [r for r in results if isinstance(r, BaseException)]
    assert only_out_of_stock(errors), errors
    late = sum(1 for r in results[40:] if isinstance(r, ReservationRead))
    for sku in skus:
        rows = [r for r in await stock_rows(db, skus) if r.sku == sku]
        assert sum(r.on_hand for r in rows) == 40 - 20
        assert sum(r.reserved for r in rows) == late
        assert all(0 <= r.reserved <= r.on_hand for r in rows)
    await assert_ledger_matches(db, skus)


async def test_one_key_sent_20_times_makes_one_reservation(inventory: InventoryService,
                                                           db: Database) -> None:
    skus = new_skus(2)
    first, _ = await warehouse_codes(inventory)
    for sku in skus:
        await restock(inventory, first, sku, 3)
    key = f"twin-{skus[0]}"
    lines = [ReserveLine(sku=s, quantity=2) for s in skus]
    won, errors = await race([inventory.reserve(key=key, lines=lines) for _ in range(20)])
    assert errors == [] and len(won) == 20 and all(r == won[0] for r in won)
    async with db.write() as s:
        assert await s.scalar(select(func.count()).select_from(Reservation)
                              .where(Reservation.key == key)) == 1
    assert [r.reserved for r in await stock_rows(db, skus)] == [2, 2]


async def test_sweeper_and_release_race_let_go_once(inventory: InventoryService,
                                                    db: Database) -> None:
    (sku,) = new_skus(1)
    first, _ = await warehouse_codes(inventory)
    await restock(inventory, first, sku, 30)
    keys = [f"sweep-{sku}-{i}" for i in range(30)]
    for key in keys:
        await inventory.reserve(key=key, lines=[ReserveLine(sku=sku, quantity=1)],
                                ttl_seconds=1)
    # Past these reservations' expiry, not yet past other tests' (the server is shared).
    later = utcnow() + timedelta(seconds=2)
    sweep = asyncio.create_task(inventory.expire_reservations(now=later))
    releases = await asyncio.gather(*(inventory.release(key=k, reason="cancelled")
                                      for k in keys))
    expired = set(await sweep)
    released = {r.key for r in releases if r is not None and r.status == "released"}
    assert expired.isdisjoint(released) and expired | released == set(keys)
    (row,) = await stock_rows(db, [sku])
    assert (row.on_hand, row.reserved) == (30, 0)
    await assert_ledger_matches(db, [sku])


async def test_migration_matches_the_models_on_mariadb(db: Database) -> None:
    def mine(item: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        # Other tests leave their own tables in the shared database.
        table = item if kind == "table" else getattr(item, "table", None)
        return table is None or table.name in WarehouseBase.metadata.tables

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": mine})
        return list(compare_metadata(context, WarehouseBase.metadata))

    async with db.primary.engine.connect() as connection:
        assert await connection.run_sync(differences) == []
