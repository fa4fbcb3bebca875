"""Backups and point-in-time restore on real servers, under continuous checkouts.

The drill: shoppers check out without pause; a full and an incremental base are taken on the
replica while binlogs are archived from the primary; a point T is noted; writing goes on; the
restore to T holds exactly the orders committed at or before T — every row identical to the
live one, none lost, none extra.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from orchid.config import Settings
from orchid.ops.backup import BaseManifest, bases, redis_copies, redis_copy, take_base, verify
from orchid.ops.binlogs import archiver_argv, caught_up
from orchid.ops.restore import Restored, parse_point, restore_to, stop_restored
from orchid.ops.swap import SwapRefused, swap_in
from orchid.ops.targets import Admin, Targets, client_options
from tests.support.checkout_load import Attempt, CheckoutLoad, wall
from tests.support.ops import cluster_of
from tests.support.servers import MariaDBPair, Redis
from tests.support.stack import settings_on_servers, shop_on
from tests.support.waiting import until_async
from tests.unit.orders_factories import add_product, services_of, setup_shop, sign_up

IST = ZoneInfo("Asia/Kolkata")
SHOPPERS = 4
ORDER_TABLES = ("orders", "order_lines", "order_events")


@pytest.fixture(scope="module")
def main_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBPair]:
    """A main database of its own: its binlog is archived from the first event."""
    pair = MariaDBPair.start(tmp_path_factory.mktemp("pitr-main"), ["orchid_main"])
    yield pair
    pair.stop()


@pytest.fixture(scope="module")
def targets(main_pair: MariaDBPair, redis_server: Redis,
            tmp_path_factory: pytest.TempPathFactory) -> Targets:
    return Targets({"main": cluster_of(main_pair, "main", ["primary", "replica-1"])},
                   backup_dir=tmp_path_factory.mktemp("backups"), redis_url=redis_server.url())


@pytest.fixture(scope="module")
def archiver(targets: Targets) -> Iterator[Path]:
    """`mariadb-binlog --stop-never` copying the primary's binlog, stopped by its pid."""
    primary = targets.cluster("main").members[0]
    with client_options(primary, Admin()) as options:
        argv, folder = archiver_argv(targets, "main", options)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            yield folder
        finally:
            proc.terminate()
            proc.wait(30)


@pytest.fixture(scope="module")
def settings(main_pair: MariaDBPair, warehouse_db_pair: MariaDBPair, redis_server: Redis,
             tmp_path_factory: pytest.TempPathFactory, archiver: Path) -> Settings:
    return settings_on_servers(main_pair, warehouse_db_pair, redis_server,
                               tmp_path_factory.mktemp("pitr-app"), db_pool_size=20)


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with shop_on(settings) as running:
        yield running


@pytest.fixture
def app(shop: tuple[FastAPI, httpx.AsyncClient]) -> FastAPI:
    return shop[0]


@pytest.fixture
def api(shop: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return shop[1]


def row_digests(rows: list[tuple[str, ...]]) -> dict[str, str]:
    return {row[0]: row[1] for row in rows}


def digest_sql(pair_sql: MariaDBPair, table: str) -> str:
    """SELECT id, MD5 of every column of the row — the same statement on both servers."""
    columns = [row[0] for row in pair_sql.primary.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'orchid_main' "
        f"AND table_name = '{table}' ORDER BY ordinal_position")]
    values = ", ".join(f"COALESCE(CAST(`{c}` AS CHAR), '<null>')" for c in columns)
    return f"SELECT id, MD5(CONCAT_WS('|', {values})) FROM `{table}` ORDER BY id"


def parse_batch(text: str) -> list[tuple[str, ...]]:
    return [tuple(line.split("\t")) for line in text.splitlines()]


def second_between(after: datetime, before: datetime) -> datetime:
    """The whole second halfway between two moments at least 3 s apart."""
    first, last = math.ceil(after.timestamp()) + 1, math.floor(before.timestamp()) - 1
    assert last >= first, f"no whole second strictly between {after} and {before}"
    return datetime.fromtimestamp((first + last) // 2, UTC)


EVENT_TIME = re.compile(r"^#(\d{6} +\d{1,2}:\d\d:\d\d) server id")
ORDER_NUMBER = re.compile(r"'(OR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2})'")


def orders_in_binlog_before(files: list[Path], boundary: datetime) -> set[str]:
    """The orders whose INSERT is in a transaction wholly before the first binlog event at or
    after `boundary` — read from the archive's decoded rows, for the checkouts that were in
    flight at the boundary (their client cannot tell on which side their commit fell)."""
    decoded = subprocess.run(
        ["mariadb-binlog", "--no-defaults", "--base64-output=decode-rows", "--verbose",
         *map(str, files)], capture_output=True, text=True, check=True,
        env={**os.environ, "TZ": "UTC"}).stdout
    before: set[str] = set()
    pending: set[str] = set()
    in_orders_insert = False
    for line in decoded.splitlines():
        stamp = EVENT_TIME.match(line)
        if stamp:
            at = datetime.strptime(stamp.group(1).replace("  ", " "), "%y%m%d %H:%M:%S")
            if at.replace(tzinfo=UTC) >= boundary:
                return before  # the replay stops here: the open transaction is not applied
            if "\tXid = " in line:  # the transaction's commit
                before |= pending
                pending = set()
            in_orders_insert = False
        elif line.startswith("### INSERT INTO `orchid_main`.`orders`"):
            in_orders_insert = True
        elif in_orders_insert and (found := ORDER_NUMBER.search(line)):
            pending.add(found.group(1))
            in_orders_insert = False
    return before


async def keep_writing(load: CheckoutLoad, until: datetime) -> None:
    while wall() < until:
        await load.wait_for_orders(1)


async def shoppers_checking_out(app: FastAPI, api: httpx.AsyncClient) -> CheckoutLoad:
    """SHOPPERS signed-up customers checking out one well-stocked product without pause."""
    services = services_of(app)
    await setup_shop(services)
    sku = await add_product(services, on_hand=100_000)
    shoppers = [await sign_up(api) for _ in range(SHOPPERS)]
    return await CheckoutLoad.start(api, shoppers, sku)


async def wait_archived(targets: Targets) -> None:
    await until_async(lambda: asyncio.to_thread(caught_up, targets, "main"), timeout=30,
                      what="the binlog archive catching up with the primary")


async def test_restore_to_a_second_holds_exactly_the_orders_committed_by_then(
        app: FastAPI, api: httpx.AsyncClient, targets: Targets, main_pair: MariaDBPair,
        archiver: Path, tmp_path: Path) -> None:
    load = await shoppers_checking_out(app, api)
    try:
        await load.wait_for_orders(20)
        full = await asyncio.to_thread(take_base, targets, "main")
        await keep_writing(load, full.finished + timedelta(seconds=4))
        incremental = await asyncio.to_thread(take_base, targets, "main", incremental=True)
        await keep_writing(load, incremental.finished + timedelta(seconds=5))
    finally:
        attempts = await load.stop()
    assert not load.errors(), load.errors()[:3]
    await wait_archived(targets)
    assert incremental.parent == full.id and incremental.member == "replica-1"
    assert verify(targets, "main", full.id) == [] and verify(targets, "main", incremental.id) == []

    cases = [
        # T after the incremental: the chain full → incremental, then binlogs.
        ("after-incremental", second_between(incremental.finished, attempts[-1].started),
         incremental.id),
        # T between the two bases: the full alone, then binlogs past the incremental's point.
        ("after-full", second_between(full.finished, incremental.finished), full.id),
    ]
    for name, boundary, base in cases:
        restored = await restore(targets, boundary, tmp_path / name)
        try:
            assert restored.base == base
            check_exact(main_pair, restored, load.placed(), boundary, sorted(archiver.iterdir()))
        finally:
            stop_restored(restored.folder)


async def restore(targets: Targets, boundary: datetime, into: Path) -> Restored:
    # The operator's words: the last second to keep, on the shop's clock.
    point = parse_point((boundary - timedelta(seconds=1)).astimezone(IST).isoformat())
    return await asyncio.to_thread(restore_to, targets, "main", to=point, into=into)


def check_exact(main_pair: MariaDBPair, restored: Restored, placed: dict[str, Attempt],
                boundary: datetime, archive: list[Path]) -> None:
    """The restored orders are exactly those committed before `boundary`: the ones answered
    201 before it, none begun after it, and of those in flight the ones the binlog shows
    committed before it; the settled ones row for row as live."""
    settled = {number for number, a in placed.items() if a.finished < boundary}
    later = {number for number, a in placed.items() if a.started >= boundary}
    in_flight = set(placed) - settled - later
    assert settled and later, "the drill needs orders on both sides of T"
    committed = orders_in_binlog_before(archive, boundary)
    assert settled <= committed and not committed & later  # the two oracles agree
    numbers = {row[0] for row in parse_batch(restored.sql("SELECT number FROM orders",
                                                          "orchid_main"))}
    assert not settled - numbers, f"lost: {sorted(settled - numbers)[:5]}"
    assert not numbers & later, f"extra: {sorted(numbers & later)[:5]}"
    assert numbers == settled | (in_flight & committed)
    ids = {row[0] for row in main_pair.primary.sql(
        "SELECT id FROM orders WHERE number IN ('" + "','".join(sorted(settled)) + "')",
        "orchid_main")}
    for table in ORDER_TABLES:
        statement = digest_sql(main_pair, table)
        mine = row_digests(parse_batch(restored.sql(statement, "orchid_main")))
        live = row_digests(main_pair.primary.sql(statement, "orchid_main"))
        # Rows of settled orders: as they are live (nothing touched them after).
        owner = "id" if table == "orders" else "order_id"
        keys = {row[0] for row in main_pair.primary.sql(
            f"SELECT id FROM `{table}` WHERE {owner} IN ({','.join(ids)})", "orchid_main")}
        assert keys <= set(mine), f"{table}: rows of settled orders missing"
        changed = [key for key in keys if live.get(key) != mine[key]]
        assert not changed, f"{table}: rows differ from the live ones: {changed[:5]}"
    # Nothing half-written: no line or event without its order.
    for child in ("order_lines", "order_events"):
        orphans = restored.sql(f"SELECT COUNT(*) FROM {child} c LEFT JOIN orders o "
                               "ON o.id = c.order_id WHERE o.id IS NULL", "orchid_main")
        assert orphans.strip() == "0", f"{child} rows without their order"
    assert restored.sql("SELECT @@read_only").strip() == "1"


def test_a_changed_file_in_a_backup_is_found(targets: Targets) -> None:
    """Runs after the drill (same module): damage one byte of a copy, verify names the file."""
    newest: BaseManifest = bases(targets, "main")[-1]
    folder = targets.backup_dir / "main" / "base" / newest.id / "data"
    victim = folder / "xtrabackup_checkpoints"
    original = victim.read_bytes()
    victim.write_bytes(original + b"#")
    try:
        assert verify(targets, "main", newest.id) == ["changed xtrabackup_checkpoints"]
    finally:
        victim.write_bytes(original)
    assert verify(targets, "main", newest.id) == []


def test_times_without_an_offset_or_finer_than_a_second_are_refused() -> None:
    from orchid.ops.restore import RestoreFailed

    assert parse_point("2026-12-02T10:15:03+05:30") == datetime(2026, 12, 2, 4, 45, 3, tzinfo=UTC)
    with pytest.raises(RestoreFailed, match="no offset"):
        parse_point("2026-12-02T10:15:03")
    with pytest.raises(RestoreFailed, match="to the second"):
        parse_point("2026-12-02T10:15:03.250+05:30")
    with pytest.raises(RestoreFailed, match="not a time"):
        parse_point("yesterday")


def test_a_redis_copy_is_a_whole_rdb_with_its_checksum(targets: Targets,
                                                       redis_server: Redis) -> None:
    import hashlib

    import redis

    client = redis.Redis.from_url(redis_server.url())
    try:
        client.set("orchid:backup-probe", "kajal")
    finally:
        client.close()
    copy = redis_copy(targets)
    dump = targets.backup_dir / "redis" / copy.id / "dump.rdb"
    data = dump.read_bytes()
    assert data.startswith(b"REDIS") and b"orchid:backup-probe" in data
    assert copy.sha256 == hashlib.sha256(data).hexdigest() and copy.bytes == len(data)
    assert [c.id for c in redis_copies(targets)][-1] == copy.id


async def test_a_restore_to_after_the_last_write_replays_nothing(
        targets: Targets, main_pair: MariaDBPair, archiver: Path, tmp_path: Path) -> None:
    """The base is the archive's newest transaction: mariadb-binlog has nothing to give, and
    the restore is the base as it stands."""
    main_pair.wait_replicated()
    newest = await asyncio.to_thread(take_base, targets, "main", incremental=True)
    await wait_archived(targets)
    point = newest.finished.replace(microsecond=0) + timedelta(seconds=1)
    # The restore refuses a second that is not over yet; nothing is written after the base, so
    # its clock is moved to that second's end instead of waiting for it.
    restored = await asyncio.to_thread(restore_to, targets, "main", to=point,
                                       into=tmp_path / "restored",
                                       clock=lambda: point + timedelta(seconds=1))
    try:
        assert restored.base == newest.id
        count = "SELECT COUNT(*) FROM orders"
        assert restored.sql(count, "orchid_main").strip() == \
            main_pair.primary.sql(count, "orchid_main")[0][0]
    finally:
        stop_restored(restored.folder)


async def test_a_restore_swapped_in_under_checkouts_makes_the_live_data_as_of_then(
        app: FastAPI, api: httpx.AsyncClient, targets: Targets, main_pair: MariaDBPair,
        archiver: Path, tmp_path: Path) -> None:
    """Restore to T and swap it in while shoppers keep checking out: the live orders are those
    committed by T plus those placed after the cut-over; every order answered 201 between T and
    the cut-over is kept aside, none lost; the replica holds what the primary holds."""
    load = await shoppers_checking_out(app, api)
    try:
        await load.wait_for_orders(10)
        base = await asyncio.to_thread(take_base, targets, "main")
        await keep_writing(load, base.finished + timedelta(seconds=4))
        noted = wall()
        await keep_writing(load, noted + timedelta(seconds=4))
        boundary = second_between(base.finished, wall())
        await wait_archived(targets)
        restored = await restore(targets, boundary, tmp_path / "swap")
        try:
            at_t = {row[0] for row in parse_batch(restored.sql("SELECT number FROM orders",
                                                               "orchid_main"))}
            kept = {table: row_digests(parse_batch(restored.sql(digest_sql(main_pair, table),
                                                                "orchid_main")))
                    for table in ORDER_TABLES}
            swap_began = wall()
            report = await asyncio.to_thread(swap_in, targets, restored)
            swap_ended = wall()
        finally:
            stop_restored(restored.folder)
        await load.wait_for_orders(10)  # the shop sells on the swapped-in data
    finally:
        await load.stop()
    assert not load.errors(), load.errors()[:3]
    assert report.replicas == ["replica-1"] and report.rows > 0
    placed = load.placed()
    live = {row[0] for row in main_pair.primary.sql("SELECT number FROM orders", "orchid_main")}
    aside = {row[0] for row in main_pair.primary.sql("SELECT number FROM orders",
                                                     report.discarded)}
    after_t = {n for n, a in placed.items() if a.started >= boundary and a.finished < swap_began}
    after_swap = {n for n, a in placed.items() if a.started > swap_ended}
    assert at_t and after_t and after_swap, "the drill needs orders in every period"
    assert not set(placed) - live - aside, "an order answered 201 is in neither schema"
    assert at_t <= live and after_swap <= live
    assert not after_t & live, f"written after T yet live: {sorted(after_t & live)[:5]}"
    assert after_t <= aside and at_t <= aside  # the old tables are kept whole
    assert live - at_t <= {n for n, a in placed.items() if a.finished > swap_began}
    for table in ORDER_TABLES:  # the rows as of T, exactly as the restore holds them
        now = row_digests(main_pair.primary.sql(digest_sql(main_pair, table), "orchid_main"))
        assert {k: now.get(k) for k in kept[table]} == kept[table], f"{table} changed by the swap"
    main_pair.wait_replicated()
    replica = main_pair.replicas[0]
    for table in ORDER_TABLES:
        statement = digest_sql(main_pair, table)
        assert replica.sql(statement, "orchid_main") == \
            main_pair.primary.sql(statement, "orchid_main"), f"{table}: the replica differs"
    staging = main_pair.primary.sql("SELECT COUNT(*) FROM information_schema.schemata "
                                    "WHERE schema_name LIKE 'orchid_main_restored_%'")
    assert staging == [("0",)], "the staging schema is left behind"


@pytest.mark.usefixtures("settings")  # the schema, migrated
async def test_a_swap_of_a_restore_at_another_migration_is_refused_and_changes_nothing(
        targets: Targets, main_pair: MariaDBPair, archiver: Path, tmp_path: Path) -> None:
    """The running app expects the live schema: a restore from before a migration is refused
    before anything is copied."""
    base = await asyncio.to_thread(take_base, targets, "main")
    await wait_archived(targets)
    point = base.finished.replace(microsecond=0) + timedelta(seconds=1)
    restored = await asyncio.to_thread(restore_to, targets, "main", to=point,
                                       into=tmp_path / "restored",
                                       clock=lambda: point + timedelta(seconds=1))
    schemas = "SELECT schema_name FROM information_schema.schemata ORDER BY 1"
    before = main_pair.primary.sql(schemas)
    try:
        # root writes through read_only: the restore made "before the last migration".
        restored.sql("UPDATE alembic_version SET version_num = 'a-past-revision'", "orchid_main")
        with pytest.raises(SwapRefused, match="a-past-revision"):
            await asyncio.to_thread(swap_in, targets, restored)
    finally:
        stop_restored(restored.folder)
    assert main_pair.primary.sql(schemas) == before
    assert main_pair.primary.sql("SELECT @@read_only") == [("0",)]
