"""India only, from the offline country data; allowlist and denylist overrides; a clear 403."""

from __future__ import annotations

import httpx
import pytest

from orchid.edge.plan import Geo
from tests.edge.running import BROWSER, EdgeFactory, RunningEdge

INDIA = ("49.36.10.1", "106.51.20.2", "2409:4040::1", "2401:4900::1")  # Jio, ACT, Jio, Airtel
ABROAD = ("8.8.8.8", "81.2.69.142", "2001:4860:4860::8888")


def _get(edge: RunningEdge, client: str, path: str = "/api/v1/catalog/products?limit=1",
         **headers: str) -> httpx.Response:
    return httpx.get(f"{edge.url}{path}",
                     headers={**BROWSER, "X-Forwarded-For": client, **headers})


@pytest.mark.parametrize("client", INDIA)
def test_shoppers_in_india_get_in(shop_edge: RunningEdge, client: str) -> None:
    assert _get(shop_edge, client).status_code == 200


@pytest.mark.parametrize("client", ABROAD)
def test_visitors_abroad_get_a_clear_403(shop_edge: RunningEdge, client: str) -> None:
    api = _get(shop_edge, client)
    page = _get(shop_edge, client, "/", Accept="text/html")
    assert api.status_code == 403 and page.status_code == 403
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "geo_blocked"
    assert "India only" in page.text and page.headers["content-type"] == "text/html"
    assert api.headers["x-request-id"]


def test_health_probes_are_never_geo_filtered(shop_edge: RunningEdge) -> None:
    assert _get(shop_edge, "8.8.8.8", "/healthz").status_code == 200


def test_allowlist_lets_in_and_denylist_keeps_out(start_edge: EdgeFactory) -> None:
    edge = start_edge(geo=Geo(allow=("8.8.8.0/24",), deny=("49.36.0.0/16",)), waf=False)
    assert _get(edge, "8.8.8.8").status_code == 200
    assert _get(edge, "8.8.4.4").status_code == 403
    assert _get(edge, "49.36.10.1").status_code == 403
    assert _get(edge, "106.51.20.2").status_code == 200


def test_the_country_list_is_configurable(start_edge: EdgeFactory) -> None:
    edge = start_edge(geo=Geo(countries=("IN", "GB")), waf=False)
    assert _get(edge, "81.2.69.142").status_code == 200
    assert _get(edge, "8.8.8.8").status_code == 403


def test_crawlers_read_public_pages_from_abroad_but_nothing_else(shop_edge: RunningEdge) -> None:
    googlebot = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; "
                               "+http://www.google.com/bot.html)"}
    product_list = _get(shop_edge, "66.249.66.1", **googlebot)
    cart = _get(shop_edge, "66.249.66.1", "/api/v1/cart", **googlebot)
    assert product_list.status_code == 200
    assert cart.status_code == 403 and cart.json()["code"] == "crawler_blocked"
