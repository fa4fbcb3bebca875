"""Every error is problem+json, with a request id, and never a stack trace."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from orchid.kit.errors import Conflict, RateLimited, install_error_handlers
from orchid.kit.observability import RequestContextMiddleware, health_router
from tests.support.metrics import sample


class Body(BaseModel):
    quantity: int


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=1000)

    async def ready() -> bool:
        return True

    async def broken() -> bool:
        raise RuntimeError("boom")

    app.include_router(health_router({"db": ready}))

    @app.post("/items")
    async def create(body: Body) -> dict[str, int]:
        return {"quantity": body.quantity}

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("sku taken", code="sku_taken", sku="ORC-1")

    @app.get("/limited")
    async def limited() -> None:
        raise RateLimited(retry_after=30)

    @app.get("/crash")
    async def crash() -> None:
        raise ZeroDivisionError("secret internals")

    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_validation_error_names_the_field() -> None:
    async with client(make_app()) as c:
        r = await c.post("/items", json={"quantity": "many"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "body.quantity"


async def test_domain_error_carries_code_and_data() -> None:
    async with client(make_app()) as c:
        r = await c.get("/conflict")
    assert r.status_code == 409
    assert r.json()["code"] == "sku_taken" and r.json()["sku"] == "ORC-1"


async def test_rate_limited_sets_retry_after() -> None:
    async with client(make_app()) as c:
        r = await c.get("/limited")
    assert r.status_code == 429 and r.headers["retry-after"] == "30"


async def test_unexpected_error_is_a_generic_500_without_internals() -> None:
    async with client(make_app()) as c:
        r = await c.get("/crash", headers={"X-Request-ID": "req-123"})
    assert r.status_code == 500
    assert "secret internals" not in r.text and "Traceback" not in r.text
    assert r.json()["request_id"] == "req-123"


async def test_unknown_route_is_problem_404() -> None:
    async with client(make_app()) as c:
        r = await c.get("/nope")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_request_id_is_echoed_or_made() -> None:
    async with client(make_app()) as c:
        given = await c.get("/healthz", headers={"X-Request-ID": "abc-1"})
        made = await c.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert given.headers["x-request-id"] == "abc-1"
    assert len(made.headers["x-request-id"]) == 32


async def test_oversized_bodies_are_413() -> None:
    async with client(make_app()) as c:
        declared = await c.post("/items", content=b"x" * 2000,
                                headers={"content-type": "application/json"})

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):
                yield b"x" * 400

        chunked = await c.post("/items", content=chunks(),
                               headers={"content-type": "application/json"})
    assert declared.status_code == 413 and chunked.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"


async def test_metrics_count_routes() -> None:
    series = {"method": "GET", "route": "/conflict", "status": "409"}
    before = sample("orchid_http_requests_total", **series)  # an earlier test may have counted
    async with client(make_app()) as c:
        await c.get("/conflict")
        text = (await c.get("/metrics")).text
    assert 'orchid_http_requests_total{method="GET",route="/conflict",status="409"}' in text
    assert sample("orchid_http_requests_total", **series) == before + 1


async def test_error_data_cannot_clobber_standard_members() -> None:
    app = make_app()

    @app.get("/clash")
    async def clash() -> None:
        raise Conflict("busy", code="stock_busy", status="held", detail_hint="x")

    async with client(app) as c:
        r = await c.get("/clash")
    assert r.status_code == 409
    assert r.json()["status"] == 409 and r.json()["data_status"] == "held"
