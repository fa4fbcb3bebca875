"""Checkout and orders over HTTP on the embedded app: status codes, problems, ownership, paging."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from orchid.services.registry import Services
from tests.support.problems import assert_problem
from tests.unit.orders_factories import (
    CHALLENGE_CARD,
    COD,
    DECLINE_CARD,
    SUCCESS_CARD,
    Shopper,
    add_product,
    fill_cart,
    services_of,
    setup_shop,
    sign_up,
)

CHECKOUT = "/api/v1/checkout"


@pytest.fixture
async def services(app: FastAPI) -> Services:
    found = services_of(app)
    await setup_shop(found)
    return found


async def shopper_with(api: httpx.AsyncClient, services: Services,
                       *lines: tuple[str, int]) -> Shopper:
    """Sign a shopper up and fill their cart."""
    shopper = await sign_up(api)
    await fill_cart(services, shopper, *lines)
    return shopper


async def checkout(api: httpx.AsyncClient, shopper: Shopper, key: str = "key-00001",
                   payment: dict[str, Any] | None = None, **body: Any) -> httpx.Response:
    """POST a checkout for the shopper."""
    return await api.post(CHECKOUT, headers=shopper.checkout_headers(key),
                          json={"address_id": shopper.address_id, "payment": payment or COD}
                          | body)


async def test_cod_checkout_answers_201_and_the_order_is_in_history(
        api: httpx.AsyncClient, services: Services) -> None:
    sku = await add_product(services)
    shopper = await shopper_with(api, services, (sku, 2))
    response = await checkout(api, shopper)
    assert response.status_code == 201, response.text
    body = response.json()
    order = body["order"]
    assert order["status"] == "confirmed" and order["total_paise"] == 59_800
    assert body["payment"]["status"] == "cod_pending"
    assert order["lines"][0]["sku"] == sku and order["address"]["pincode"] == "560001"
    history = await api.get("/api/v1/orders", headers=shopper.auth)
    assert history.status_code == 200
    assert [o["number"] for o in history.json()["items"]] == [order["number"]]
    detail = await api.get(f"/api/v1/orders/{order['number'].lower()}", headers=shopper.auth)
    assert detail.status_code == 200 and detail.json()["number"] == order["number"]
    again = await checkout(api, shopper)
    assert again.status_code == 201 and again.json()["order"]["number"] == order["number"]


async def test_3ds_answers_with_the_next_action(api: httpx.AsyncClient,
                                                services: Services) -> None:
    sku = await add_product(services)
    shopper = await shopper_with(api, services, (sku, 1))
    response = await checkout(api, shopper, payment=CHALLENGE_CARD)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["order"]["status"] == "pending_payment"
    assert body["payment"]["next_action_url"].startswith("/api/v1/payments/sandbox/3ds/")
    assert "card_number" not in response.text and "4000000000003220" not in response.text


async def test_card_success_and_decline(api: httpx.AsyncClient, services: Services) -> None:
    sku = await add_product(services)
    paying = await shopper_with(api, services, (sku, 1))
    paid = await checkout(api, paying, payment=SUCCESS_CARD)
    assert paid.status_code == 201 and paid.json()["order"]["status"] == "confirmed"
    declined_shopper = await shopper_with(api, services, (sku, 1))
    declined = await checkout(api, declined_shopper, payment=DECLINE_CARD)
    body = assert_problem(declined, 402, "payment_declined")
    assert body["decline_code"] == "card_declined" and body["order_number"].startswith("OR-")


async def test_out_of_stock_is_409(api: httpx.AsyncClient, services: Services) -> None:
    sku = await add_product(services, on_hand=1)
    shopper = await shopper_with(api, services, (sku, 2))
    body = assert_problem(await checkout(api, shopper), 409, "out_of_stock")
    assert body["skus"] == [sku]
    assert (await api.get("/api/v1/orders", headers=shopper.auth)).json()["items"] == []


async def test_same_key_other_body_is_409(api: httpx.AsyncClient, services: Services) -> None:
    sku = await add_product(services)
    shopper = await shopper_with(api, services, (sku, 1))
    assert (await checkout(api, shopper)).status_code == 201
    assert_problem(await checkout(api, shopper, payment=SUCCESS_CARD), 409,
                   "idempotency_key_reused")


async def test_concurrent_identical_requests_make_one_order(api: httpx.AsyncClient,
                                                            services: Services) -> None:
    sku = await add_product(services)
    shopper = await shopper_with(api, services, (sku, 1))
    responses = await asyncio.gather(*(checkout(api, shopper, "burst-key") for _ in range(20)))
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["order"]["number"] for r in responses}) == 1


@pytest.mark.parametrize("key", [None, "", "short", "x" * 65, "has space!", "key/12345"])
async def test_idempotency_key_is_required_and_checked(api: httpx.AsyncClient,
                                                       services: Services,
                                                       key: str | None) -> None:
    shopper = await shopper_with(api, services)
    headers = shopper.auth | ({"Idempotency-Key": key} if key is not None else {})
    response = await api.post(CHECKOUT, headers=headers,
                              json={"address_id": shopper.address_id, "payment": COD})
    body = assert_problem(response, 422, "validation_failed")
    assert any("idempotency-key" in e["field"].lower() for e in body["errors"]), body


@pytest.mark.parametrize("body", [
    {}, {"address_id": "a1"}, {"payment": COD},
    {"address_id": "a1", "payment": {"type": "upi"}},
    {"address_id": "a1", "payment": COD, "coupon": "FREE"},
    {"address_id": "", "payment": COD},
    {"address_id": "a1", "payment": SUCCESS_CARD | {"card_number": "4111111111111112"}},
    {"address_id": "a1", "payment": SUCCESS_CARD | {"expiry": "01/20"}},
    {"address_id": "a1", "payment": SUCCESS_CARD | {"cvv": "12"}},
    {"address_id": "a1", "payment": {"type": "card"}},
])
async def test_bad_bodies_are_422(api: httpx.AsyncClient, services: Services,
                                  body: dict[str, Any]) -> None:
    shopper = await shopper_with(api, services)
    response = await api.post(CHECKOUT, headers=shopper.checkout_headers("key-00001"),
                              json=body)
    assert_problem(response, 422, "validation_failed")
    assert "4111111111111112" not in response.text  # card input never echoed


async def test_refusals_are_problems(api: httpx.AsyncClient, services: Services) -> None:
    shopper = await sign_up(api)
    assert_problem(await api.post(CHECKOUT, json={"address_id": "a", "payment": COD},
                                  headers={"Idempotency-Key": "key-00001"}), 401)
    assert_problem(await checkout(api, shopper), 422, "cart_empty")
    sku = await add_product(services)
    await fill_cart(services, shopper, (sku, 1))
    lost = Shopper(shopper.customer_id, shopper.token, "nosuchaddress")
    assert_problem(await checkout(api, lost), 404, "address_not_found")
    raw = await api.post(CHECKOUT, headers=shopper.checkout_headers("key-00002"),
                         content=b"{not json")
    assert_problem(raw, 422)


async def test_customers_see_only_their_own_orders(api: httpx.AsyncClient,
                                                   services: Services) -> None:
    sku = await add_product(services)
    owner = await shopper_with(api, services, (sku, 1))
    number = (await checkout(api, owner)).json()["order"]["number"]
    stranger = await sign_up(api)
    for path in (f"/api/v1/orders/{number}", "/api/v1/orders/OR-0000-0000-00",
                 "/api/v1/orders/not-a-number"):
        assert_problem(await api.get(path, headers=stranger.auth), 404, "order_not_found")
    assert_problem(await api.post(f"/api/v1/orders/{number}/cancel", headers=stranger.auth),
                   404, "order_not_found")
    assert (await api.get("/api/v1/orders", headers=stranger.auth)).json()["items"] == []
    assert_problem(await api.get(f"/api/v1/orders/{number}"), 401)


async def test_cancel_then_illegal_moves_are_409(api: httpx.AsyncClient, services: Services,
                                                 staff_headers: dict[str, str]) -> None:
    sku = await add_product(services)
    shopper = await shopper_with(api, services, (sku, 1))
    number = (await checkout(api, shopper)).json()["order"]["number"]
    cancelled = await api.post(f"/api/v1/orders/{number}/cancel", headers=shopper.auth)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    moved = await api.post(f"/api/v1/orders/{number}/transition", headers=staff_headers,
                           json={"to": "packed"})
    body = assert_problem(moved, 409, "illegal_transition")
    assert body["current"] == "cancelled" and body["target"] == "packed"


async def test_staff_drive_fulfilment(api: httpx.AsyncClient, services: Services,
                                      staff_headers: dict[str, str]) -> None:
    sku = await add_product(services)
    shopper = await shopper_with(api, services, (sku, 1))
    number = (await checkout(api, shopper)).json()["order"]["number"]
    path = f"/api/v1/orders/{number}/transition"
    assert_problem(await api.post(path, headers=shopper.auth, json={"to": "packed"}), 403)
    assert_problem(await api.post(path, headers=staff_headers, json={"to": "shipped"}), 409,
                   "illegal_transition")
    assert_problem(await api.post(path, headers=staff_headers, json={"to": "confirmed"}), 409,
                   "illegal_transition")
    assert_problem(await api.post(path, headers=staff_headers, json={"to": "lost"}), 422)
    for status in ("packed", "shipped", "delivered"):
        response = await api.post(path, headers=staff_headers,
                                  json={"to": status, "reason": "on its way"})
        assert response.status_code == 200 and response.json()["status"] == status
    assert_problem(await api.post(f"/api/v1/orders/{number}/cancel", headers=shopper.auth),
                   409, "illegal_transition")
    events = (await api.get(f"/api/v1/admin/orders/{number}", headers=staff_headers)).json()
    assert [e["to_status"] for e in events["events"]][-3:] == ["packed", "shipped", "delivered"]
    delivered = await api.get("/api/v1/admin/orders", headers=staff_headers,
                              params={"status": "delivered"})
    assert [o["number"] for o in delivered.json()["items"]] == [number]
    assert_problem(await api.get("/api/v1/admin/orders", headers=shopper.auth), 403)


async def test_history_pages_with_a_cursor(api: httpx.AsyncClient, services: Services) -> None:
    sku = await add_product(services, on_hand=20)
    shopper = await sign_up(api)
    numbers = []
    for i in range(5):
        await fill_cart(services, shopper, (sku, 1))
        numbers.append((await checkout(api, shopper, f"history-{i:04d}")).json()["order"]
                       ["number"])
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = (await api.get("/api/v1/orders", headers=shopper.auth, params=params)).json()
        seen += [o["number"] for o in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == numbers[::-1]
    for bad in ({"limit": 51}, {"limit": 0}, {"cursor": "garbage"}, {"status": "lost"}):
        assert_problem(await api.get("/api/v1/orders", headers=shopper.auth, params=bad), 422)
