"""Shopper preferences (display currency, delivery pincode): the cookie and its two routes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from orchid.app import create_app
from orchid.services.accounts.schemas import PreferencesRead, PreferencesUpdate
from tests.conftest import embedded_settings
from tests.support.problems import assert_problem

URL = "/api/v1/accounts/preferences"


def prefs_cookie(response: httpx.Response) -> str:
    """Return the Set-Cookie header of the preferences cookie."""
    cookies = [c for c in response.headers.get_list("set-cookie")
               if c.startswith("orchid_prefs=")]
    assert len(cookies) == 1, cookies
    return cookies[0]


async def test_anonymous_shopper_gets_the_defaults_without_a_cookie(
        api: httpx.AsyncClient) -> None:
    response = await api.get(URL)
    assert response.status_code == 200
    assert response.json() == {"currency": "INR", "pincode": None}
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "private, no-store"


async def test_set_then_read_back_through_the_cookie(api: httpx.AsyncClient) -> None:
    response = await api.put(URL, json={"currency": "AED", "pincode": " 560034 "})
    assert response.status_code == 200, response.text
    assert response.json() == {"currency": "AED", "pincode": "560034"}
    cookie = prefs_cookie(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie.replace("httponly", "")  # cookie_secure is off by default
    assert (await api.get(URL)).json() == {"currency": "AED", "pincode": "560034"}


async def test_omitted_fields_stay_and_a_null_pincode_forgets_it(api: httpx.AsyncClient) -> None:
    await api.put(URL, json={"currency": "GBP", "pincode": "110001"})
    assert (await api.put(URL, json={"pincode": "400001"})).json() == {
        "currency": "GBP", "pincode": "400001"}
    assert (await api.put(URL, json={"currency": "USD"})).json() == {
        "currency": "USD", "pincode": "400001"}
    assert (await api.put(URL, json={})).json() == {"currency": "USD", "pincode": "400001"}
    assert (await api.put(URL, json={"pincode": None})).json() == {
        "currency": "USD", "pincode": None}
    assert (await api.get(URL)).json() == {"currency": "USD", "pincode": None}


@pytest.mark.parametrize(("body", "field"), [
    ({"currency": "EUR"}, "body.currency"),
    ({"currency": "inr"}, "body.currency"),
    ({"currency": None}, "body.currency"),
    ({"pincode": "012345"}, "body.pincode"),
    ({"pincode": "56003"}, "body.pincode"),
    ({"pincode": "5600345"}, "body.pincode"),
    ({"pincode": "५६००३४"}, "body.pincode"),  # Devanagari digits are not a pincode
    ({"pincode": 560034}, "body.pincode"),
    ({"theme": "dark"}, "body.theme"),
])
async def test_bad_input_is_a_422_problem_and_changes_nothing(
        api: httpx.AsyncClient, body: dict[str, object], field: str) -> None:
    await api.put(URL, json={"currency": "SGD"})
    response = await api.put(URL, json=body)
    problem = assert_problem(response, 422, "validation_failed")
    assert {error["field"] for error in problem["errors"]} == {field}
    assert "set-cookie" not in response.headers
    assert (await api.get(URL)).json()["currency"] == "SGD"


@pytest.mark.parametrize("value", ["", "XYZ.560034", "USD.012345", "USD.56", "USD-560034", "..",
                                   "USD.560034.1", "A" * 500])
async def test_a_tampered_cookie_reads_as_the_defaults(api: httpx.AsyncClient,
                                                       value: str) -> None:
    api.cookies.set("orchid_prefs", value)
    assert (await api.get(URL)).json() == {"currency": "INR", "pincode": None}
    assert (await api.put(URL, json={"pincode": "700001"})).json() == {
        "currency": "INR", "pincode": "700001"}


async def test_signed_in_customers_set_preferences_too(api: httpx.AsyncClient) -> None:
    registered = await api.post("/api/v1/accounts/register", json={
        "email": "nri@example.in", "password": "saffron-rose-42", "name": "Anita Menon"})
    assert registered.status_code == 201, registered.text
    assert (await api.put(URL, json={"currency": "CAD"})).json()["currency"] == "CAD"


async def test_the_cookie_is_secure_when_the_settings_say_so(data_dir: Path) -> None:
    app = create_app(embedded_settings(data_dir, cookie_secure=True))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as api:
            response = await api.put(URL, json={"currency": "AUD"})
    assert "; secure" in prefs_cookie(response).lower()


def test_cookie_round_trip() -> None:
    for prefs in (PreferencesRead(), PreferencesRead(currency="USD", pincode="560034")):
        assert PreferencesRead.from_cookie(prefs.to_cookie()) == prefs
    assert PreferencesRead(currency="AED").to_cookie() == "AED."
    assert PreferencesRead.from_cookie(None) == PreferencesRead()
    assert PreferencesRead().updated(PreferencesUpdate(pincode="682001")) == PreferencesRead(
        pincode="682001")
