"""Inventory HTTP API on the embedded app: availability, staff stock management, bad input."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

from orchid.kit.callers import Credential
from orchid.kit.errors import Conflict
from orchid.kit.placement import RemoteService
from orchid.services.inventory.schemas import ReserveLine
from orchid.services.inventory.service import InventoryService
from orchid.services.orders import peers as orders_peers
from tests.conftest import STAFF_PASSWORD, Apart
from tests.support.problems import assert_problem
from tests.support.stack import caller_keys

BASE = "/api/v1/inventory"
Headers = dict[str, str]
BLR = {"code": "BLR-1", "name": "Bengaluru FC", "city": "Bengaluru", "pincode": "560001"}


@pytest.fixture
async def stocked(api: httpx.AsyncClient, staff_headers: Headers) -> Headers:
    """Create BLR-1 and stock two SKUs through the API; return the staff headers."""
    response = await api.post(f"{BASE}/warehouses", json=BLR, headers=staff_headers)
    assert response.status_code == 201, response.text
    for sku, quantity in (("KAJAL-1", 5), ("LIP-1", 2)):
        response = await api.post(f"{BASE}/restock", headers=staff_headers, json={
            "warehouse_code": "BLR-1", "sku": sku, "quantity": quantity, "note": "PO-77"})
        assert response.status_code == 200, response.text
    return staff_headers


async def customer_headers(app: FastAPI, api: httpx.AsyncClient) -> Headers:
    """Authorization header of a logged-in customer."""
    await app.state.services.accounts.create_user(
        email="priya@orchid.test", password=STAFF_PASSWORD, name="Priya", role="customer")
    response = await api.post("/api/v1/accounts/login",
                              json={"email": "priya@orchid.test", "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text
    api.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_availability_is_public(api: httpx.AsyncClient, stocked: Headers,
                                      app: FastAPI) -> None:
    await app.state.services.inventory.reserve(
        key="chk_api", lines=[ReserveLine(sku="LIP-1", quantity=2)])
    response = await api.get(f"{BASE}/availability", params={"skus": "KAJAL-1,LIP-1,NONE-1"})
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"sku": "KAJAL-1", "available": 5, "in_stock": True},
        {"sku": "LIP-1", "available": 0, "in_stock": False},
        {"sku": "NONE-1", "available": 0, "in_stock": False}]
    repeated = await api.get(f"{BASE}/availability", params=[("skus", "KAJAL-1"),
                                                             ("skus", "LIP-1")])
    assert [a["sku"] for a in repeated.json()] == ["KAJAL-1", "LIP-1"]


@pytest.mark.parametrize("params", [
    {}, {"skus": ""}, {"skus": "lower-case"}, {"skus": "A"},
    {"skus": ",".join(f"SKU-{i}" for i in range(101))}])
async def test_availability_refuses_bad_skus(api: httpx.AsyncClient,
                                             params: dict[str, str]) -> None:
    assert_problem(await api.get(f"{BASE}/availability", params=params), 422,
                   "validation_failed")


async def test_staff_manage_warehouses_and_stock(api: httpx.AsyncClient, stocked: Headers,
                                                 app: FastAPI) -> None:
    listed = await api.get(f"{BASE}/warehouses", headers=stocked)
    assert listed.status_code == 200
    assert listed.json() == [BLR | {"active": True}]
    counted = await api.post(f"{BASE}/adjust", headers=stocked, json={
        "warehouse_code": "BLR-1", "sku": "KAJAL-1", "on_hand": 3, "note": "damaged 2"})
    assert counted.status_code == 200, counted.text
    assert counted.json() == {"warehouse_code": "BLR-1", "sku": "KAJAL-1", "on_hand": 3,
                              "reserved": 0, "available": 3}
    trail = await api.get(f"{BASE}/movements", params={"sku": "KAJAL-1"}, headers=stocked)
    assert trail.status_code == 200
    staff_id = (await app.state.services.accounts.authenticate(
        token=stocked["Authorization"].removeprefix("Bearer "))).customer_id
    assert [(m["kind"], m["delta_on_hand"], m["reference"], m["actor"]) for m in trail.json()] == [
        ("adjust", -2, "damaged 2", staff_id), ("restock", 5, "PO-77", staff_id)]
    one = await api.get(f"{BASE}/movements", params={"sku": "KAJAL-1", "limit": 1},
                        headers=stocked)
    assert len(one.json()) == 1


async def test_staff_errors_are_problems(api: httpx.AsyncClient, stocked: Headers,
                                         app: FastAPI) -> None:
    assert_problem(await api.post(f"{BASE}/warehouses", json=BLR, headers=stocked), 409,
                   "duplicate_warehouse")
    missing = {"warehouse_code": "XYZ-1", "sku": "KAJAL-1", "quantity": 1}
    assert_problem(await api.post(f"{BASE}/restock", json=missing, headers=stocked), 404,
                   "warehouse_not_found")
    await app.state.services.inventory.reserve(
        key="chk_hold", lines=[ReserveLine(sku="KAJAL-1", quantity=4)])
    below = {"warehouse_code": "BLR-1", "sku": "KAJAL-1", "on_hand": 3, "note": "count"}
    body = assert_problem(await api.post(f"{BASE}/adjust", json=below, headers=stocked), 409,
                          "below_reserved")
    assert body["reserved"] == 4


@pytest.mark.parametrize("path, payload", [
    ("warehouses", BLR | {"pincode": "012345"}), ("warehouses", BLR | {"code": "blr 1"}),
    ("warehouses", BLR | {"extra": True}), ("warehouses", {"code": "BLR-2"}),
    ("restock", {"warehouse_code": "BLR-1", "sku": "KAJAL-1", "quantity": 0}),
    ("restock", {"warehouse_code": "BLR-1", "sku": "KAJAL-1", "quantity": "many"}),
    ("restock", {"warehouse_code": "BLR-1", "sku": "kajal", "quantity": 1}),
    ("adjust", {"warehouse_code": "BLR-1", "sku": "KAJAL-1", "on_hand": -1, "note": "x"}),
    ("adjust", {"warehouse_code": "BLR-1", "sku": "KAJAL-1", "on_hand": 1}),
])
async def test_staff_writes_refuse_bad_bodies(api: httpx.AsyncClient, staff_headers: Headers,
                                              path: str, payload: dict[str, Any]) -> None:
    assert_problem(await api.post(f"{BASE}/{path}", json=payload, headers=staff_headers), 422,
                   "validation_failed")


async def test_movements_refuse_bad_queries(api: httpx.AsyncClient,
                                            staff_headers: Headers) -> None:
    queries: list[dict[str, str | int]] = [{}, {"sku": "x"}, {"sku": "KAJAL-1", "limit": 501}]
    for params in queries:
        assert_problem(await api.get(f"{BASE}/movements", params=params, headers=staff_headers),
                       422, "validation_failed")


STAFF_ROUTES = [("GET", "warehouses", None), ("POST", "warehouses", BLR),
                ("POST", "restock", {"warehouse_code": "BLR-1", "sku": "KAJAL-1",
                                     "quantity": 1}),
                ("POST", "adjust", {"warehouse_code": "BLR-1", "sku": "KAJAL-1", "on_hand": 1,
                                    "note": "x"}),
                ("GET", "movements?sku=KAJAL-1", None)]


@pytest.mark.parametrize("method, path, payload", STAFF_ROUTES)
async def test_staff_routes_need_staff(api: httpx.AsyncClient, app: FastAPI, method: str,
                                       path: str, payload: dict[str, Any] | None) -> None:
    url = f"{BASE}/{path}"
    assert_problem(await api.request(method, url, json=payload), 401)
    headers = await customer_headers(app, api)
    assert_problem(await api.request(method, url, json=payload, headers=headers), 403)


async def test_reservations_are_not_public_routes(api: httpx.AsyncClient) -> None:
    for path in ("reserve", "allocate", "release", "expire_reservations"):
        assert (await api.post(f"{BASE}/{path}", json={})).status_code in (404, 405)


async def test_reservations_work_through_the_remote_interface(stocked: Headers,
                                                              apart: Apart) -> None:
    # What checkout sees when inventory runs in another process: same types, same error codes.
    remote = cast(orders_peers.Inventory, RemoteService(
        orders_peers.Inventory, "inventory", "http://apart", await apart(["inventory"]),
        interface=InventoryService, credential=Credential("orders", caller_keys()["orders"])))
    held = await remote.reserve(key="chk_remote", lines=[ReserveLine(sku="KAJAL-1", quantity=2)])
    assert held.status == "active" and held.lines[0].warehouse_code == "BLR-1"
    with pytest.raises(Conflict) as caught:
        await remote.reserve(key="chk_other", lines=[ReserveLine(sku="LIP-1", quantity=3)])
    assert caught.value.code == "out_of_stock" and caught.value.data["skus"] == ["LIP-1"]
    assert (await remote.allocate(key="chk_remote")).status == "allocated"
    assert await remote.release(key="chk_unknown", reason="none") is None
    assert await remote.expire_reservations() == []
