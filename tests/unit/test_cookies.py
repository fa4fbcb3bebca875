"""Every cookie the app sets — session, guest cart, preferences, the storefront's, read-your-writes
— is Secure when the request came over TLS or the settings say so, and only then."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from orchid.app import create_app
from orchid.kit.cookies import cookie_header, is_secure
from tests.conftest import embedded_settings
from tests.unit.cart_factories import KAJAL, stock_kajal

PASSWORD = "kajal-and-kohl"


def test_is_secure_follows_the_scheme_or_the_setting() -> None:
    assert is_secure({"scheme": "https"}) and is_secure({"scheme": "wss"})
    assert not is_secure({"scheme": "http"}) and not is_secure({})
    assert is_secure({"scheme": "http"}, always=True)
    header = cookie_header("orchid_ryw", "1", max_age=6, secure=True)
    assert header == "orchid_ryw=1; HttpOnly; Max-Age=6; Path=/; SameSite=lax; Secure"
    assert "secure" not in cookie_header("orchid_ryw", "1", max_age=6, secure=False).lower()


async def shop_session(api: httpx.AsyncClient) -> list[httpx.Response]:
    """Walk through every response that sets or drops a cookie; return them."""
    responses = [await api.get("/", headers={"accept": "text/html"})]  # the storefront's cart
    api.cookies.clear()
    responses.append(await api.post("/api/v1/cart/items", json={"sku": KAJAL, "quantity": 1}))
    responses.append(await api.put("/api/v1/accounts/preferences", json={"currency": "USD"}))
    registered = await api.post("/api/v1/accounts/register", json={
        "email": "asha@example.in", "password": PASSWORD, "name": "Asha"})
    responses.append(registered)  # the session, and read-your-writes after the insert
    responses.append(await api.post("/api/v1/accounts/login", json={  # the device cookie too
        "email": "asha@example.in", "password": PASSWORD}))
    responses.append(await api.get("/api/v1/cart"))  # merges the guest cart: drops its cookie
    responses.append(await api.post("/api/v1/accounts/logout"))
    return responses


@pytest.fixture(params=[("http", False), ("https", False), ("http", True)],
                ids=["http", "https", "http-configured-secure"])
async def client(request: pytest.FixtureRequest,
                 data_dir: Path) -> AsyncIterator[tuple[httpx.AsyncClient, bool]]:
    scheme, configured = request.param
    app = create_app(embedded_settings(data_dir, cookie_secure=configured))
    async with app.router.lifespan_context(app):
        await stock_kajal(app.state.services, quantity=5)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport,
                                     base_url=f"{scheme}://testserver") as api:
            yield api, scheme == "https" or configured


async def test_every_cookie_is_secure_exactly_when_it_must_be(
        client: tuple[httpx.AsyncClient, bool]) -> None:
    api, secure = client
    seen: dict[str, list[str]] = {}
    for response in await shop_session(api):
        assert response.status_code < 400, (response.request.url, response.text)
        for header in response.headers.get_list("set-cookie"):
            seen.setdefault(header.split("=", 1)[0], []).append(header)
    assert {"orchid_cart", "orchid_prefs", "orchid_session", "orchid_device",
            "orchid_ryw"} <= set(seen)
    for name, headers in seen.items():
        for header in headers:
            attributes = [part.strip().lower() for part in header.split(";")]
            assert ("secure" in attributes) is secure, (name, header)
            assert "httponly" in attributes and "samesite=lax" in attributes, header
