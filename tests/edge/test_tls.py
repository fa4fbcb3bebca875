"""TLS termination with a generated certificate, the redirect, and HSTS."""

from __future__ import annotations

import ssl

import httpx

from orchid.stack.servers import free_port
from tests.edge.running import BROWSER, EdgeFactory


def test_https_with_hsts_and_http_redirects_except_health(start_edge: EdgeFactory) -> None:
    edge = start_edge(https_port=free_port())
    port = edge.plan.https_port
    cert = edge.plan.prefix / "tls" / "edge.crt"
    trusted = ssl.create_default_context(cafile=str(cert))
    secure = httpx.get(f"https://127.0.0.1:{port}/api/v1/catalog/products?limit=1",
                       headers=BROWSER, verify=trusted)
    plain = httpx.get(f"{edge.url}/api/v1/catalog/products?limit=1", headers=BROWSER)
    health = httpx.get(f"{edge.url}/healthz", headers=BROWSER)
    assert secure.status_code == 200
    assert secure.headers["strict-transport-security"].startswith("max-age=31536000")
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://127.0.0.1:{port}/api/v1/catalog/products?limit=1"
    assert "strict-transport-security" not in plain.headers
    assert health.status_code == 200


def test_the_app_is_told_the_request_came_over_https(start_edge: EdgeFactory) -> None:
    from tests.edge.echo import EchoServer

    echo = EchoServer()
    try:
        edge = start_edge(https_port=free_port(), upstreams={"app": [echo.address]}, waf=False)
        port = edge.plan.https_port
        trusted = ssl.create_default_context(cafile=str(edge.plan.prefix / "tls" / "edge.crt"))
        httpx.get(f"https://localhost:{port}/api/v1/catalog/brands", headers=BROWSER,
                  verify=trusted)
        assert echo.seen[-1].headers["X-Forwarded-Proto"] == "https"
    finally:
        echo.stop()
