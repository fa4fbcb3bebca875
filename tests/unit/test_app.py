"""The assembled embedded app: documentation, health, metrics, placement."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from orchid.app import create_app
from orchid.kit.placement import PeerUnavailable, Unplaced
from tests.conftest import embedded_settings
from tests.support.metrics import sample
from tests.support.stack import split_overrides


async def test_openapi_lists_every_public_endpoint(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    expected = {
        "/api/v1/catalog/products", "/api/v1/catalog/products/{slug}",
        "/api/v1/catalog/categories", "/api/v1/catalog/brands",
        "/api/v1/catalog/variants/{sku}/price", "/api/v1/catalog/products/{slug}/publish",
        "/api/v1/catalog/products/{slug}/unpublish",
        "/api/v1/accounts/register", "/api/v1/accounts/login", "/api/v1/accounts/logout",
        "/api/v1/accounts/me", "/api/v1/accounts/otp/send", "/api/v1/accounts/otp/verify",
        "/api/v1/accounts/me/addresses",
    }
    assert expected <= set(paths)
    assert not any(p.startswith("/internal") for p in paths)
    assert (await api.get("/docs")).status_code == 200


async def test_health_and_readiness(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"main_db": "ok", "warehouse_db": "ok"}


async def test_metrics_name_the_db_node(api: httpx.AsyncClient) -> None:
    primary = {"database": "main", "node": "primary", "role": "primary"}
    before = sample("orchid_db_sessions_total", **primary)
    await api.get("/api/v1/catalog/brands")
    text = (await api.get("/metrics")).text
    assert sample("orchid_db_sessions_total", **primary) > before  # this request, not another
    assert 'orchid_db_sessions_total{database="main",node="primary",role="primary"}' in text
    assert 'route="/api/v1/catalog/brands"' in text


async def test_a_subset_process_serves_only_its_routes(data_dir: Path) -> None:
    app: FastAPI = create_app(embedded_settings(data_dir, services=["catalog"],
                                                **split_overrides()))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            assert (await c.get("/api/v1/catalog/brands")).status_code == 200
            assert (await c.post("/api/v1/accounts/login", json={})).status_code == 404
        accounts = app.state.authenticator
        assert isinstance(accounts, Unplaced)
        with pytest.raises(PeerUnavailable, match="ORCHID_PEER_URLS"):
            await accounts.authenticate(token="x")


@pytest.mark.parametrize(("services", "checked"), [
    (["storefront"], {}),
    (["inventory"], {"warehouse_db": "ok"}),
    (["catalog", "orders"], {"main_db": "ok"}),  # no Redis configured: nothing to ask
])
async def test_readiness_asks_only_the_stores_of_the_services_placed_here(
        data_dir: Path, services: list[str], checked: dict[str, str]) -> None:
    app: FastAPI = create_app(embedded_settings(data_dir, services=services,
                                                **split_overrides()))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            ready = await c.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == checked


async def test_oversized_bodies_are_refused_before_parsing(api: httpx.AsyncClient,
                                                           staff_headers: dict[str, str]) -> None:
    huge = b'{"slug": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    for path in ("/api/v1/catalog/products", "/api/v1/accounts/register"):
        response = await api.post(path, content=huge, headers={
            **staff_headers, "content-type": "application/json"})
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
