"""The management host: only from its address allowlist, only with a staff credential."""

from __future__ import annotations

import httpx

from tests.edge.conftest import STAFF_EMAIL, STAFF_PASSWORD
from tests.edge.running import BROWSER, RunningEdge

MANAGE = {**BROWSER, "Host": "manage.orchid.localhost"}


def test_staff_sign_in_and_read_orders_on_the_management_host(shop_edge: RunningEdge) -> None:
    login = httpx.post(f"{shop_edge.url}/api/v1/accounts/login", headers=MANAGE,
                       json={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    orders = httpx.get(f"{shop_edge.url}/api/v1/admin/orders",
                       headers={**MANAGE, "Authorization": f"Bearer {token}"})
    assert orders.status_code == 200, orders.text


def test_no_credential_no_entry(shop_edge: RunningEdge) -> None:
    answer = httpx.get(f"{shop_edge.url}/api/v1/admin/orders", headers=MANAGE)
    assert answer.status_code == 401 and answer.json()["code"] == "staff_sign_in"


def test_a_customer_credential_is_refused_by_the_app(shop_edge: RunningEdge) -> None:
    answer = httpx.get(f"{shop_edge.url}/api/v1/admin/orders",
                       headers={**MANAGE, "Authorization": "Bearer not-a-staff-token"})
    assert answer.status_code == 401 and answer.json().get("code") != "staff_sign_in"


def test_only_from_the_allowlist(shop_edge: RunningEdge) -> None:
    answer = httpx.get(f"{shop_edge.url}/api/v1/admin/orders",
                       headers={**MANAGE, "X-Forwarded-For": "49.36.10.1",
                                "Authorization": "Bearer anything"})
    assert answer.status_code == 403 and answer.json()["code"] == "manage_network"


def test_management_api_is_not_on_the_shop_host(shop_edge: RunningEdge) -> None:
    for path in ("/api/v1/admin/orders", "/api/v1/accounts/admin/customers/1"):
        answer = httpx.get(f"{shop_edge.url}{path}", headers={**BROWSER,
                                                              "Authorization": "Bearer x"})
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
