"""The shop's pages on the embedded app: cookies, CSRF, no-JS forms and HTML error pages."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from orchid.services.catalog.schemas import CategoryCreate, ProductUpdate
from orchid.services.registry import Services
from orchid.services.storefront.service import DEPARTMENTS_SECONDS, SHELVES_KEY, Storefront
from tests.support.clock import FakeClock
from tests.support.waiting import until_async
from tests.unit.cart_factories import KAJAL, KOHL, stock_kajal

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM = {"content-type": "application/x-www-form-urlencoded"}


def token(page: httpx.Response) -> str:
    """Return the CSRF token of the first form on a page."""
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def assert_html_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="en-IN">' in response.text


async def test_the_home_page_renders_and_gives_a_guest_a_cart_cookie(
        api: httpx.AsyncClient) -> None:
    home = await api.get("/")
    assert_html_page(home, 200)
    assert home.text.count("<h1") == 1
    cookie = home.headers["set-cookie"]
    assert cookie.startswith("orchid_cart=g:")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


@pytest.mark.events_relay
async def test_the_home_shelves_are_kept_rendered_until_a_product_changes(
        app: FastAPI, api: httpx.AsyncClient) -> None:
    services = await stock_kajal(app.state.services, quantity=5)
    await services.search.sync_once()
    shelves = app.state.resources.cache("storefront")
    assert "Kajal" in (await api.get("/")).text
    generation = await shelves.generation(SHELVES_KEY)
    assert (await api.get("/")).text.count("Kajal") > 0
    assert await shelves.generation(SHELVES_KEY) == generation  # the same rendered shelves
    await services.catalog.update_product(slug="kajal",
                                          data=ProductUpdate(name="Noir Intense Kohl"))
    await services.search.sync_once()

    async def renamed() -> bool:  # product.changed → cache-invalidation drops the shelves
        return "Noir Intense Kohl" in (await api.get("/")).text

    await until_async(renamed, timeout=10, what="the home shelves showing the new name")
    assert await shelves.generation(SHELVES_KEY) != generation


async def test_cookies_are_secure_when_the_shop_is_reached_over_https(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.test") as client:
        page = await client.get("/login")
    assert_html_page(page, 200)
    assert "Secure" in page.headers["set-cookie"]


async def test_a_post_without_the_pages_token_is_refused_with_an_html_403(
        api: httpx.AsyncClient) -> None:
    await api.get("/login")  # a guest with a cart cookie
    missing = await api.post("/cart/add", data={"sku": KAJAL}, headers=FORM)
    assert_html_page(missing, 403)
    forged = await api.post("/cart/add", data={"sku": KAJAL, "csrf_token": "x" * 43},
                            headers=FORM)
    assert_html_page(forged, 403)
    api.cookies.clear()
    no_cookie = await api.post("/logout", data={"csrf_token": "x" * 43}, headers=FORM)
    assert_html_page(no_cookie, 403)


async def test_bad_input_to_pages_gets_a_clear_4xx_page(api: httpx.AsyncClient) -> None:
    assert_html_page(await api.get("/p/no-such-product"), 404)
    assert_html_page(await api.get("/p/Not_A_Slug"), 400)
    assert_html_page(await api.get("/c/no-such-category"), 404)
    assert_html_page(await api.get("/search", params={"price": "free"}), 400)
    assert_html_page(await api.get("/search", params={"sort": "random"}), 400)
    assert_html_page(await api.get("/orders/" + "9" * 30), 400)
    login = await api.get("/login")
    as_json = await api.post("/cart/add", json={"sku": KAJAL, "csrf_token": token(login)})
    assert_html_page(as_json, 400)
    bad_quantity = await api.post("/cart/add", headers=FORM, data={
        "sku": KAJAL, "quantity": "99", "csrf_token": token(login)})
    assert_html_page(bad_quantity, 400)
    unknown = await api.post("/cart/add", headers=FORM, data={
        "sku": "NO-SUCH-SKU", "csrf_token": token(login)})
    assert_html_page(unknown, 404)


async def test_signed_in_pages_send_a_guest_to_sign_in_first(api: httpx.AsyncClient) -> None:
    for path in ("/checkout", "/orders", "/account"):
        response = await api.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next=%2F{path[1:]}"


async def test_the_bag_works_with_plain_forms_and_is_shared_with_the_json_api(
        app: FastAPI, api: httpx.AsyncClient) -> None:
    services: Services = app.state.services
    await stock_kajal(services, quantity=5)
    product = await api.get("/p/kajal", params={"pincode": "560034"})
    assert_html_page(product, 200)
    assert "In stock — delivery to 560034 in 2-4 days" in product.text
    assert "₹499" in product.text and "₹599" in product.text and "16% off" in product.text
    csrf = token(product)

    added = await api.post("/cart/add", headers=FORM,
                           data={"sku": KOHL, "quantity": "2", "csrf_token": csrf})
    assert added.status_code == 303 and added.headers["location"] == "/cart?added=1"
    bag = await api.get("/cart?added=1")
    assert "Added to your bag." in bag.text and "Shade 2" in bag.text
    assert "Includes GST of ₹91.22" in bag.text  # 18 % contained in ₹598
    assert (await api.get("/api/v1/cart")).json()["item_count"] == 2

    await api.post("/cart/update", headers=FORM,
                   data={"sku": KOHL, "quantity": "3", "csrf_token": csrf})
    assert (await api.get("/api/v1/cart")).json()["lines"][0]["quantity"] == 3
    await api.post("/cart/remove", headers=FORM, data={"sku": KOHL, "csrf_token": csrf})
    assert "Your bag is empty" in (await api.get("/cart")).text


async def test_signing_in_with_a_password_sets_the_session_cookie_and_merges_the_bag(
        app: FastAPI, api: httpx.AsyncClient) -> None:
    services: Services = app.state.services
    await stock_kajal(services, quantity=5)
    await services.accounts.create_user(email="asha@example.in", password="rose-petal-2026",
                                        name="Asha Rao", role="customer")
    login = await api.get("/login", params={"next": "/cart"})
    csrf = token(login)
    await api.post("/cart/add", headers=FORM, data={"sku": KAJAL, "csrf_token": csrf})
    wrong = await api.post("/login/password", headers=FORM, data={
        "email": "asha@example.in", "password": "not-her-password", "csrf_token": csrf})
    assert_html_page(wrong, 401)
    assert "Email or password is incorrect." in wrong.text
    signed_in = await api.post("/login/password", headers=FORM, data={
        "email": "asha@example.in", "password": "rose-petal-2026", "next": "/cart",
        "csrf_token": csrf})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/cart"
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith("orchid_session=") and "HttpOnly" in cookie
    bag = await api.get("/cart")
    assert "Kajal" in bag.text  # the guest bag was merged into hers
    assert "orchid_cart" not in api.cookies  # and its cookie dropped
    assert (await api.get("/api/v1/accounts/me")).json()["name"] == "Asha Rao"
    stale = await api.post("/cart/remove", headers=FORM, data={"sku": KAJAL, "csrf_token": csrf})
    assert_html_page(stale, 403)  # the guest's token is not valid for her session


async def test_the_api_and_the_operational_routes_are_untouched(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    schema = (await api.get("/openapi.json")).json()
    assert "/api/v1/cart" in schema["paths"] and "/p/{slug}" not in schema["paths"]
    assert (await api.get("/docs")).status_code == 200
    missing = await api.get("/api/v1/catalog/products/no-such-product")
    assert missing.headers["content-type"] == "application/problem+json"
    html = {"accept": "text/html,application/xhtml+xml"}
    unrouted = await api.get("/api/v1/no-such-thing", headers=html)  # the API stays JSON
    assert unrouted.status_code == 404
    assert unrouted.headers["content-type"] == "application/problem+json"
    assert (await api.get("/no-such-page")).headers["content-type"] == "application/problem+json"


async def test_a_browser_gets_the_shop_s_404_page_for_an_unknown_address(
        api: httpx.AsyncClient) -> None:
    html = {"accept": "text/html,application/xhtml+xml"}
    missing = await api.get("/no-such-page", headers=html)
    assert_html_page(missing, 404)
    assert "We could not find that" in missing.text and 'action="/search"' in missing.text
    assert_html_page(await api.delete("/cart", headers=html), 405)


async def test_static_files_and_pictures_are_served_with_caching(api: httpx.AsyncClient,
                                                               app: FastAPI) -> None:
    home = await api.get("/")
    css_url = re.search(r'href="(/static/shop\.css\?v=[0-9a-f]+)"', home.text)
    assert css_url
    css = await api.get(css_url.group(1))
    assert css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]
    assert (await api.get("/static/nope.css")).status_code == 404
    await stock_kajal(app.state.services, quantity=1)
    picture = await api.get("/img/p/kajal.svg", params={"sku": KOHL})
    assert picture.headers["content-type"] == "image/svg+xml"
    assert picture.text.startswith("<svg") and "#1A1A1A" in picture.text


async def test_the_departments_are_kept_decoded_for_a_few_seconds(app: FastAPI) -> None:
    shop = app.state.services.storefront
    clock = FakeClock()
    storefront = Storefront(config=shop.config, peers=shop.peers, assets=shop.assets,
                            clock=clock.monotonic)
    catalog = app.state.services.catalog
    before = [d.slug for d in await storefront.departments()]
    await catalog.create_category(data=CategoryCreate(slug="wellness", name="Wellness"))
    clock.advance(DEPARTMENTS_SECONDS - 0.5)
    assert [d.slug for d in await storefront.departments()] == before  # kept
    clock.advance(0.5)
    assert "wellness" in [d.slug for d in await storefront.departments()]  # read again
