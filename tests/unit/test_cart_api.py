"""Cart HTTP API on the embedded app: guest cookie, merge at sign-in, bad input, privacy."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from orchid.services.registry import Services
from tests.support.problems import assert_problem
from tests.unit.cart_factories import KAJAL, KOHL, stock_kajal
from tests.unit.catalog_factories import product_create

BASE = "/api/v1/cart"
Headers = dict[str, str]


@pytest.fixture
async def seeded(app: FastAPI) -> Services:
    """The app's services with a kajal in two shades, twenty of each in stock."""
    return await stock_kajal(app.state.services, quantity=20)


def cart_cookie(response: httpx.Response) -> str | None:
    """Return the Set-Cookie header of the cart cookie, if the response set one."""
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith("orchid_cart=")]
    assert len(found) <= 1, found
    return found[0] if found else None


async def sign_up(api: httpx.AsyncClient, email: str) -> tuple[Headers, str]:
    """Register a customer; return their bearer header and public id (cookie jar emptied)."""
    response = await api.post("/api/v1/accounts/register",
                              json={"email": email, "password": "kajal-and-kohl", "name": "Asha"})
    assert response.status_code == 201, response.text
    api.cookies.clear()
    body = response.json()
    return {"Authorization": f"Bearer {body['token']}"}, body["customer"]["public_id"]


def lines(body: dict[str, Any]) -> list[tuple[str, int]]:
    """Return (sku, quantity) of each line of a cart body."""
    return [(line["sku"], line["quantity"]) for line in body["lines"]]


async def test_guest_cart_lives_in_a_cookie(api: httpx.AsyncClient, seeded: Services) -> None:
    empty = await api.get(BASE)
    assert empty.status_code == 200 and empty.json()["lines"] == []
    assert cart_cookie(empty) is None  # no cookie until the first add
    assert empty.headers["cache-control"] == "no-store"
    added = await api.post(f"{BASE}/items", json={"sku": KAJAL, "quantity": 2})
    assert added.status_code == 201, added.text
    cookie = cart_cookie(added)
    assert cookie is not None
    assert all(part in cookie.lower() for part in ("httponly", "samesite=lax", "max-age=2592000"))
    assert "secure" not in cookie.lower().replace("samesite", "")
    again = await api.post(f"{BASE}/items", json={"sku": KAJAL, "quantity": 1})
    assert again.status_code == 200 and lines(again.json()) == [(KAJAL, 3)]
    patched = await api.patch(f"{BASE}/items/{KAJAL}", json={"quantity": 5})
    assert patched.status_code == 200 and patched.json()["subtotal_paise"] == 5 * 49900
    assert "id" not in patched.json()  # the guest id is a secret kept in the HttpOnly cookie
    await api.post(f"{BASE}/items", json={"sku": KOHL})
    removed = await api.delete(f"{BASE}/items/{KAJAL}")
    assert lines(removed.json()) == [(KOHL, 1)]
    assert lines((await api.get(BASE)).json()) == [(KOHL, 1)]
    assert (await api.delete(BASE)).json()["item_count"] == 0
    assert (await api.get(BASE)).json()["lines"] == []


async def test_sign_in_merges_the_guest_cart(api: httpx.AsyncClient, seeded: Services) -> None:
    headers, customer_id = await sign_up(api, "asha@example.in")
    await api.post(f"{BASE}/items", json={"sku": KAJAL, "quantity": 2}, headers=headers)
    await api.post(f"{BASE}/items", json={"sku": KAJAL, "quantity": 9})  # a guest now
    await api.post(f"{BASE}/items", json={"sku": KOHL, "quantity": 1})
    guest_id = api.cookies["orchid_cart"]
    merged = await api.get(BASE, headers=headers)
    assert merged.status_code == 200
    assert lines(merged.json()) == [(KAJAL, 10), (KOHL, 1)]
    assert any("at most 10" in notice for notice in merged.json()["notices"])
    assert cart_cookie(merged) is not None and "max-age=0" in str(cart_cookie(merged)).lower()
    assert "orchid_cart" not in api.cookies
    assert await seeded.cart.get_lines(cart_id=guest_id) == []
    stored = await seeded.cart.get_lines(cart_id=f"c:{customer_id}")
    assert [(line.sku, line.quantity) for line in stored] == [(KAJAL, 10), (KOHL, 1)]


async def test_another_customers_cart_is_unreachable(api: httpx.AsyncClient,
                                                     seeded: Services) -> None:
    asha, asha_id = await sign_up(api, "asha@example.in")
    ravi, _ = await sign_up(api, "ravi@example.in")
    await api.post(f"{BASE}/items", json={"sku": KAJAL, "quantity": 3}, headers=asha)
    # Naming Asha's cart in the cookie (as a guest, or signed in as Ravi) reaches nothing.
    for headers in ({}, ravi):
        forged = {**headers, "Cookie": f"orchid_cart=c:{asha_id}"}
        assert (await api.get(BASE, headers=forged)).json()["lines"] == []
        assert (await api.delete(BASE, headers=forged)).status_code == 200
    mine = await api.get(BASE, headers=asha)
    assert lines(mine.json()) == [(KAJAL, 3)]
    unknown = await api.get(BASE, headers={"Cookie": "orchid_cart=g:" + "A" * 24})
    assert unknown.json()["lines"] == []  # an unknown guest id is just an empty cart


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), [
    ("post", "/items", {"sku": KAJAL, "quantity": 0}, 422, "validation_failed"),
    ("post", "/items", {"sku": KAJAL, "quantity": 11}, 422, "validation_failed"),
    ("post", "/items", {"sku": "kajal-1", "quantity": 1}, 422, "validation_failed"),
    ("post", "/items", {"sku": KAJAL, "quantity": 1, "price_paise": 1}, 422, "validation_failed"),
    ("post", "/items", {"sku": "NO-SUCH-SKU"}, 404, "sku_not_found"),
    ("post", "/items", {"sku": "DRAFT-1"}, 422, "sku_unavailable"),
    ("patch", f"/items/{KAJAL}", {"quantity": 1}, 404, "line_not_found"),
    ("patch", f"/items/{KAJAL}", {"quantity": "many"}, 422, "validation_failed"),
    ("patch", "/items/bad%20sku", {"quantity": 1}, 422, "validation_failed"),
    ("delete", "/items/x", None, 422, "validation_failed"),
])
async def test_bad_input_is_a_problem(api: httpx.AsyncClient, seeded: Services, method: str,
                                      path: str, body: Any, status: int, code: str) -> None:
    await seeded.catalog.create_product(data=product_create("draft", published=False))
    response = await api.request(method.upper(), f"{BASE}{path}", json=body)
    assert_problem(response, status, code)
    assert cart_cookie(response) is None or method == "post"
