"""The edge plan: validation, route lookup and limit arithmetic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchid.edge.plan import EdgePlan, Limit, RateLimits

UPSTREAMS = {"catalog": ["127.0.0.1:8101"], "orders": ["127.0.0.1:8105", "127.0.0.1:8106"]}


def _plan(**overrides: Any) -> EdgePlan:
    settings: dict[str, Any] = {
        "prefix": Path("/tmp/edge"), "http_port": 8080, "upstreams": UPSTREAMS,
        "routes": {"/": "catalog", "/api/v1/checkout": "orders", "/api/v1/orders": "orders"}}
    settings.update(overrides)
    return EdgePlan(**settings)


def test_longest_prefix_wins() -> None:
    plan = _plan()
    assert plan.group_for("/api/v1/checkout") == "orders"
    assert plan.group_for("/api/v1/orders/ORD-1") == "orders"
    assert plan.group_for("/api/v1/catalog/products") == "catalog"
    assert _plan(routes={"/api/v1/orders": "orders"}).group_for("/healthz") is None


@pytest.mark.parametrize("routes", [{"/": "search"}, {"api/v1": "catalog"},
                                    {"/x; return 200": "catalog"}])
def test_routes_must_name_known_groups_and_plain_paths(routes: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        _plan(routes=routes)


def test_upstream_groups_need_plain_names_and_servers() -> None:
    with pytest.raises(ValueError):
        _plan(upstreams={"bad name": ["127.0.0.1:1"]}, routes={})
    with pytest.raises(ValueError):
        _plan(upstreams={"empty": []}, routes={})


@pytest.mark.parametrize(("rate", "seconds"), [("50r/s", 1), ("30r/m", 2), ("1r/m", 60),
                                               ("7r/m", 9)])
def test_retry_after_is_the_wait_for_one_more_request(rate: str, seconds: int) -> None:
    assert Limit(rate, 1).retry_after() == seconds


def test_rates_use_nginx_syntax() -> None:
    with pytest.raises(ValueError):
        Limit("50/s", 1)


def test_stricter_zones_by_path() -> None:
    special = RateLimits().special()
    assert special["/api/v1/accounts/login"][0] == "login"
    assert special["/api/v1/accounts/otp/"][0] == "otp"
    assert special["/api/v1/checkout"][0] == "checkout"
