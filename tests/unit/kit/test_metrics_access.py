"""/metrics answers the scrape network only, straight from it: anyone else, and anything that came
through a proxy (whatever address it claims), gets 403 problem+json."""

from __future__ import annotations

from ipaddress import ip_network

import httpx
import pytest
from fastapi import FastAPI

from orchid.config import Settings
from orchid.kit.errors import install_error_handlers
from orchid.kit.observability import Network, health_router
from tests.support.problems import assert_problem


def make_app(networks: list[Network] | None = None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    if networks is None:
        app.include_router(health_router({}))
    else:
        app.include_router(health_router({}, metrics_networks=networks))
    return app


async def scrape(app: FastAPI, host: str, headers: dict[str, str] | None = None
                 ) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/metrics", headers=headers)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
async def test_loopback_may_scrape_by_default(host: str) -> None:
    response = await scrape(make_app(), host)
    assert response.status_code == 200 and "orchid_http_requests_total" in response.text


@pytest.mark.parametrize("host", ["203.0.113.9", "10.0.0.5", "::2", "testclient"])
async def test_anyone_else_is_refused(host: str) -> None:
    assert_problem(await scrape(make_app(), host), 403, "metrics_forbidden")


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
async def test_a_forwarded_request_is_refused_even_from_loopback(header: str) -> None:
    # What uvicorn made of the header does not matter: a scrape never passes through a proxy.
    value = "for=127.0.0.1" if header == "Forwarded" else "127.0.0.1"
    assert_problem(await scrape(make_app(), "127.0.0.1", {header: value}), 403,
                   "metrics_forbidden")


async def test_the_configured_networks_replace_loopback() -> None:
    app = make_app([ip_network("10.20.0.0/16")])
    assert (await scrape(app, "10.20.3.4")).status_code == 200
    assert_problem(await scrape(app, "127.0.0.1"), 403, "metrics_forbidden")


def test_the_setting_reads_cidrs_and_defaults_to_loopback(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().metrics_allowed_networks == [ip_network("127.0.0.0/8"),
                                                   ip_network("::1/128")]
    monkeypatch.setenv("ORCHID_METRICS_ALLOWED_NETWORKS", "10.20.0.0/16, 192.168.7.0/24")
    assert Settings().metrics_allowed_networks == [ip_network("10.20.0.0/16"),
                                                   ip_network("192.168.7.0/24")]
