"""Payments HTTP API on the embedded app: webhooks, the sandbox 3-D Secure page, staff lookup."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi import FastAPI

from orchid.kit.headers import source_hash
from orchid.kit.orm import utcnow
from orchid.services.payments import signing
from orchid.services.payments.delivery import BackgroundDelivery
from orchid.services.payments.sandbox import SandboxProvider, sandbox_webhook_secret
from orchid.services.payments.schemas import CardMethod, IntentRead
from orchid.services.payments.service import PaymentsService
from tests.conftest import Apart
from tests.support.problems import assert_problem
from tests.support.stack import TEST_SECRET, caller_headers

BASE = "/api/v1/payments"
CHALLENGE = "4000 0000 0000 3220"
FUTURE = f"12/{(utcnow().year + 3) % 100:02d}"
# What `build` derives from ORCHID_SECRET_KEY: a sender holding it can sign sandbox events.
WEBHOOK_SECRET = sandbox_webhook_secret(TEST_SECRET)
Headers = dict[str, str]


@pytest.fixture
def payments(app: FastAPI) -> PaymentsService:
    """The app's payments service (stopping the app handles the webhooks still on their way)."""
    service: PaymentsService = app.state.services.payments
    return service


def sandbox_of(service: PaymentsService) -> SandboxProvider:
    assert isinstance(service.card, SandboxProvider)
    return service.card


async def drain(service: PaymentsService) -> None:
    delivery = sandbox_of(service).delivery
    assert isinstance(delivery, BackgroundDelivery)
    await delivery.drain()


async def challenged(payments: PaymentsService, order: str = "OR-API-1") -> IntentRead:
    """Create a card intent waiting for 3-D Secure, as orders would."""
    method = CardMethod(type="card", card_number=CHALLENGE, expiry=FUTURE, cvv="123")
    return await payments.create_intent(order_number=order, customer_id="cust0001",
                                        amount_paise=129_900, method=method)


async def post_event(api: httpx.AsyncClient, body: bytes, header: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers[signing.HEADER] = header
    return await api.post(f"{BASE}/webhooks/sandbox", content=body, headers=headers)


async def intent_status(api: httpx.AsyncClient, staff: Headers, order: str) -> str:
    response = await api.get(f"{BASE}/intents/{order}", headers=staff)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


# -- webhook route ----------------------------------------------------------------------------


async def test_a_signed_webhook_is_received_once(api: httpx.AsyncClient,
                                                 payments: PaymentsService,
                                                 staff_headers: Headers) -> None:
    intent = await challenged(payments)
    body, header = sandbox_of(payments).signed_event("payment.succeeded", {
        "intent_id": intent.public_id, "order_number": intent.order_number,
        "amount_paise": intent.amount_paise})
    response = await post_event(api, body, header)
    assert response.status_code == 200 and response.json() == {"received": True}
    assert await intent_status(api, staff_headers, intent.order_number) == "succeeded"
    assert_problem(await post_event(api, body, header), 409, "webhook_replayed")


async def test_bad_webhooks_get_a_4xx_problem(api: httpx.AsyncClient, payments: PaymentsService,
                                              staff_headers: Headers) -> None:
    intent = await challenged(payments)
    sandbox = sandbox_of(payments)
    data = {"intent_id": intent.public_id, "order_number": intent.order_number,
            "amount_paise": intent.amount_paise}
    body, header = sandbox.signed_event("payment.succeeded", data)
    now = int(utcnow().timestamp())
    stale = signing.sign(secret=WEBHOOK_SECRET, raw_body=body, timestamp=now - 600)
    cases: list[tuple[bytes, str | None, int, str]] = [
        (body.replace(b"succeeded", b"failed"), header, 401, "webhook_signature_invalid"),
        (body, signing.sign(secret="guessed", raw_body=body, timestamp=now), 401,
         "webhook_signature_invalid"),
        (body, None, 401, "webhook_signature_invalid"),
        (body, "garbage", 401, "webhook_signature_invalid"),
        (body, stale, 401, "webhook_timestamp_stale"),
    ]
    junk = b'{"id": "evt_x", "type": "payment.succeeded"}'
    cases.append((junk, signing.sign(secret=WEBHOOK_SECRET, raw_body=junk, timestamp=now), 422,
                  "webhook_malformed"))
    unknown, unknown_header = sandbox.signed_event("payment.succeeded",
                                                   {**data, "intent_id": "pi_unknown"})
    cases.append((unknown, unknown_header, 404, "intent_not_found"))
    for raw, signature, status, code in cases:
        assert_problem(await post_event(api, raw, signature), status, code)
    assert await intent_status(api, staff_headers, intent.order_number) == "requires_action"


# -- the sandbox's 3-D Secure page -------------------------------------------------------------


async def test_the_3ds_page_approves_through_the_webhook(api: httpx.AsyncClient,
                                                         payments: PaymentsService,
                                                         staff_headers: Headers) -> None:
    intent = await challenged(payments)
    assert intent.next_action_url is not None
    page = await api.get(intent.next_action_url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "3220" in page.text and "₹1,299.00" in page.text and "result=approve" in page.text
    # Only the last four are shown (random ids on the page may hold "4000" by chance).
    assert not any(part in page.text for part in ("4000 0000", "40000000"))
    assert page.headers["cache-control"] == "no-store"
    answer = await api.post(f"{intent.next_action_url}?result=approve")
    assert answer.status_code == 200 and "approved" in answer.text
    assert f'href="/orders/{intent.order_number}?placed=1"' in answer.text  # back to the shop
    await drain(payments)
    assert await intent_status(api, staff_headers, intent.order_number) == "succeeded"
    assert "nothing to confirm" in (await api.get(intent.next_action_url)).text
    conflict = assert_problem(await api.post(f"{intent.next_action_url}?result=deny"), 409,
                              "illegal_transition")
    assert (conflict["current"], conflict["target"]) == ("succeeded", "succeeded")


async def test_the_3ds_page_allows_only_its_own_style(api: httpx.AsyncClient,
                                                       payments: PaymentsService) -> None:
    intent = await challenged(payments)
    assert intent.next_action_url is not None
    for page in (await api.get(intent.next_action_url),
                 await api.post(f"{intent.next_action_url}?result=deny")):
        styles = re.findall(r"<style>(.*?)</style>", page.text, re.DOTALL)
        assert len(styles) == 1 and " style=" not in page.text and "<script" not in page.text
        policy = page.headers["content-security-policy"]
        assert f"style-src {source_hash(styles[0])};" in policy
        assert "script-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert page.headers["x-content-type-options"] == "nosniff"


async def test_the_3ds_page_can_deny(api: httpx.AsyncClient, payments: PaymentsService,
                                     staff_headers: Headers) -> None:
    intent = await challenged(payments)
    url = f"{BASE}/sandbox/3ds/{intent.public_id}"
    assert_problem(await api.post(f"{url}?result=maybe"), 422, "validation_failed")
    assert_problem(await api.post(url), 422, "validation_failed")
    assert (await api.post(f"{url}?result=deny")).status_code == 200
    await drain(payments)
    assert await intent_status(api, staff_headers, intent.order_number) == "failed"


async def test_the_3ds_page_of_an_unknown_intent_is_not_found(api: httpx.AsyncClient,
                                                              payments: PaymentsService) -> None:
    assert_problem(await api.get(f"{BASE}/sandbox/3ds/pi_nosuch"), 404, "intent_not_found")
    assert_problem(await api.post(f"{BASE}/sandbox/3ds/pi_nosuch?result=approve"), 404,
                   "intent_not_found")
    assert_problem(await api.get(f"{BASE}/sandbox/3ds/{'x' * 65}"), 422, "validation_failed")


# -- staff lookup and the absent public create route -------------------------------------------


async def test_intents_are_for_staff(app: FastAPI, api: httpx.AsyncClient,
                                     payments: PaymentsService, staff_headers: Headers) -> None:
    intent = await challenged(payments)
    url = f"{BASE}/intents/{intent.order_number}"
    assert_problem(await api.get(url), 401, "not_authenticated")
    await app.state.services.accounts.create_user(email="asha@example.in", password="kajal-kohl-1",
                                                  name="Asha", role="customer")
    login = await api.post("/api/v1/accounts/login",
                           json={"email": "asha@example.in", "password": "kajal-kohl-1"})
    api.cookies.clear()
    customer = {"Authorization": f"Bearer {login.json()['token']}"}
    assert_problem(await api.get(url, headers=customer), 403, "staff_only")
    body = (await api.get(url, headers=staff_headers)).json()
    assert body["public_id"] == intent.public_id and body["card_last4"] == "3220"
    assert "card_number" not in body
    assert_problem(await api.get(f"{BASE}/intents/OR-NONE", headers=staff_headers), 404,
                   "intent_not_found")


async def test_there_is_no_public_route_to_create_intents(api: httpx.AsyncClient,
                                                          staff_headers: Headers) -> None:
    response = await api.post(f"{BASE}/intents", json={}, headers=staff_headers)
    assert response.status_code in (404, 405)


async def test_the_internal_route_refuses_bad_cards_without_echoing_them(
        apart: Apart, payments: PaymentsService) -> None:
    args = {"order_number": "OR-API-9", "customer_id": "cust0001", "amount_paise": 100,
            "method": {"type": "card", "card_number": "4111 1111 1111 1112", "expiry": FUTURE,
                       "cvv": "123"}}
    internal, orders = await apart(["payments"]), caller_headers("orders")
    response = await internal.post("/internal/v1/payments/create_intent", json=args,
                                   headers=orders)
    body = assert_problem(response, 422, "validation_failed")
    # The number, spaced or not, is not echoed (a random request id may hold "4111" by chance).
    assert not any(part in json.dumps(body) for part in ("4111 1111", "41111111"))
    args["method"] = {"type": "cod"}
    created = await internal.post("/internal/v1/payments/create_intent", json=args,
                                  headers=orders)
    assert created.status_code == 200, created.text
    assert created.json()["result"]["status"] == "cod_pending"
