"""A function's own process: its calls need a service-account identity token for its URL, of
a caller on its list (401/403 as problem+json otherwise); an admitted CloudEvent reaches the
function, which acts on it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cloudevents.conversion import to_structured
from fastapi import FastAPI

from orchid.functions.client import FunctionClient
from orchid.functions.host import function_app, functions
from orchid.functions.runtime import (
    EVENTS_CALLER,
    cloud_event_of,
    context,
    service_account_email,
)
from orchid.kit.identity import ServiceAccount, mint, write_public_keys
from orchid.kit.outbox import Event
from orchid.platform import Resources
from orchid.services.catalog.service import LISTINGS_KEY, product_key
from orchid.services.storefront.service import SHELVES_KEY
from tests.conftest import embedded_settings

URL = "http://127.0.0.1:8301/"


@pytest.fixture(scope="module")
def accounts() -> dict[str, ServiceAccount]:
    """The bus's deliverer, a service on the function's list (catalog) and one off it."""
    return {name: ServiceAccount.generate(service_account_email(name))
            for name in (EVENTS_CALLER, "catalog", "payments")}


@pytest.fixture
async def function(data_dir: Path, accounts: dict[str, ServiceAccount]
                   ) -> AsyncIterator[FastAPI]:
    keys = data_dir / "identity" / "public-keys.json"
    write_public_keys(keys, accounts.values())
    settings = embedded_settings(data_dir, function_url=URL, identity_keys_file=keys)
    (cache_invalidation,) = functions(["cache-invalidation"])
    app = function_app(cache_invalidation, settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def http(function: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=function),
                                 base_url=URL) as client:
        yield client


def price_changed(slug: str) -> Event:
    return Event("product.price_changed", "product", "42",
                 {"product_id": 42, "slug": slug, "name": "Kajal", "published": True,
                  "price_paise": 19900, "sku": "KAJAL-1", "variant_price_paise": 19900,
                  "mrp_paise": 24900}, occurred_at=datetime.now(UTC))


async def post(http: httpx.AsyncClient, event: Event, token: str | None) -> httpx.Response:
    headers, body = to_structured(cloud_event_of(event, topic="catalog"))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post("/", content=body, headers=headers)


async def test_an_admitted_event_reaches_the_function(
        function: FastAPI, http: httpx.AsyncClient, accounts: dict[str, ServiceAccount]) -> None:
    cache = function_resources(function).cache("catalog")
    await cache.store.set(f"cache:catalog:{product_key('kajal')}", b"stale")
    await cache.store.set(f"cache:catalog:{LISTINGS_KEY}", b'"generation-1"')
    await cache.store.set(f"cache:storefront:{SHELVES_KEY}", b'"generation-1"')

    answer = await post(http, price_changed("kajal"),
                        mint(accounts[EVENTS_CALLER], audience=URL))

    assert answer.status_code == 200, answer.text
    assert await cache.store.get(f"cache:catalog:{product_key('kajal')}") is None
    assert await cache.store.get(f"cache:catalog:{LISTINGS_KEY}") is None  # every listing page
    assert await cache.store.get(f"cache:storefront:{SHELVES_KEY}") is None  # the home shelves


async def test_a_service_calls_through_the_client(
        function: FastAPI, http: httpx.AsyncClient, accounts: dict[str, ServiceAccount]) -> None:
    cache = function_resources(function).cache("catalog")
    await cache.store.set(f"cache:catalog:{product_key('kohl')}", b"stale")
    client = FunctionClient(http, accounts["catalog"], {"cache-invalidation": URL})

    answer = await client.call("cache-invalidation",
                               cloud_event_of(price_changed("kohl"), topic="catalog"))

    assert answer.status_code == 200, answer.text
    assert await cache.store.get(f"cache:catalog:{product_key('kohl')}") is None


@pytest.mark.parametrize(("case", "status", "code"), [
    ("no token", 401, "identity_token_missing"),
    ("not a token", 401, "identity_token_invalid"),
    ("expired", 401, "identity_token_invalid"),
    ("other audience", 401, "identity_token_invalid"),
    ("unknown key", 401, "identity_token_invalid"),
    ("caller not allowed", 403, "caller_not_allowed"),
])
async def test_a_call_without_a_valid_token_is_refused(
        function: FastAPI, http: httpx.AsyncClient, accounts: dict[str, ServiceAccount],
        case: str, status: int, code: str) -> None:
    cache = function_resources(function).cache("catalog")
    key = f"cache:catalog:{product_key('kajal')}"
    await cache.store.set(key, b"kept")
    events = accounts[EVENTS_CALLER]
    token = {
        "no token": None,
        "not a token": "not-a-jwt",
        "expired": mint(events, audience=URL, now=time.time() - 3600),
        "other audience": mint(events, audience="http://127.0.0.1:9999/"),
        "unknown key": mint(ServiceAccount.generate(events.email), audience=URL),
        "caller not allowed": mint(accounts["payments"], audience=URL),
    }[case]

    answer = await post(http, price_changed("kajal"), token)

    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code
    assert await cache.store.get(key) == b"kept"  # the function never ran


async def test_health_and_metrics_need_no_token(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).status_code == 200


def function_resources(app: FastAPI) -> Resources:
    """The resources of the started function's host."""
    del app  # started: its context is the current host
    return context().resources
