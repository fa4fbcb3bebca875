"""Accounts HTTP API on the embedded app: sessions, OTP, profile, addresses, admin, bad input."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from orchid.services.accounts.sms import DevSmsSender
from tests.support.problems import assert_problem

BASE = "/api/v1/accounts"
PASSWORD = "kajal-and-kohl"
PHONE = "+919812345678"
Headers = dict[str, str]
HOME: dict[str, Any] = {"name": "Home", "phone": "98123 45678", "line1": "12 MG Road",
                        "city": "Bengaluru", "state": "Karnataka", "pincode": "560001"}



def invalid_fields(response: httpx.Response) -> set[str]:
    """Return the field paths of a 422 validation problem."""
    body = assert_problem(response, 422, "validation_failed")
    return {error["field"] for error in body["errors"]}


def session_cookie(response: httpx.Response) -> str:
    """Return the Set-Cookie header of the session cookie."""
    cookies = [c for c in response.headers.get_list("set-cookie")
               if c.startswith("orchid_session=")]
    assert len(cookies) == 1, cookies
    return cookies[0]


async def sign_up(api: httpx.AsyncClient, email: str = "asha@example.in") -> Headers:
    """Register a customer; return their bearer header (the cookie jar is emptied)."""
    response = await api.post(f"{BASE}/register",
                              json={"email": email, "password": PASSWORD, "name": "Asha"})
    assert response.status_code == 201, response.text
    api.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def sign_in_as(app: FastAPI, api: httpx.AsyncClient, role: str) -> Headers:
    """Create a user with `role` through the service and sign them in."""
    email = f"{role}@orchid.test"
    await app.state.services.accounts.create_user(email=email, password=PASSWORD, name=role,
                                                  role=role)
    response = await api.post(f"{BASE}/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    api.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def sms_of(app: FastAPI) -> DevSmsSender:
    sms = app.state.services.accounts.sms
    assert isinstance(sms, DevSmsSender)
    return sms


def last_code(app: FastAPI, phone: str = PHONE) -> str:
    match = re.search(r"\b\d{6}\b", sms_of(app).last_message(phone) or "")
    assert match is not None
    return match.group()


# -- sessions -----------------------------------------------------------------------------------

async def test_register_sets_a_safe_cookie_and_returns_the_token(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{BASE}/register", json={
        "email": "Asha@Example.in", "password": PASSWORD, "name": "आशा"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["customer"]["email"] == "asha@example.in" and body["customer"]["name"] == "आशा"
    assert set(body["customer"]) == {"public_id", "email", "phone", "name", "role"}
    cookie = session_cookie(response).lower()
    assert cookie.startswith(f"orchid_session={body['token']}".lower())
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie.replace("httponly", "")  # cookie_secure is off in dev
    assert response.headers["cache-control"] == "no-store"
    me = await api.get(f"{BASE}/me")  # the cookie alone signs the browser in
    assert me.status_code == 200 and me.json() == body["customer"]


async def test_bearer_token_and_logout(api: httpx.AsyncClient) -> None:
    headers = await sign_up(api)
    assert (await api.get(f"{BASE}/me")).status_code == 401  # no cookie, no header
    assert (await api.get(f"{BASE}/me", headers=headers)).status_code == 200
    response = await api.post(f"{BASE}/logout", headers=headers)
    assert response.status_code == 204
    assert "max-age=0" in session_cookie(response).lower()
    assert_problem(await api.get(f"{BASE}/me", headers=headers), 401, "not_authenticated")
    assert (await api.post(f"{BASE}/logout")).status_code == 204


@pytest.mark.parametrize("authorization", [
    "Bearer nonsense", "Bearer ", "Basic YTpi", "x" * 300, "Bearer " + "y" * 300])
async def test_bad_credentials_headers_are_401(api: httpx.AsyncClient,
                                               authorization: str) -> None:
    response = await api.get(f"{BASE}/me", headers={"Authorization": authorization})
    assert_problem(response, 401, "not_authenticated")


async def test_login_success_and_one_generic_failure(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    ok = await api.post(f"{BASE}/login", json={"email": "ASHA@example.in", "password": PASSWORD})
    assert ok.status_code == 200 and "orchid_session=" in session_cookie(ok)
    wrong = await api.post(f"{BASE}/login", json={"email": "asha@example.in", "password": "nope"})
    unknown = await api.post(f"{BASE}/login", json={"email": "who@example.in", "password": "x"})
    first = assert_problem(wrong, 401, "invalid_credentials")
    second = assert_problem(unknown, 401, "invalid_credentials")
    assert first["detail"] == second["detail"]


async def test_login_is_rate_limited_with_retry_after(api: httpx.AsyncClient) -> None:
    for _ in range(10):
        response = await api.post(f"{BASE}/login",
                                  json={"email": "target@example.in", "password": "guess-1"})
        assert response.status_code == 401
    response = await api.post(f"{BASE}/login",
                              json={"email": "target@example.in", "password": "guess-2"})
    assert_problem(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) >= 1


async def test_duplicate_email_is_409(api: httpx.AsyncClient) -> None:
    await sign_up(api)
    response = await api.post(f"{BASE}/register",
                              json={"email": "asha@EXAMPLE.in", "password": PASSWORD, "name": "A"})
    assert_problem(response, 409, "email_taken")


@pytest.mark.parametrize(("payload", "fields"), [
    ({}, {"body.email", "body.password", "body.name"}),
    ({"email": 42, "password": PASSWORD, "name": "A"}, {"body.email"}),
    ({"email": "no-at-sign", "password": PASSWORD, "name": "A"}, {"body.email"}),
    ({"email": "a@example.in", "password": "short", "name": "A"}, {"body.password"}),
    ({"email": "a@example.in", "password": "12345678901", "name": "A"}, {"body.password"}),
    # The outside probe's passwords, accepted before NIST SP 800-63B's rules came in.
    ({"email": "a@example.in", "password": "aaaaaaaaaa", "name": "A"}, {"body.password"}),
    ({"email": "a@example.in", "password": "password12", "name": "A"}, {"body.password"}),
    ({"email": "a@example.in", "password": "qwertyuiop", "name": "A"}, {"body.password"}),
    ({"email": "anita@example.in", "password": "anita@example.in", "name": "A"},
     {"body.password"}),
    ({"email": "a@example.in", "password": " " * 10, "name": "A"}, {"body.password"}),
    ({"email": "a@example.in", "password": "\x00" * 10, "name": "A"}, {"body.password"}),
    ({"email": "a@example.in", "password": PASSWORD, "name": "x" * 101}, {"body.name"}),
    ({"email": "a@example.in", "password": PASSWORD, "name": ["A"]}, {"body.name"}),
    ({"email": "a@example.in", "password": PASSWORD, "name": "A", "role": "admin"},
     {"body.role"}),
])
async def test_register_rejects_bad_input(api: httpx.AsyncClient, payload: dict[str, Any],
                                          fields: set[str]) -> None:
    assert invalid_fields(await api.post(f"{BASE}/register", json=payload)) == fields


async def test_a_weak_password_is_a_422_that_says_what_to_do(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{BASE}/register", json={
        "email": "meera@example.in", "password": "Iyer@2024!", "name": "Meera Iyer"})
    [error] = assert_problem(response, 422, "validation_failed")["errors"]
    assert error["field"] == "body.password"
    assert error["message"].endswith("must not be made of your email, name or phone number, or "
                                     "of “Orchid”: try three or four unrelated words")
    readme = await api.post(f"{BASE}/register", json={  # the README's example is fine
        "email": "meera@example.in", "password": "saffron-rose-42", "name": "Meera Iyer"})
    assert readme.status_code == 201, readme.text


async def test_register_rejects_a_body_that_is_not_json(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{BASE}/register", content=b"email=a",
                              headers={"content-type": "application/json"})
    assert_problem(response, 400, "malformed_json")


# -- sign-in by SMS code ------------------------------------------------------------------------

async def test_otp_flow(app: FastAPI, api: httpx.AsyncClient) -> None:
    sent = await api.post(f"{BASE}/otp/send", json={"phone": "098123-45678"})
    assert sent.status_code == 202 and sent.json() == {"phone": PHONE, "expires_in": 300}
    wrong = "000000" if last_code(app) != "000000" else "111111"
    bad = await api.post(f"{BASE}/otp/verify", json={"phone": PHONE, "code": wrong})
    assert assert_problem(bad, 401, "otp_invalid")["attempts_left"] == 4
    ok = await api.post(f"{BASE}/otp/verify", json={"phone": "9812345678", "code": last_code(app)})
    assert ok.status_code == 200, ok.text
    assert ok.json()["customer"]["phone"] == PHONE and "httponly" in session_cookie(ok).lower()
    me = await api.get(f"{BASE}/me", headers={"Authorization": f"Bearer {ok.json()['token']}"})
    assert me.json()["phone"] == PHONE
    again = await api.post(f"{BASE}/otp/verify", json={"phone": PHONE, "code": last_code(app)})
    assert_problem(again, 401, "otp_expired")


async def test_otp_sends_are_rate_limited(api: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await api.post(f"{BASE}/otp/send", json={"phone": PHONE})).status_code == 202
    response = await api.post(f"{BASE}/otp/send", json={"phone": PHONE})
    assert_problem(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.parametrize(("path", "payload", "fields"), [
    ("send", {"phone": "5812345678"}, {"body.phone"}),
    ("send", {"phone": 9812345678}, {"body.phone"}),
    ("send", {}, {"body.phone"}),
    ("verify", {"phone": PHONE, "code": "12ab56"}, {"body.code"}),
    ("verify", {"phone": PHONE, "code": 123456}, {"body.code"}),
    ("verify", {"phone": "+1 202 555 0100", "code": "123456"}, {"body.phone"}),
])
async def test_otp_rejects_bad_input(api: httpx.AsyncClient, path: str, payload: dict[str, Any],
                                     fields: set[str]) -> None:
    assert invalid_fields(await api.post(f"{BASE}/otp/{path}", json=payload)) == fields


# -- profile ------------------------------------------------------------------------------------

async def test_profile_update(api: httpx.AsyncClient) -> None:
    headers = await sign_up(api)
    response = await api.patch(f"{BASE}/me", json={"name": " प्रिया  शर्मा "}, headers=headers)
    assert response.status_code == 200 and response.json()["name"] == "प्रिया शर्मा"
    assert (await api.get(f"{BASE}/me", headers=headers)).json()["name"] == "प्रिया शर्मा"
    for payload in ({"name": "x" * 101}, {"name": ""}, {}, {"name": 5}, {"email": "b@x.in"}):
        assert_problem(await api.patch(f"{BASE}/me", json=payload, headers=headers), 422)
    assert_problem(await api.patch(f"{BASE}/me", json={"name": "A"}), 401)


# -- addresses ----------------------------------------------------------------------------------

async def test_address_endpoints(api: httpx.AsyncClient) -> None:
    headers = await sign_up(api)
    url = f"{BASE}/me/addresses"
    home = await api.post(url, json=HOME, headers=headers)
    assert home.status_code == 201, home.text
    home_id = home.json()["public_id"]
    assert home.json()["is_default"] and home.json()["phone"] == PHONE
    office = await api.post(url, json={**HOME, "name": "Office", "state": "maharashtra",
                                       "pincode": "411001", "landmark": "Opp. बस स्टॉप"},
                            headers=headers)
    office_id = office.json()["public_id"]
    assert office.json()["state"] == "Maharashtra" and not office.json()["is_default"]
    listed = (await api.get(url, headers=headers)).json()
    assert [a["name"] for a in listed] == ["Home", "Office"]
    got = await api.get(f"{url}/{office_id}", headers=headers)
    assert got.status_code == 200 and got.json()["landmark"] == "Opp. बस स्टॉप"
    patched = await api.patch(f"{url}/{office_id}", json={"line2": "Floor 3", "landmark": None},
                              headers=headers)
    assert patched.json()["line2"] == "Floor 3" and patched.json()["landmark"] is None
    made_default = await api.post(f"{url}/{office_id}/default", headers=headers)
    assert made_default.status_code == 200 and made_default.json()["is_default"]
    defaults = [a["name"] for a in (await api.get(url, headers=headers)).json() if a["is_default"]]
    assert defaults == ["Office"]
    assert (await api.delete(f"{url}/{office_id}", headers=headers)).status_code == 204
    assert (await api.get(url, headers=headers)).json()[0]["is_default"]  # Home took over
    assert_problem(await api.get(f"{url}/{office_id}", headers=headers), 404, "address_not_found")
    assert_problem(await api.delete(f"{url}/{home_id}x", headers=headers), 404)
    assert_problem(await api.get(url), 401)


@pytest.mark.parametrize(("change", "fields"), [
    ({"pincode": "012345"}, {"body.pincode"}),
    ({"pincode": "5600"}, {"body.pincode"}),
    ({"pincode": 560001}, {"body.pincode"}),
    ({"phone": "12345"}, {"body.phone"}),
    ({"state": "Bavaria"}, {"body.state"}),
    ({"name": "x" * 101}, {"body.name"}),
    ({"is_default": "yes"}, {"body.is_default"}),
    ({"line1": None}, {"body.line1"}),
    ({"country": "IN"}, {"body.country"}),
])
async def test_address_create_rejects_bad_input(api: httpx.AsyncClient, change: dict[str, Any],
                                                fields: set[str]) -> None:
    headers = await sign_up(api)
    response = await api.post(f"{BASE}/me/addresses", json={**HOME, **change}, headers=headers)
    assert invalid_fields(response) == fields


async def test_address_update_rejects_null_and_bad_values(api: httpx.AsyncClient) -> None:
    headers = await sign_up(api)
    created = await api.post(f"{BASE}/me/addresses", json=HOME, headers=headers)
    url = f"{BASE}/me/addresses/{created.json()['public_id']}"
    assert invalid_fields(await api.patch(url, json={"city": None}, headers=headers)) == {
        "body.city"}
    assert invalid_fields(await api.patch(url, json={"pincode": "999"}, headers=headers)) == {
        "body.pincode"}
    assert invalid_fields(await api.patch(url, json={"is_default": True}, headers=headers)) == {
        "body.is_default"}


async def test_customers_cannot_touch_each_others_addresses(api: httpx.AsyncClient) -> None:
    owner = await sign_up(api, "owner@example.in")
    other = await sign_up(api, "other@example.in")
    created = await api.post(f"{BASE}/me/addresses", json=HOME, headers=owner)
    url = f"{BASE}/me/addresses/{created.json()['public_id']}"
    for response in (await api.get(url, headers=other),
                     await api.patch(url, json={"name": "Mine"}, headers=other),
                     await api.post(f"{url}/default", headers=other),
                     await api.delete(url, headers=other)):
        assert_problem(response, 404, "address_not_found")
    assert (await api.get(f"{BASE}/me/addresses", headers=other)).json() == []
    assert (await api.get(url, headers=owner)).json()["name"] == "Home"


# -- admin --------------------------------------------------------------------------------------

async def test_admin_routes_by_role(app: FastAPI, api: httpx.AsyncClient,
                                    staff_headers: Headers) -> None:
    customer = await sign_up(api)
    me = (await api.get(f"{BASE}/me", headers=customer)).json()["public_id"]
    lookup, role_url = f"{BASE}/admin/customers/{me}", f"{BASE}/admin/customers/{me}/role"
    assert_problem(await api.get(lookup), 401)
    assert_problem(await api.get(lookup, headers=customer), 403, "staff_only")
    assert_problem(await api.post(role_url, json={"role": "admin"}, headers=customer), 403,
                   "admin_only")
    seen = await api.get(lookup, headers=staff_headers)
    assert seen.status_code == 200 and seen.json()["is_active"] is True
    assert seen.json()["email"] == "asha@example.in"
    assert_problem(await api.post(role_url, json={"role": "admin"}, headers=staff_headers), 403,
                   "admin_only")
    assert_problem(await api.get(f"{BASE}/admin/customers/nobody", headers=staff_headers), 404,
                   "customer_not_found")
    admin = await sign_in_as(app, api, "admin")
    assert invalid_fields(await api.post(role_url, json={"role": "root"}, headers=admin)) == {
        "body.role"}
    promoted = await api.post(role_url, json={"role": "staff"}, headers=admin)
    assert promoted.status_code == 200 and promoted.json()["role"] == "staff"
    assert_problem(await api.get(f"{BASE}/me", headers=customer), 401)  # sessions ended
