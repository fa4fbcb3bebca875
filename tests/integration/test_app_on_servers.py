"""The whole app on real MariaDB primary/replica pairs and Redis: caching, routing, degradation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi import FastAPI

from orchid.app import create_app
from orchid.config import Settings
from tests.conftest import STAFF_PASSWORD
from tests.support.metrics import sample
from tests.support.servers import MariaDBPair, Redis
from tests.support.stack import settings_on_servers


@pytest.fixture(scope="module")
def server_settings(main_db_pair: MariaDBPair, warehouse_db_pair: MariaDBPair,
                    redis_server: Redis, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at the real servers, with both schemas migrated on the primaries."""
    # No relay: what is under test is the writers' own invalidation, and the cache-invalidation
    # function, reacting to a product.created a moment later, could drop the very entry a test
    # has just seen filled (it failed so once in CI).
    return settings_on_servers(main_db_pair, warehouse_db_pair, redis_server,
                               tmp_path_factory.mktemp("app"), redis_retry_seconds=0.5,
                               events_relay=False)


@pytest.fixture
async def app(server_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(server_settings)
    async with application.router.lifespan_context(application):
        yield application


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop")


@pytest.fixture
async def staff(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in staff client (its own cookie jar, so its own read-your-writes window)."""
    email = f"staff-{uuid.uuid4().hex[:8]}@orchid.test"
    await app.state.services.accounts.create_user(email=email, password=STAFF_PASSWORD,
                                                  name="Staff", role="staff")
    async with client(app) as c:
        login = await c.post("/api/v1/accounts/login",
                             json={"email": email, "password": STAFF_PASSWORD})
        assert login.status_code == 200, login.text
        c.headers["Authorization"] = f"Bearer {login.json()['token']}"
        yield c


async def make_product(staff: httpx.AsyncClient, price: int = 49900) -> str:
    tag = uuid.uuid4().hex[:8]
    for path, body in (("brands", {"slug": f"belle-{tag}", "name": "Belle & Bloom"}),
                       ("categories", {"slug": f"lip-{tag}", "name": "Lipstick"})):
        response = await staff.post(f"/api/v1/catalog/{path}", json=body)
        assert response.status_code == 201, response.text
    slug = f"matte-lipstick-{tag}"
    response = await staff.post("/api/v1/catalog/products", json={
        "slug": slug, "name": "Crème Matte Lipstick", "brand": f"belle-{tag}",
        "category": f"lip-{tag}", "published": True,
        "variants": [{"sku": f"LIP-{tag.upper()}", "name": "Crimson Crush",
                      "shade_hex": "#9B111E", "mrp_paise": 59900, "price_paise": price}]})
    assert response.status_code == 201, response.text
    return slug


async def test_product_page_is_cached_in_redis_and_invalidated_by_staff_writes(
        app: FastAPI, staff: httpx.AsyncClient, main_db_pair: MariaDBPair,
        redis_server: Redis) -> None:
    slug = await make_product(staff)
    main_db_pair.wait_replicated()
    with redis.Redis.from_url(redis_server.url()) as keys:
        async with client(app) as shopper:
            first = await shopper.get(f"/api/v1/catalog/products/{slug}")
            assert first.status_code == 200 and first.json()["price_paise"] == 49900
            assert keys.exists(f"cache:catalog:product:{slug}")
            sku = first.json()["variants"][0]["sku"]
            changed = await staff.put(f"/api/v1/catalog/variants/{sku}/price",
                                      json={"price_paise": 39900})
            assert changed.status_code == 200, changed.text
            assert not keys.exists(f"cache:catalog:product:{slug}")
            main_db_pair.wait_replicated()
            again = await shopper.get(f"/api/v1/catalog/products/{slug}")
            assert again.json()["price_paise"] == 39900
            hidden = await staff.post(f"/api/v1/catalog/products/{slug}/unpublish")
            assert hidden.status_code == 200
            main_db_pair.wait_replicated()
            assert (await shopper.get(f"/api/v1/catalog/products/{slug}")).status_code == 404


async def test_writer_reads_its_write_while_the_replica_lags(
        app: FastAPI, staff: httpx.AsyncClient, main_db_pair: MariaDBPair) -> None:
    slug = await make_product(staff)
    main_db_pair.wait_replicated()
    main_db_pair.pause_replica()
    try:
        renamed = await staff.patch(f"/api/v1/catalog/products/{slug}",
                                    json={"name": "Crème Matte Lipstick — Festive Edit"})
        assert renamed.status_code == 200, renamed.text
        assert "orchid_ryw" in staff.cookies  # the window travels with the client
        mine = await staff.get("/api/v1/catalog/products", params={"sort": "newest",
                                                                   "limit": 100})
        names = {p["slug"]: p["name"] for p in mine.json()["items"]}
        assert names[slug].endswith("Festive Edit")
        async with client(app) as shopper:
            # The watcher sees the stopped applier and routes everyone to the primary.
            resources = app.state.resources
            await resources.main_db.check_replicas()
            assert resources.main_db.replicas[0].lagging
            theirs = await shopper.get("/api/v1/catalog/products", params={"sort": "newest",
                                                                            "limit": 100})
            names = {p["slug"]: p["name"] for p in theirs.json()["items"]}
            assert names[slug].endswith("Festive Edit")  # not the stale replica's answer
            assert "orchid_ryw" not in shopper.cookies
    finally:
        main_db_pair.resume_replica()
        main_db_pair.wait_replicated()


async def test_redis_down_still_answers_200(app: FastAPI, staff: httpx.AsyncClient,
                                            main_db_pair: MariaDBPair,
                                            redis_server: Redis) -> None:
    slug = await make_product(staff)
    main_db_pair.wait_replicated()
    errors = sample("orchid_cache_requests_total", cache="catalog", result="error")
    redis_server.stop()
    try:
        async with client(app) as shopper:
            for path in (f"/api/v1/catalog/products/{slug}", "/api/v1/catalog/products",
                         "/api/v1/catalog/categories", "/api/v1/catalog/brands"):
                response = await shopper.get(path)
                assert response.status_code == 200, (path, response.text)
            ready = await shopper.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["redis"] == "down"
            metrics = (await shopper.get("/metrics")).text
        assert 'orchid_cache_requests_total{cache="catalog",result="error"}' in metrics
        # Counted by this outage (one miss, then the store is left alone for redis_retry).
        assert sample("orchid_cache_requests_total", cache="catalog", result="error") > errors
    finally:
        redis_server.start_again()


async def test_readyz_reports_every_dependency(app: FastAPI) -> None:
    async with client(app) as c:
        ready = await c.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"main_db": "ok", "warehouse_db": "ok", "redis": "ok"}


def test_migrations_created_the_tables_on_the_replica_too(main_db_pair: MariaDBPair,
                                                          server_settings: Settings) -> None:
    del server_settings
    tables = {row[0] for row in main_db_pair.replicas[0].sql("SHOW TABLES", "orchid_main")}
    assert {"products", "product_variants", "brands", "categories", "customers"} <= tables


def test_data_dir_is_unused_with_servers(server_settings: Settings) -> None:
    assert not (Path(server_settings.data_dir) / "main.db").exists()
