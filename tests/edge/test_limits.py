"""Per-IP budgets at the edge: 429 with Retry-After, stricter on sign-in, OTP and checkout."""

from __future__ import annotations

import httpx
import pytest

from orchid.edge.plan import Limit, RateLimits
from tests.edge.running import BROWSER, EdgeFactory


@pytest.mark.parametrize(("zone", "method", "path"), [
    ("login", "POST", "/api/v1/accounts/login"),
    ("otp", "POST", "/api/v1/accounts/otp/send"),
    ("checkout", "POST", "/api/v1/checkout"),
])
def test_sensitive_paths_have_a_stricter_zone(start_edge: EdgeFactory, zone: str, method: str,
                                              path: str) -> None:
    limits = RateLimits(**{zone: Limit("1r/m", 1)}, exempt=())  # type: ignore[arg-type]
    edge = start_edge(limits=limits, waf=False)

    def call(client: str) -> httpx.Response:
        return httpx.request(method, f"{edge.url}{path}", json={},
                             headers={**BROWSER, "X-Forwarded-For": client})

    first, second, third = (call("49.36.10.1") for _ in range(3))
    assert first.status_code != 429 and second.status_code != 429
    assert third.status_code == 429
    assert third.headers["retry-after"] == "60"
    assert third.json()["code"] == "rate_limited"
    assert call("106.51.20.2").status_code != 429  # another shopper has their own budget
    assert httpx.get(f"{edge.url}/api/v1/catalog/brands",
                     headers={**BROWSER, "X-Forwarded-For": "49.36.10.1"}).status_code == 200


def test_general_budget_and_loopback_exemption(start_edge: EdgeFactory) -> None:
    edge = start_edge(limits=RateLimits(general=Limit("1r/m", 2)), waf=False)
    shopper = [httpx.get(f"{edge.url}/api/v1/catalog/brands",
                         headers={**BROWSER, "X-Forwarded-For": "49.36.10.1"}).status_code
               for _ in range(4)]
    local = [httpx.get(f"{edge.url}/api/v1/catalog/brands", headers=BROWSER).status_code
             for _ in range(6)]
    assert shopper == [200, 200, 200, 429]
    assert set(local) == {200}  # the stack, probes and benchmarks run from loopback
