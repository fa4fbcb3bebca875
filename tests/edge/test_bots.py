"""Scanners are refused; scripted clients that lack browser headers get a smaller budget."""

from __future__ import annotations

import httpx

from orchid.edge.plan import Limit, RateLimits
from tests.edge.running import BROWSER, EdgeFactory, RunningEdge

SCRIPTED = {"User-Agent": "curl/8.5.0", "Accept": "*/*"}  # a tool, no language: score 3


def test_scanners_are_refused_even_on_static_paths(shop_edge: RunningEdge) -> None:
    for path in ("/api/v1/catalog/products", "/static/app.js"):
        answer = httpx.get(f"{shop_edge.url}{path}", headers={"User-Agent": "sqlmap/1.7.2"})
        assert answer.status_code == 403
    assert answer.text.count("security scanner") == 1


def test_suspicious_clients_are_throttled_and_browsers_are_not(start_edge: EdgeFactory) -> None:
    limits = RateLimits(suspect=Limit("1r/m", 2), exempt=())
    edge = start_edge(limits=limits, waf=False)
    scripted = [httpx.get(f"{edge.url}/api/v1/catalog/brands",
                          headers={**SCRIPTED, "X-Forwarded-For": "49.36.10.1"})
                for _ in range(5)]
    browser = [httpx.get(f"{edge.url}/api/v1/catalog/brands",
                         headers={**BROWSER, "X-Forwarded-For": "49.36.10.2"})
               for _ in range(5)]
    assert [r.status_code for r in scripted] == [200, 200, 200, 429, 429]
    assert scripted[-1].headers["retry-after"] == "60"  # the longest wait of the budgets
    assert {r.status_code for r in browser} == {200}


def test_crawlers_have_their_own_budget(start_edge: EdgeFactory) -> None:
    edge = start_edge(limits=RateLimits(crawler=Limit("1r/m", 1), exempt=()), waf=False)
    bingbot = {"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0; "
                             "+http://www.bing.com/bingbot.htm)", "X-Forwarded-For": "40.77.167.1"}
    statuses = [httpx.get(f"{edge.url}/api/v1/catalog/brands", headers=bingbot).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
