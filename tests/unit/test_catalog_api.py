"""Catalog HTTP API on the embedded app: public reads, staff writes and every kind of bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.problems import assert_problem
from tests.unit.catalog_factories import BRANDS, CATEGORIES, product_create

BASE = "/api/v1/catalog"
Headers = dict[str, str]



def product_json(slug: str, **kwargs: Any) -> dict[str, Any]:
    """Return a product payload as JSON."""
    return product_create(slug, **kwargs).model_dump(mode="json")


@pytest.fixture
async def seeded(api: httpx.AsyncClient, staff_headers: Headers) -> Headers:
    """Create the taxonomy and four products through the API; return the staff headers."""
    for slug, name in BRANDS:
        response = await api.post(f"{BASE}/brands", json={"slug": slug, "name": name},
                                  headers=staff_headers)
        assert response.status_code == 201, response.text
    for slug, name, parent in CATEGORIES:
        response = await api.post(f"{BASE}/categories", headers=staff_headers,
                                  json={"slug": slug, "name": name, "parent": parent})
        assert response.status_code == 201, response.text
    products: list[tuple[str, dict[str, Any]]] = [
        ("kajal", {"prices": [(20000, 25000)]}),
        ("mascara", {"category": "mascara", "brand": "maybelline", "prices": [(40000, 40000)]}),
        ("lipstick", {"category": "lipstick", "prices": [(60000, 65000)]}),
        ("cream", {"category": "moisturiser", "brand": "forest",
                   "prices": [(90000, 90000), (70000, 80000)]}),
    ]
    for slug, extra in products:
        response = await api.post(f"{BASE}/products", json=product_json(slug, **extra),
                                  headers=staff_headers)
        assert response.status_code == 201, response.text
    return staff_headers


async def slugs(api: httpx.AsyncClient, params: Any) -> list[str]:
    """Return the product slugs of one listing page."""
    response = await api.get(f"{BASE}/products", params=params)
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["items"]]


async def test_created_product_is_served(api: httpx.AsyncClient, seeded: Headers) -> None:
    response = await api.get(f"{BASE}/products/cream")
    assert response.status_code == 200
    body = response.json()
    assert (body["price_paise"], body["mrp_paise"], body["currency"]) == (70000, 80000, "INR")
    assert [c["slug"] for c in body["breadcrumb"]] == ["skincare", "moisturiser"]
    assert [v["sku"] for v in body["variants"]] == ["CREAM-1", "CREAM-2"]


async def test_listing_filters_and_sorts(api: httpx.AsyncClient, seeded: Headers) -> None:
    assert await slugs(api, {"category": "makeup", "sort": "price_desc"}) == [
        "lipstick", "mascara", "kajal"]
    assert await slugs(api, [("brand", "forest"), ("brand", "maybelline"),
                             ("sort", "name")]) == ["cream", "mascara"]
    assert await slugs(api, {"price_min": 30000, "price_max": 70000, "sort": "price_asc"}) == [
        "mascara", "lipstick", "cream"]
    first = (await api.get(f"{BASE}/products", params={"limit": 1, "sort": "newest"})).json()
    assert first["items"][0]["slug"] == "cream" and first["next_cursor"]
    rest = await slugs(api, {"sort": "newest", "cursor": first["next_cursor"]})
    assert rest == ["lipstick", "mascara", "kajal"]


async def test_categories_and_brands(api: httpx.AsyncClient, seeded: Headers) -> None:
    tree = (await api.get(f"{BASE}/categories")).json()
    assert [n["slug"] for n in tree] == ["makeup", "skincare"]
    assert [n["slug"] for n in tree[0]["children"]] == ["eyes", "lips"]
    brands = (await api.get(f"{BASE}/brands")).json()
    assert {k: brands[0][k] for k in ("slug", "name")} == {"slug": "forest",
                                                        "name": "Forest Essentials"}


@pytest.mark.parametrize("params", [
    {"limit": 1000}, {"limit": 0}, {"limit": "many"}, {"price_min": -1},
    {"price_min": "cheap"}, {"sort": "cheapest"}, {"price_min": 500, "price_max": 100},
    {"category": "Not A Slug"},
])
async def test_bad_listing_query_is_422(api: httpx.AsyncClient, params: dict[str, Any]) -> None:
    assert_problem(await api.get(f"{BASE}/products", params=params), 422, "validation_failed")


async def test_bad_cursor_is_422(api: httpx.AsyncClient, seeded: Headers) -> None:
    page = (await api.get(f"{BASE}/products", params={"limit": 1, "sort": "name"})).json()
    for sort, cursor in (("name", "garbage!"), ("price_asc", page["next_cursor"])):
        response = await api.get(f"{BASE}/products", params={"sort": sort, "cursor": cursor})
        assert_problem(response, 422, "invalid_cursor")


async def test_unknown_things_are_404(api: httpx.AsyncClient, seeded: Headers) -> None:
    assert_problem(await api.get(f"{BASE}/products/no-such"), 404, "product_not_found")
    assert_problem(await api.get(f"{BASE}/products", params={"category": "no-such"}), 404,
                   "category_not_found")
    assert_problem(await api.put(f"{BASE}/variants/NOPE-1/price", json={"price_paise": 100},
                                 headers=seeded), 404, "variant_not_found")
    for action in ("publish", "unpublish"):
        assert_problem(await api.post(f"{BASE}/products/no-such/{action}", headers=seeded), 404)
    assert_problem(await api.patch(f"{BASE}/products/no-such", json={"name": "X"},
                                   headers=seeded), 404)


WRITES = [
    ("POST", "/products", product_json("new-product")),
    ("PATCH", "/products/kajal", {"name": "Renamed"}),
    ("PUT", "/variants/KAJAL-1/price", {"price_paise": 100}),
    ("POST", "/products/kajal/publish", None),
    ("POST", "/products/kajal/unpublish", None),
    ("POST", "/brands", {"slug": "new-brand", "name": "New"}),
    ("POST", "/categories", {"slug": "new-category", "name": "New"}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_writes_need_staff(api: httpx.AsyncClient, app: FastAPI, method: str, path: str,
                                 body: dict[str, Any] | None) -> None:
    assert_problem(await api.request(method, f"{BASE}{path}", json=body), 401)
    await app.state.services.accounts.create_user(
        email="shopper@example.com", password="peacock-feather-ink", name="Shopper",
        role="customer")
    login = await api.post("/api/v1/accounts/login", json={"email": "shopper@example.com",
                                                           "password": "peacock-feather-ink"})
    api.cookies.clear()
    customer = {"Authorization": f"Bearer {login.json()['token']}"}
    assert_problem(await api.request(method, f"{BASE}{path}", json=body, headers=customer), 403)


async def test_duplicates_are_409(api: httpx.AsyncClient, seeded: Headers) -> None:
    response = await api.post(f"{BASE}/products", json=product_json("kajal"), headers=seeded)
    assert_problem(response, 409, "duplicate_slug")
    clash = product_json("kajal-two")
    clash["variants"][0]["sku"] = "MASCARA-1"
    assert_problem(await api.post(f"{BASE}/products", json=clash, headers=seeded), 409,
                   "duplicate_sku")
    assert_problem(await api.post(f"{BASE}/brands", json={"slug": "lakme", "name": "L"},
                                  headers=seeded), 409, "duplicate_slug")
    assert_problem(await api.patch(f"{BASE}/products/kajal", json={"slug": "mascara"},
                                   headers=seeded), 409, "duplicate_slug")


@pytest.mark.parametrize("change", [
    {"variants": [{"sku": "X-1", "name": "a", "mrp_paise": "lots", "price_paise": 1}]},
    {"variants": []}, {"slug": "Bad Slug"}, {"images": ["ftp://cdn/x.jpg"]},
    {"variants": [{"sku": "X-1", "name": "a", "mrp_paise": 100, "price_paise": 101}]},
    {"variants": [{"sku": "X-1", "name": "a", "mrp_paise": 100, "price_paise": 90,
                   "shade_hex": "red"}]},
    {"attributes": {f"k{i}": ["v"] for i in range(21)}}, {"unexpected": True},
])
async def test_bad_product_payload_is_422(api: httpx.AsyncClient, seeded: Headers,
                                          change: dict[str, Any]) -> None:
    body = product_json("fresh") | change
    assert_problem(await api.post(f"{BASE}/products", json=body, headers=seeded), 422)


async def test_unknown_brand_in_payload_is_422(api: httpx.AsyncClient, seeded: Headers) -> None:
    body = product_json("fresh", brand="nobody")
    assert_problem(await api.post(f"{BASE}/products", json=body, headers=seeded), 422,
                   "unknown_reference")
    response = await api.post(f"{BASE}/products", content=b"{not json", headers=seeded | {
        "content-type": "application/json"})
    assert_problem(response, 400, "malformed_json")


async def test_update_price_and_publishing(api: httpx.AsyncClient, seeded: Headers) -> None:
    await api.get(f"{BASE}/products/kajal")  # warm the cache: the writes must invalidate it
    response = await api.patch(f"{BASE}/products/kajal", json={"name": "Kajal Intense"},
                               headers=seeded)
    assert response.status_code == 200 and response.json()["name"] == "Kajal Intense"
    assert_problem(await api.put(f"{BASE}/variants/KAJAL-1/price", json={"price_paise": 25001},
                                 headers=seeded), 422, "price_above_mrp")
    assert_problem(await api.put(f"{BASE}/variants/KAJAL-1/price", json={"price_paise": 0},
                                 headers=seeded), 422)
    response = await api.put(f"{BASE}/variants/KAJAL-1/price", headers=seeded,
                             json={"price_paise": 18000, "mrp_paise": 26000})
    assert response.status_code == 200
    assert (response.json()["price_paise"], response.json()["mrp_paise"]) == (18000, 26000)
    product = (await api.get(f"{BASE}/products/kajal")).json()
    assert (product["name"], product["price_paise"]) == ("Kajal Intense", 18000)
    response = await api.post(f"{BASE}/products/kajal/unpublish", headers=seeded)
    assert response.status_code == 200 and response.json()["published"] is False
    assert_problem(await api.get(f"{BASE}/products/kajal"), 404, "product_not_found")
    assert "kajal" not in await slugs(api, {})
    response = await api.post(f"{BASE}/products/kajal/publish", headers=seeded)
    assert response.status_code == 200
    assert (await api.get(f"{BASE}/products/kajal")).status_code == 200


@pytest.mark.parametrize("path", ["/products/kajal", "/products?sort=price_asc", "/brands",
                                  "/categories"])
async def test_public_reads_carry_an_etag_and_a_held_copy_is_not_sent_again(
        api: httpx.AsyncClient, seeded: Headers, path: str) -> None:
    first = await api.get(f"{BASE}{path}")
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    assert first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    held = await api.get(f"{BASE}{path}", headers={"If-None-Match": f'"other", {etag}'})
    assert held.status_code == 304 and held.content == b"" and held.headers["etag"] == etag
    assert (await api.get(f"{BASE}{path}", headers={"If-None-Match": '"other"'})).content \
        == first.content


async def test_a_price_change_changes_the_etag(api: httpx.AsyncClient, seeded: Headers) -> None:
    before = await api.get(f"{BASE}/products/kajal")
    listed = await api.get(f"{BASE}/products", params={"sort": "price_asc"})
    response = await api.put(f"{BASE}/variants/KAJAL-1/price", headers=seeded,
                             json={"price_paise": 18000})
    assert response.status_code == 200
    for path, old in (("/products/kajal", before), ("/products?sort=price_asc", listed)):
        now = await api.get(f"{BASE}{path}", headers={"If-None-Match": old.headers["etag"]})
        assert now.status_code == 200 and now.headers["etag"] != old.headers["etag"]
        assert "18000" in now.text


async def test_openapi_documents_problem_responses(app: FastAPI) -> None:
    operation = app.openapi()["paths"][f"{BASE}/products"]["post"]
    assert {"401", "403", "409", "422"} <= set(operation["responses"])
    assert "application/problem+json" in operation["responses"]["409"]["content"]
