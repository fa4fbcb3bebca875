"""Password sign-in limits and the device cookie on the embedded app, through the JSON API and
the storefront's sign-in form, each client at its own address."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import httpx
import pytest
from fastapi import FastAPI

from orchid.app import create_app
from orchid.kit.callers import Credential
from orchid.kit.errors import RateLimited, Unauthorized
from orchid.kit.placement import RemoteService
from orchid.services.accounts.schemas import Registration
from orchid.services.accounts.service import AccountsService
from orchid.services.storefront import peers as storefront_peers
from tests.conftest import Apart, embedded_settings
from tests.support.problems import assert_problem
from tests.support.stack import caller_keys

LOGIN = "/api/v1/accounts/login"
EMAIL, PASSWORD = "asha@example.in", "kajal-and-kohl"
HOME, ATTACKER = "203.0.113.7", "198.51.100.66"
FORM = {"content-type": "application/x-www-form-urlencoded"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
UNTRUSTED_LIMIT = 5


@asynccontextmanager
async def client_at(app: FastAPI, address: str,
                    base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """A client (with its own cookie jar) whose requests come from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 50123))
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


@pytest.fixture
async def strict_app(data_dir: Path) -> AsyncIterator[FastAPI]:
    """The embedded app with a per-account limit for new devices small enough to flood."""
    app = create_app(embedded_settings(
        data_dir, login_untrusted_failures_per_account=UNTRUSTED_LIMIT))
    async with app.router.lifespan_context(app):
        yield app


async def register(client: httpx.AsyncClient) -> httpx.Response:
    response = await client.post("/api/v1/accounts/register", json={
        "email": EMAIL, "password": PASSWORD, "name": "Asha"})
    assert response.status_code == 201, response.text
    return response


async def login(client: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
    return await client.post(LOGIN, json={"email": EMAIL, "password": password})


async def flood(app: FastAPI, attempts: int) -> None:
    """Wrong passwords on the account, each from an address of its own."""
    for n in range(attempts):
        async with client_at(app, f"10.66.0.{n + 1}") as bot:
            assert_problem(await login(bot, "wrong-guess-1"), 401, "invalid_credentials")


def device_cookie(response: httpx.Response) -> str:
    """Return the Set-Cookie header of the device cookie."""
    [cookie] = [c for c in response.headers.get_list("set-cookie")
                if c.startswith("orchid_device=")]
    return cookie


# -- the JSON API ----------------------------------------------------------------------------------

async def test_ten_wrong_passwords_from_one_address_leave_another_able_to_sign_in(
        app: FastAPI) -> None:
    async with client_at(app, HOME) as home, client_at(app, ATTACKER) as attacker:
        await register(home)
        home.cookies.clear()  # a new browser at home: no device cookie either
        for _ in range(10):
            assert_problem(await login(attacker, "wrong-guess-1"), 401, "invalid_credentials")
        refused = assert_problem(await login(attacker), 429, "rate_limited")
        assert "from your network" in refused["detail"]
        for _ in range(30):  # the attacker keeps trying, as often as they like
            assert (await login(attacker, "wrong-guess-2")).status_code == 429
        ok = await login(home)
        assert ok.status_code == 200, ok.text
        cookie = device_cookie(ok).lower()
        assert cookie.startswith(f"orchid_device={ok.json()['device_token']}".lower())
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie.replace("httponly", "")  # plain http, cookie_secure off


async def test_a_flood_refuses_new_devices_but_a_device_that_signed_in_before_gets_in(
        strict_app: FastAPI) -> None:
    async with client_at(strict_app, HOME) as phone:
        await register(phone)  # her phone keeps the device cookie of its sign-up
        await flood(strict_app, UNTRUSTED_LIMIT)
        async with client_at(strict_app, "192.0.2.10") as new_laptop:
            refused = await login(new_laptop)
            body = assert_problem(refused, 429, "rate_limited")
            assert body["detail"] == ("Too many sign-in attempts for this account from new "
                                      "devices; try again later.")
            assert int(refused.headers["retry-after"]) >= 1
        ok = await login(phone)
        assert ok.status_code == 200, ok.text
        assert device_cookie(ok)  # renewed with a fresh nonce
        assert (await login(phone)).status_code == 200  # and the renewed one works too


async def test_the_device_cookie_is_secure_over_https(app: FastAPI) -> None:
    async with client_at(app, HOME, base_url="https://shop.test") as browser:
        await register(browser)
        cookie = device_cookie(await login(browser)).lower()
    assert "secure" in cookie.replace("httponly", "") and "httponly" in cookie


async def test_signing_out_keeps_the_device_cookie(app: FastAPI) -> None:
    async with client_at(app, HOME) as browser:
        registered = await register(browser)
        signed_out = await browser.post("/api/v1/accounts/logout")
        assert signed_out.status_code == 204
        assert not any(c.startswith("orchid_device=")
                       for c in signed_out.headers.get_list("set-cookie"))
        assert browser.cookies.get("orchid_device") == registered.json()["device_token"]


async def test_the_storefront_passes_the_device_token_to_accounts_in_another_process(
        apart: Apart) -> None:
    # The storefront's peer declaration of login must grant `device`, or the call is a 403.
    accounts = cast(storefront_peers.Accounts, RemoteService(
        storefront_peers.Accounts, "accounts", "http://apart", await apart(["accounts"]),
        interface=AccountsService, credential=Credential("storefront",
                                                         caller_keys()["storefront"])))
    device = (await accounts.register(data=Registration(email=EMAIL, password=PASSWORD,
                                                        name="Asha"), client_ip=HOME)).device_token
    for _ in range(10):
        with pytest.raises(Unauthorized):
            await accounts.login(email=EMAIL, password="wrong-guess-1", client_ip=ATTACKER)
    with pytest.raises(RateLimited):  # this address is spent for the account...
        await accounts.login(email=EMAIL, password=PASSWORD, client_ip=ATTACKER)
    session = await accounts.login(email=EMAIL, password=PASSWORD, client_ip=ATTACKER,
                                   device=device)  # ...but not for her device
    assert session.customer.email == EMAIL and session.device_token not in (None, device)


# -- the storefront's sign-in form -----------------------------------------------------------------

def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:300]
    return found.group(1)


async def sign_in_form(browser: httpx.AsyncClient) -> httpx.Response:
    csrf = csrf_of(await browser.get("/login"))
    return await browser.post("/login/password", headers=FORM, data={
        "email": EMAIL, "password": PASSWORD, "csrf_token": csrf})


async def test_the_sign_in_form_sets_and_presents_the_device_cookie(
        strict_app: FastAPI) -> None:
    async with client_at(strict_app, HOME) as browser:
        await register(browser)
        browser.cookies.clear()  # a browser that never signed in on this shop
        first = await sign_in_form(browser)
        assert first.status_code == 303, first.text[:300]
        cookie = device_cookie(first)
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        csrf = csrf_of(await browser.get("/account"))
        await browser.post("/logout", headers=FORM, data={"csrf_token": csrf})
        assert "orchid_session" not in browser.cookies and "orchid_device" in browser.cookies
        await flood(strict_app, UNTRUSTED_LIMIT)
        again = await sign_in_form(browser)  # the form's request carries the device cookie
        assert again.status_code == 303, again.text[:300]
    async with client_at(strict_app, "192.0.2.10") as stranger:
        refused = await sign_in_form(stranger)
        assert refused.status_code == 429
        assert "for this account from new devices" in refused.text
