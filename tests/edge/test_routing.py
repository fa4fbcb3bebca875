"""Routing, forwarded headers, request ids and the internal listener."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from orchid.stack.servers import free_port
from tests.edge.echo import EchoServer
from tests.edge.running import BROWSER, EdgeFactory, RunningEdge
from tests.support.waiting import until


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.stop()


def test_shop_requests_reach_the_app_with_request_id_and_security_headers(
        shop_edge: RunningEdge) -> None:
    answer = httpx.get(f"{shop_edge.url}/api/v1/catalog/products?limit=1",
                       headers={**BROWSER, "X-Request-ID": "shopper-req-0001"})
    assert answer.status_code == 200
    assert answer.json()["items"]
    assert answer.headers.get_list("x-request-id") == ["shopper-req-0001"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert "nginx/" not in answer.headers["server"]  # no version on show


def test_internal_api_and_metrics_are_not_public(shop_edge: RunningEdge) -> None:
    internal = httpx.post(f"{shop_edge.url}/internal/v1/catalog/get_product", json={},
                          headers=BROWSER)
    metrics = httpx.get(f"{shop_edge.url}/metrics", headers=BROWSER)
    assert internal.status_code == 404 and metrics.status_code == 404
    assert "There is nothing at this address" in internal.text


def test_app_gets_the_client_address_and_a_request_id(start_edge: EdgeFactory,
                                                      echo: EchoServer) -> None:
    edge = start_edge(upstreams={"app": [echo.address]}, waf=False)
    # The edge trusts loopback's X-Forwarded-For (a balancer in front); an address the shopper
    # made up further left in the chain is dropped.
    httpx.get(f"{edge.url}/api/v1/catalog/products",
              headers={**BROWSER, "X-Forwarded-For": "6.6.6.6, 49.36.10.1"})
    seen = echo.seen[-1].headers
    assert seen["X-Forwarded-For"] == "49.36.10.1"
    assert seen["X-Forwarded-Proto"] == "http"
    assert len(seen["X-Request-ID"]) == 32  # made by nginx: the client sent none
    assert seen["X-Edge-Bot-Score"] == "0"


def test_without_a_trusted_balancer_the_socket_address_is_forwarded(
        start_edge: EdgeFactory, echo: EchoServer) -> None:
    edge = start_edge(upstreams={"app": [echo.address]}, waf=False, real_ip_from=())
    httpx.get(f"{edge.url}/api/v1/catalog/products",
              headers={**BROWSER, "X-Forwarded-For": "49.36.10.1"})
    assert echo.seen[-1].headers["X-Forwarded-For"] == "127.0.0.1"


def test_internal_listener_routes_by_service_and_nothing_else(
        start_edge: EdgeFactory, echo: EchoServer) -> None:
    edge = start_edge(upstreams={"app": [echo.address], "catalog": [echo.address]},
                      internal_port=free_port(),
                      internal_routes={"/internal/v1/catalog": "catalog"})
    port = edge.plan.internal_port
    inside = httpx.post(f"http://127.0.0.1:{port}/internal/v1/catalog/get_product", json={})
    public_path = httpx.get(f"http://127.0.0.1:{port}/api/v1/catalog/products")
    other = httpx.post(f"http://127.0.0.1:{port}/internal/v1/orders/get", json={})
    assert inside.status_code == 200 and echo.seen[-1].path == "/internal/v1/catalog/get_product"
    assert public_path.status_code == 404 and other.status_code == 404


def test_trace_context_passes_only_the_internal_listener(
        start_edge: EdgeFactory, echo: EchoServer) -> None:
    edge = start_edge(upstreams={"app": [echo.address], "catalog": [echo.address]},
                      internal_port=free_port(), waf=False,
                      internal_routes={"/internal/v1/catalog": "catalog"})
    context = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
               "tracestate": "vendor=x"}
    httpx.get(f"{edge.url}/api/v1/catalog/products", headers={**BROWSER, **context})
    public = echo.seen[-1].headers
    httpx.post(f"http://127.0.0.1:{edge.plan.internal_port}/internal/v1/catalog/get_product",
               json={}, headers=context)
    internal = echo.seen[-1].headers
    assert "traceparent" not in public and "tracestate" not in public
    assert internal["traceparent"] == context["traceparent"]
    assert internal["tracestate"] == "vendor=x"


def test_longest_route_prefix_wins(start_edge: EdgeFactory) -> None:
    shop, checkout = EchoServer(), EchoServer()
    try:
        edge = start_edge(upstreams={"shop": [shop.address], "orders": [checkout.address]},
                          routes={"/": "shop", "/api/v1/checkout": "orders"}, waf=False)
        httpx.post(f"{edge.url}/api/v1/checkout", json={}, headers=BROWSER)
        httpx.get(f"{edge.url}/api/v1/catalog/products", headers=BROWSER)
        assert [s.path for s in checkout.seen] == ["/api/v1/checkout"]
        assert [s.path for s in shop.seen] == ["/api/v1/catalog/products"]
    finally:
        shop.stop()
        checkout.stop()


def test_the_microcache_keeps_what_the_app_made_public_and_nothing_signed_in(
        start_edge: EdgeFactory) -> None:
    public = EchoServer(headers={"Cache-Control": "public, max-age=30"})
    private = EchoServer(headers={"Cache-Control": "private, no-cache"})
    try:
        edge = start_edge(upstreams={"app": [public.address], "pages": [private.address]},
                          routes={"/api/": "app", "/": "pages"}, waf=False)
        for _ in range(3):
            assert httpx.get(f"{edge.url}/api/v1/catalog/products/kajal",
                             headers=BROWSER).status_code == 200
        assert len(public.seen) == 1  # two of three from the edge's cache
        signed_in = [{"Authorization": "Bearer token-1"}, {"Cookie": "orchid_session=s1"}]
        for extra in signed_in:
            httpx.get(f"{edge.url}/api/v1/catalog/products/kajal", headers={**BROWSER, **extra})
        assert len(public.seen) == 3  # a request with a session always reaches the app
        for _ in range(2):
            httpx.get(f"{edge.url}/account", headers=BROWSER)
        assert len(private.seen) == 2  # the app said private: never kept
        until(lambda: len(edge.access_log()) == 7, timeout=10, what="7 lines logged")
        statuses = [json.loads(line)["cache"] for line in edge.access_log()]
        assert statuses.count("HIT") == 2 and statuses.count("BYPASS") == 2
    finally:
        public.stop()
        private.stop()
