"""Upstream keep-alive, passive health checks, and retries for idempotent requests only."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.edge.echo import EchoServer
from tests.edge.running import BROWSER, EdgeFactory
from tests.support.ports import refusing_address


@pytest.fixture
def good_and_failing() -> Iterator[tuple[EchoServer, EchoServer]]:
    good, failing = EchoServer(), EchoServer(status=503)
    yield good, failing
    good.stop()
    failing.stop()


def _call(url: str, method: str) -> int:
    return httpx.request(method, url, json={}, headers=BROWSER).status_code


def test_get_is_retried_on_another_server_and_post_is_not(
        start_edge: EdgeFactory, good_and_failing: tuple[EchoServer, EchoServer]) -> None:
    good, failing = good_and_failing
    edge = start_edge(upstreams={"app": [failing.address, good.address]}, max_fails=0,
                      waf=False)
    url = f"{edge.url}/api/v1/catalog/brands"
    gets = [_call(url, "GET") for _ in range(4)]
    posts = [_call(url, "POST") for _ in range(4)]
    assert gets == [200] * 4
    assert posts.count(503) == 2 and posts.count(200) == 2  # a POST that reached a server stays
    assert [s.method for s in failing.seen].count("POST") == 2


def test_any_request_moves_on_when_a_server_refuses_connections(
        start_edge: EdgeFactory, good_and_failing: tuple[EchoServer, EchoServer]) -> None:
    good, _ = good_and_failing
    with refusing_address() as dead:
        edge = start_edge(upstreams={"app": [dead, good.address]}, max_fails=0, waf=False)
        url = f"{edge.url}/api/v1/cart/items"
        assert [_call(url, "POST") for _ in range(4)] == [200] * 4  # never sent: safe to resend


def test_a_failing_server_is_taken_out_of_rotation(
        start_edge: EdgeFactory, good_and_failing: tuple[EchoServer, EchoServer]) -> None:
    good, failing = good_and_failing
    edge = start_edge(upstreams={"app": [failing.address, good.address]}, max_fails=1,
                      fail_timeout=30, waf=False)
    url = f"{edge.url}/api/v1/catalog/brands"
    statuses = [_call(url, method) for method in ("GET", "POST", "POST", "POST", "POST")]
    assert statuses == [200] * 5
    assert len(failing.seen) == 1  # one failure, then 30 s out of rotation


def test_upstream_connections_are_kept_alive(start_edge: EdgeFactory,
                                             good_and_failing: tuple[EchoServer, EchoServer]
                                             ) -> None:
    good, _ = good_and_failing
    edge = start_edge(upstreams={"app": [good.address]}, waf=False)
    for _ in range(6):
        assert _call(f"{edge.url}/api/v1/catalog/brands", "GET") == 200
    assert len({seen.peer_port for seen in good.seen}) == 1
