"""Online schema change of the orders table (≥ 200 k rows) under live checkouts, on a real
primary and replica, with pt-online-schema-change: nothing lost or changed, no client error,
the replica identical chunk by chunk; a panic leaves the table as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from orchid.config import Settings
from orchid.ops import schema_change as osc
from orchid.ops.targets import Cluster
from tests.support.checkout_load import CheckoutLoad, wall
from tests.support.ops import cluster_of
from tests.support.servers import MariaDB, MariaDBPair, Redis
from tests.support.stack import settings_on_servers, shop_on
from tests.support.waiting import until_async
from tests.unit.orders_factories import Shopper, add_product, services_of, setup_shop, sign_up

SEEDED, SHOPPERS, CHUNK = 200_000, 4, 10_000
ALTER = ("ADD COLUMN gift_note VARCHAR(200) NULL, "
         "ADD INDEX ix_orders_payment_method (payment_method)")
ORIGINAL = ("id", "number", "customer_id", "idempotency_key", "fingerprint", "status",
            "reservation_key", "payment_method", "subtotal_paise", "shipping_paise", "gst_paise",
            "total_paise", "currency", "address", "expires_at", "allocated", "stock_returned",
            "created_at", "updated_at")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBPair]:
    """A main database of its own: the test alters its orders table."""
    servers = MariaDBPair.start(tmp_path_factory.mktemp("osc-main"), ["orchid_main"])
    yield servers
    servers.stop()


@pytest.fixture(scope="module")
def cluster(pair: MariaDBPair) -> Cluster:
    return cluster_of(pair, "main", ["main-1", "main-2"])


@pytest.fixture(scope="module")
def settings(pair: MariaDBPair, warehouse_db_pair: MariaDBPair, redis_server: Redis,
             tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_on_servers(pair, warehouse_db_pair, redis_server,
                               tmp_path_factory.mktemp("osc-app"), db_pool_size=20)


@pytest.fixture(scope="module")
def seeded(settings: Settings, pair: MariaDBPair) -> int:
    """200 k delivered orders with one line each, written by SQL (the API would take hours)."""
    started = time.perf_counter()
    pair.primary.sql(
        "INSERT INTO orders (number, customer_id, idempotency_key, fingerprint, status, "
        "reservation_key, payment_method, subtotal_paise, shipping_paise, gst_paise, "
        "total_paise, currency, address, expires_at, allocated, stock_returned, created_at, "
        "updated_at) SELECT CONCAT('SD-', LPAD(seq, 12, '0')), CONCAT('seed-', seq MOD 5000), "
        "CONCAT('seed-key-', seq), SHA2(seq, 256), 'delivered', CONCAT('seed-res-', seq), "
        "IF(seq MOD 3 = 0, 'card', 'cod'), 29900 + seq MOD 1000, 4900, 4561, "
        "34800 + seq MOD 1000, 'INR', JSON_OBJECT('name', 'आशा राव', 'city', 'Bengaluru', "
        "'pincode', '560001'), NOW(6), 1, 0, NOW(6) - INTERVAL seq SECOND, NOW(6) "
        f"FROM seq_1_to_{SEEDED}", "orchid_main")
    pair.primary.sql(
        "INSERT INTO order_lines (order_id, sku, product_slug, product_name, variant_name, "
        "quantity, unit_price_paise, unit_mrp_paise, gst_rate_bp, gst_paise, line_total_paise) "
        "SELECT id, 'KAJAL-SEED-1', 'kajal-seed', 'काजल', '1 g', 1, subtotal_paise, 39900, "
        "1800, gst_paise, subtotal_paise FROM orders WHERE number LIKE 'SD-%'", "orchid_main")
    pair.wait_replicated(timeout=120)
    print(f"\nseeded {SEEDED} orders + lines in {time.perf_counter() - started:.1f} s")
    return SEEDED


@pytest.fixture
async def running(settings: Settings,
                  seeded: int) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with shop_on(settings, timeout=120) as started:
        yield started


@pytest.fixture
def app(running: tuple[FastAPI, httpx.AsyncClient]) -> FastAPI:
    return running[0]


@pytest.fixture
def api(running: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return running[1]


async def shop(app: FastAPI, api: httpx.AsyncClient) -> tuple[str, list[Shopper]]:
    services = services_of(app)
    await setup_shop(services)
    sku = await add_product(services, on_hand=100_000)
    return sku, [await sign_up(api) for _ in range(SHOPPERS)]


def digests(db: MariaDB) -> dict[str, str]:
    """id → MD5 of the columns every row had before the change."""
    values = ", ".join(f"COALESCE(CAST(`{c}` AS CHAR), '<null>')" for c in ORIGINAL)
    rows = db.sql(f"SELECT id, MD5(CONCAT_WS('|', {values})) FROM orders", "orchid_main")
    return {row[0]: row[1] for row in rows}


def chunk_checksums(db: MariaDB, table: str) -> list[tuple[str, ...]]:
    """(chunk, rows, BIT_XOR of CRC32 over every column) per 10 k ids, as pt-table-checksum."""
    columns = [row[0] for row in db.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'orchid_main' "
        f"AND table_name = '{table}' ORDER BY ordinal_position")]
    values = ", ".join(f"COALESCE(CAST(`{c}` AS CHAR), '<null>')" for c in columns)
    return db.sql(f"SELECT id DIV {CHUNK}, COUNT(*), BIT_XOR(CRC32(CONCAT_WS('|', {values}))) "
                  f"FROM `{table}` GROUP BY id DIV {CHUNK} ORDER BY 1", "orchid_main")


def schema_of(db: MariaDB) -> dict[str, str]:
    """SHOW CREATE TABLE of the order tables, less the AUTO_INCREMENT counter."""
    return {table: re.sub(r" AUTO_INCREMENT=\d+", "",
                          db.sql(f"SHOW CREATE TABLE `{table}`", "orchid_main")[0][1])
            for table in ("orders", "order_lines", "order_events")}


def leftovers(db: MariaDB) -> list[tuple[str, ...]]:
    return db.sql("SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = "
                  "'orchid_main' UNION ALL SELECT table_name FROM information_schema.tables "
                  "WHERE table_schema = 'orchid_main' AND table_name LIKE '\\_orders\\_%'")


class LagSampler:
    """Seconds_Behind_Master of the replica, read after each order the shop places while a
    change runs (the writes are what could make it lag)."""

    def __init__(self, replica: MariaDB, load: CheckoutLoad) -> None:
        self.replica, self.load, self.samples = replica, load, [0]
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            status = await asyncio.to_thread(self.replica.slave_status)
            behind = status.get("Seconds_Behind_Master", "NULL")
            assert status.get("Slave_SQL_Running") == "Yes", status.get("Last_SQL_Error")
            self.samples.append(int(behind) if behind.isdigit() else 0)
            await self.load.wait_for_orders(1)

    async def stop(self) -> int:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        return max(self.samples)


async def wait_phase(flags: Path, table: str, phases: set[str], timeout: float = 120) -> None:
    async def reached() -> bool:
        return any(s.table == table and s.phase in phases for s in osc.read_states(flags))

    await until_async(reached, timeout=timeout, what=f"{table} reaching {phases}")


def test_instant_is_offered_only_where_mariadb_does_it_without_a_copy(
        cluster: Cluster, seeded: int, pair: MariaDBPair) -> None:
    primary = osc.primary_of(cluster)
    assert primary.name == "main-1"

    def instant(alter: str) -> bool:
        return osc.instant_possible(cluster, primary,
                                    osc.Change("main", "orchid_main", "orders", alter))

    assert instant("ADD COLUMN gift_note VARCHAR(200) NULL")
    assert not instant("ADD INDEX ix_orders_payment_method (payment_method)")
    assert instant("MODIFY COLUMN currency VARCHAR(8) NOT NULL")  # same length byte
    assert not instant("MODIFY COLUMN subtotal_paise BIGINT NOT NULL")  # a copy
    assert leftovers(pair.primary) == [] and leftovers(pair.replicas[0]) == []


async def test_panic_stops_the_copy_and_leaves_the_table_as_it_was(
        app: FastAPI, api: httpx.AsyncClient, cluster: Cluster, pair: MariaDBPair,
        tmp_path: Path) -> None:
    before = schema_of(pair.primary)
    sku, shoppers = await shop(app, api)
    change = osc.Change("main", "orchid_main", "orders", ALTER, tmp_path)
    load = await CheckoutLoad.start(api, shoppers, sku)
    running: asyncio.Future[str] | None = None
    try:
        await load.wait_for_orders(5)
        running = asyncio.create_task(asyncio.to_thread(
            osc.run, cluster, change, postpone=True, state_dir=tmp_path, log_dir=tmp_path))
        await wait_phase(tmp_path, "orders", {"copying"})
        await load.wait_for_orders(5)
        osc.request_panic(change)
        with pytest.raises(osc.SchemaChangeFailed, match="panic"):
            await running
        await load.wait_for_orders(5)  # the shop goes on writing to the untouched table
    finally:
        await stop_change(change, running)
        await load.stop()
    assert load.errors() == []
    assert schema_of(pair.primary) == before
    assert leftovers(pair.primary) == []
    pair.wait_replicated(timeout=60)
    assert leftovers(pair.replicas[0]) == [] and schema_of(pair.replicas[0]) == before
    assert osc.read_states(tmp_path) == [] and not change.panic_flag.exists()


async def stop_change(change: osc.Change, running: asyncio.Future[str] | None) -> None:
    """Make sure no change outlives its test (a postponed one would wait forever)."""
    if running is not None and not running.done():
        osc.request_panic(change)
        with contextlib.suppress(osc.SchemaChangeFailed):
            await running


async def test_adding_a_column_and_an_index_under_checkouts_loses_and_changes_nothing(
        app: FastAPI, api: httpx.AsyncClient, cluster: Cluster, pair: MariaDBPair,
        tmp_path: Path) -> None:
    sku, shoppers = await shop(app, api)
    keys_before = schema_of(pair.primary)["order_lines"]
    load = await CheckoutLoad.start(api, shoppers, sku)
    lag = LagSampler(pair.replicas[0], load)
    change = osc.Change("main", "orchid_main", "orders", ALTER, tmp_path)
    running: asyncio.Future[str] | None = None
    try:
        await load.wait_for_orders(10)
        snapshot_at = wall()
        before = digests(pair.primary)
        started = time.perf_counter()
        running = asyncio.create_task(asyncio.to_thread(
            osc.run, cluster, change, postpone=True, state_dir=tmp_path, log_dir=tmp_path))
        await wait_phase(tmp_path, "orders", {"postponed"}, timeout=240)
        copied = time.perf_counter() - started
        await load.wait_for_orders(10)  # held at the cut-over: the triggers keep the copy current
        osc.request_cut_over(change)
        assert await running == "pt-osc"
        total = time.perf_counter() - started
        await load.wait_for_orders(10)  # and the shop writes to the altered table
    finally:
        await stop_change(change, running)
        await load.stop()
        worst_lag = await lag.stop()
    rows = len(before)
    print(f"\npt-osc: {rows} rows copied in {copied:.1f} s under {SHOPPERS} shoppers "
          f"({rows / copied:,.0f} rows/s), done with cut-over in {total:.1f} s; "
          f"{len(load.placed())} orders placed meanwhile; worst replica lag {worst_lag} s; "
          f"{sum(a.status == 503 for a in load.attempts)} checkouts answered 503 (a lock "
          "conflict rolled back) and retried with their key")

    # Rows settled before the change began: the seeded ones and the orders answered 201 by
    # then. (An order in flight at the snapshot moves on to its next status afterwards.)
    settled = [n for n, a in load.placed().items() if a.finished < snapshot_at]
    settled_ids = {row[0] for row in pair.primary.sql(
        "SELECT id FROM orders WHERE number IN ('" + "','".join(settled) + "')", "orchid_main")}
    before = {i: d for i, d in before.items() if int(i) <= SEEDED or i in settled_ids}
    assert len(before) >= SEEDED + len(settled)
    after = digests(pair.primary)
    assert {i: d for i, d in after.items() if i in before} == before  # none lost, none changed
    numbers = {row[0] for row in pair.primary.sql("SELECT number FROM orders", "orchid_main")}
    assert set(load.placed()) <= numbers
    created = schema_of(pair.primary)
    assert "`gift_note` varchar(200)" in created["orders"]
    assert "KEY `ix_orders_payment_method` (`payment_method`)" in created["orders"]
    assert created["order_lines"] == keys_before  # the same key names, pointing at orders
    assert leftovers(pair.primary) == []

    pair.wait_replicated(timeout=120)
    for table in ("orders", "order_lines"):
        assert chunk_checksums(pair.replicas[0], table) == chunk_checksums(pair.primary, table)
    assert schema_of(pair.replicas[0])["orders"] == created["orders"]
    assert worst_lag <= 30, f"replica lag reached {worst_lag} s"
    # Last, so a run that fails here has shown every row and the replica intact.
    assert load.errors() == [], load.errors()[:3]
