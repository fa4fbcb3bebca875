"""Failover drills on real servers under continuous checkouts: a planned switchover, kill -9 of
the primary, the warehouse pair; the read_only flags; refusals; the returning old primary.

The servers run as the stack runs them: semi-synchronous replication (AFTER_SYNC), every member
started read-only and the primary opened at runtime. The app runs in-process and follows the
primary by itself. The tests share the servers, in file order: each reads who the primary is
from the flags, never from the configured order.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from orchid.cli import app as cli
from orchid.config import Settings
from orchid.ops import topology
from orchid.ops.failover import FailoverRefused, Report, failover, rejoin
from orchid.ops.targets import Cluster
from tests.support.checkout_load import CheckoutLoad
from tests.support.ops import cluster_of
from tests.support.servers import REPL_PASSWORD, MariaDB, MariaDBPair, Redis
from tests.support.stack import settings_on_servers, shop_on
from tests.unit.orders_factories import add_product, services_of, setup_shop, sign_up

SHOPPERS = 6
OPS_USER, OPS_PASSWORD = "orchid_ops", "ops-password-for-tests"


def start(base: Path, database: str, replicas: int) -> MariaDBPair:
    pair = MariaDBPair.start(base, [database], replicas=replicas, failover=True)
    # An operator account over TCP, for the CLI's deployment path (replicated to every member).
    pair.primary.sql(f"CREATE USER '{OPS_USER}'@'127.0.0.1' IDENTIFIED BY '{OPS_PASSWORD}';"
                     f"GRANT ALL PRIVILEGES ON *.* TO '{OPS_USER}'@'127.0.0.1'")
    pair.wait_replicated()
    return pair


@pytest.fixture(scope="module")
def main(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBPair]:
    """Main: a primary and two replicas."""
    pair = start(tmp_path_factory.mktemp("failover-main"), "orchid_main", 2)
    yield pair
    pair.stop()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBPair]:
    """Warehouse: a primary and one replica."""
    pair = start(tmp_path_factory.mktemp("failover-warehouse"), "orchid_warehouse", 1)
    yield pair
    pair.stop()


@pytest.fixture(scope="module")
def clusters(main: MariaDBPair, warehouse: MariaDBPair) -> dict[str, Cluster]:
    return {"main": cluster_of(main, "main", "abc"),
            "warehouse": cluster_of(warehouse, "warehouse", "abc")}


@pytest.fixture(scope="module")
def settings(main: MariaDBPair, warehouse: MariaDBPair, redis_server: Redis,
             tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_on_servers(main, warehouse, redis_server,
                               tmp_path_factory.mktemp("failover-app"), db_pool_size=20,
                               replica_retry_seconds=1.0)


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with shop_on(settings) as running:
        yield running


async def start_load(shop: tuple[FastAPI, httpx.AsyncClient]) -> CheckoutLoad:
    app, api = shop
    services = services_of(app)
    await setup_shop(services)
    sku = await add_product(services, on_hand=100_000)
    shoppers = [await sign_up(api) for _ in range(SHOPPERS)]
    load = await CheckoutLoad.start(api, shoppers, sku)
    await load.wait_for_orders(15)
    return load


def one_primary(cluster: Cluster) -> str:
    """The name of the single writable member; fails on none or several."""
    now = topology.read(cluster)
    assert len(now.writable) == 1, [(s.name, s.role) for s in now.states]
    return now.writable[0].name


def server(pair: MariaDBPair, cluster: Cluster, name: str) -> MariaDB:
    """The test server behind member `name`."""
    port = cluster.member(name).port
    return next(db for db in pair.members if db.port == port)


def orders_on(pair: MariaDBPair, numbers: set[str]) -> set[str]:
    """Which of `numbers` the primary holds."""
    if not numbers:
        return set()
    listed = "','".join(sorted(numbers))
    rows = pair.primary.sql(f"SELECT number FROM orders WHERE number IN ('{listed}')",
                            "orchid_main")
    return {row[0] for row in rows}


def seen(load: CheckoutLoad) -> dict[str, int]:
    """What the clients were answered: status → count (`cut` for a lost connection)."""
    return dict(Counter("cut" if a.status is None else str(a.status) for a in load.attempts))


def say_report(report: Report) -> None:
    print(f"\n{report.database} {'switchover' if report.planned else 'failover'} "
          f"{report.old_primary} → {report.new_primary}: {report.seconds:.2f} s")
    for step in report.steps:
        print(f"  {step.seconds:6.2f} s  {step.what}")


def cli_env(cluster: Cluster) -> dict[str, str]:
    members = ",".join(f"{m.name}=127.0.0.1:{m.port}" for m in cluster.members)
    return {f"ORCHID_OPS_{cluster.database.upper()}_MEMBERS": members,
            "ORCHID_OPS_ADMIN_USER": OPS_USER, "ORCHID_OPS_ADMIN_PASSWORD": OPS_PASSWORD,
            "ORCHID_OPS_REPLICATION_PASSWORD": REPL_PASSWORD}


# --- flags ---------------------------------------------------------------------------------------

def test_flags_show_one_primary_and_never_set_a_second(clusters: dict[str, Cluster]) -> None:
    runner = CliRunner()
    env = {**cli_env(clusters["main"]), **cli_env(clusters["warehouse"])}
    shown = runner.invoke(cli, ["ops", "flags", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    [main, warehouse] = json.loads(shown.output)
    roles = {m["name"]: m["role"] for m in main["members"]}
    assert sorted(roles.values()) == ["primary", "replica", "replica"]
    assert [m["read_only"] for m in warehouse["members"]].count(False) == 1
    primary = next(name for name, role in roles.items() if role == "primary")
    replica = next(name for name, role in roles.items() if role == "replica")
    refused = runner.invoke(cli, ["ops", "flags", "--set", f"{replica}=rw"], env=env)
    assert refused.exit_code == 1 and "replicates" in refused.output
    fenced = runner.invoke(cli, ["ops", "flags", "--database", "main", "--set",
                                 f"{primary}=ro"], env=env)
    assert fenced.exit_code == 0, fenced.output
    assert topology.read(clusters["main"]).writable == []
    opened = runner.invoke(cli, ["ops", "flags", "--database", "main", "--set",
                                 f"{primary}=rw"], env=env)
    assert opened.exit_code == 0, opened.output
    assert one_primary(clusters["main"]) == primary


# --- planned switchover ------------------------------------------------------------------------

def test_a_planned_switchover_to_a_lagging_replica_is_refused_and_undone(
        main: MariaDBPair, clusters: dict[str, Cluster]) -> None:
    cluster = clusters["main"]
    primary = one_primary(cluster)
    lagging = next(s.name for s in topology.read(cluster).replicas())
    server(main, cluster, lagging).sql("STOP SLAVE SQL_THREAD")
    try:
        with pytest.raises(FailoverRefused, match="lags"):
            failover(cluster, planned=True, to=lagging)
    finally:
        server(main, cluster, lagging).sql("START SLAVE SQL_THREAD")
    assert one_primary(cluster) == primary  # nothing changed


async def test_a_planned_switchover_under_checkouts_has_no_client_errors(
        shop: tuple[FastAPI, httpx.AsyncClient], main: MariaDBPair,
        clusters: dict[str, Cluster]) -> None:
    cluster = clusters["main"]
    old = one_primary(cluster)
    load = await start_load(shop)
    try:
        report = await asyncio.to_thread(failover, cluster, planned=True)
        await load.wait_for_orders(15)
    finally:
        await load.stop()
    say_report(report)
    print(f"clients saw: {seen(load)}")
    main.follow(cluster.member(report.new_primary).port)
    assert report.old_primary == old and report.new_primary != old
    assert load.errors() == [], [(a.status, a.detail) for a in load.errors()[:3]]
    assert one_primary(cluster) == report.new_primary
    assert report.old_primary_fate == f"replica of {report.new_primary}"
    placed = set(load.placed())
    assert orders_on(main, placed) == placed
    app, _ = shop
    assert app.state.resources.main_db.primary.address.endswith(
        f":{cluster.member(report.new_primary).port}")


# --- kill -9 -------------------------------------------------------------------------------------

async def test_kill_9_of_the_primary_loses_no_acknowledged_order(
        shop: tuple[FastAPI, httpx.AsyncClient], main: MariaDBPair,
        clusters: dict[str, Cluster]) -> None:
    cluster = clusters["main"]
    old = one_primary(cluster)
    load = await start_load(shop)
    try:
        killed_at = time.monotonic()
        server(main, cluster, old).kill()
        before = len(load.placed())
        report = await asyncio.to_thread(failover, cluster)
        promoted_at = time.monotonic()
        await load.wait_for_orders(1)
        resumed_at = time.monotonic()
        await load.wait_for_orders(15)
    finally:
        await load.stop()
    say_report(report)
    print(f"kill -9 → promoted {promoted_at - killed_at:.2f} s, → first order after "
          f"{resumed_at - killed_at:.2f} s; orders before the kill ~{before}; "
          f"clients saw: {seen(load)}")
    main.follow(cluster.member(report.new_primary).port)
    assert report.old_primary == old
    placed = set(load.placed())
    assert orders_on(main, placed) == placed, sorted(placed - orders_on(main, placed))[:5]
    assert load.errors() == [], [(a.status, a.detail) for a in load.errors()[:3]]

    # The old primary returns: read-only from its first moment, then a replica (or fenced).
    returned = server(main, cluster, old)
    returned.start()
    assert returned.sql("SELECT @@global.read_only") == [("1",)]
    assert one_primary(cluster) == report.new_primary
    fate = rejoin(cluster, old)
    print(f"the old primary: {fate}")
    assert fate == f"replica of {report.new_primary}" or fate.startswith("diverged")
    assert one_primary(cluster) == report.new_primary
    if fate.startswith("replica"):
        main.wait_replicated()
        assert orders_on(main, placed) == placed


# --- the warehouse pair --------------------------------------------------------------------------

async def test_the_warehouse_fails_over_once_its_replica_has_applied_everything(
        shop: tuple[FastAPI, httpx.AsyncClient], main: MariaDBPair, warehouse: MariaDBPair,
        clusters: dict[str, Cluster]) -> None:
    cluster = clusters["warehouse"]
    old = one_primary(cluster)
    [replica] = [s.name for s in topology.read(cluster).replicas()]
    load = await start_load(shop)
    try:
        server(warehouse, cluster, replica).sql("STOP SLAVE SQL_THREAD")
        await load.wait_for_orders(5)  # written to its relay log, not applied
        server(warehouse, cluster, old).kill()
        with pytest.raises(FailoverRefused, match="has not applied"):
            await asyncio.to_thread(failover, cluster, max_lag=1)
        assert topology.read(cluster).writable == []  # refused: nothing promoted
        server(warehouse, cluster, replica).sql("START SLAVE SQL_THREAD")
        report = await asyncio.to_thread(failover, cluster)
        await load.wait_for_orders(15)
    finally:
        await load.stop()
    say_report(report)
    print(f"clients saw: {seen(load)}")
    warehouse.follow(cluster.member(report.new_primary).port)
    assert report.new_primary == replica
    placed = set(load.placed())
    assert orders_on(main, placed) == placed
    listed = "','".join(sorted(placed))
    keys = {row[0] for row in main.primary.sql(
        f"SELECT reservation_key FROM orders WHERE number IN ('{listed}')", "orchid_main")}
    held = {row[0]: row[1] for row in warehouse.primary.sql(
        "SELECT `key`, status FROM reservations", "orchid_warehouse")}
    assert {key: held.get(key) for key in keys} == dict.fromkeys(keys, "allocated")
    assert load.errors() == [], [(a.status, a.detail) for a in load.errors()[:3]]
    returned = server(warehouse, cluster, old)
    returned.start()
    assert returned.sql("SELECT @@global.read_only") == [("1",)]
    fate = rejoin(cluster, old)
    print(f"the old warehouse primary: {fate}")
    assert one_primary(cluster) == report.new_primary
