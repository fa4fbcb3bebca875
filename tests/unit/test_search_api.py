"""Search HTTP API on the embedded app over seeded demo products: queries, facets, paging,
bad input, and the index following catalog changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from orchid.kit.orm import utcnow
from orchid.seed.load import seed_catalog
from orchid.services.search.service import SearchService
from tests.support.clock import FakeClock
from tests.support.problems import assert_problem

BASE = "/api/v1/search"
PRODUCTS, SEED = 400, 3


@pytest.fixture
async def seeded(app: FastAPI) -> SearchService:
    """Seed demo products (with stock); the first search indexes them."""
    await seed_catalog(app.state.resources, products=PRODUCTS, seed=SEED)
    search: SearchService = app.state.services.search
    return search


async def get(api: httpx.AsyncClient, path: str = "", **params: Any) -> Any:
    response = await api.get(f"{BASE}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_search_answers_with_hits_facets_and_engine(
        api: httpx.AsyncClient, seeded: SearchService) -> None:
    body = await get(api, q="lipstick", limit=5)
    assert body["engine"] == "fts5"
    assert 0 < len(body["items"]) <= 5 and body["total"] >= len(body["items"])
    assert all("lipstick" in hit["name"].lower() for hit in body["items"][:3])
    brands = body["facets"]["brand"]
    assert brands and brands[0]["label"] != brands[0]["value"]  # labelled with brand names
    assert sum(b["count"] for b in body["facets"]["price"]) == body["total"]
    assert {"makeup", "lips"} <= {c["value"] for c in body["facets"]["category"]}


async def test_filters_apply(api: httpx.AsyncClient, seeded: SearchService) -> None:
    lips = await get(api, category="lips", limit=100)
    assert lips["total"] > 0
    assert {hit["category"] for hit in lips["items"]} <= {
        "lipstick", "liquid-lipstick", "lip-gloss", "lip-liner", "lip-balm"}
    cheap = await get(api, price_max=29900, in_stock="true", limit=100)
    assert all(h["price_paise"] <= 29900 and h["in_stock"] for h in cheap["items"])
    brand = lips["facets"]["brand"][0]["value"]
    one_brand = await get(api, category="lips", brand=brand, limit=100)
    assert {h["brand"]["slug"] for h in one_brand["items"]} == {brand}
    assert one_brand["total"] == lips["facets"]["brand"][0]["count"]


async def test_cursor_pages_through_a_sort(api: httpx.AsyncClient, seeded: SearchService) -> None:
    seen: list[int] = []
    slugs: set[str] = set()
    params: dict[str, Any] = {"category": "skincare", "sort": "price_desc", "limit": 40}
    while True:
        body = await get(api, **params)
        seen += [hit["price_paise"] for hit in body["items"]]
        slugs |= {hit["slug"] for hit in body["items"]}
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == sorted(seen, reverse=True)
    assert len(slugs) == len(seen) == body["total"]


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"limit": 0}, 422, "validation_failed"),
    ({"limit": 101}, 422, "validation_failed"),
    ({"price_min": 500, "price_max": 100}, 422, "validation_failed"),
    ({"sort": "cheapest"}, 422, "validation_failed"),
    ({"brand": "Not A Slug"}, 422, "validation_failed"),
    ({"q": "x" * 201}, 422, "validation_failed"),
    ({"cursor": "%%%"}, 422, "invalid_cursor"),
    ({"q": "kajal", "cursor": "eyJzIjoibmV3ZXN0IiwiayI6WzEsMl19"}, 422, "invalid_cursor"),
    ({"category": "no-such-category"}, 404, "category_not_found"),
])
async def test_bad_input_is_a_problem(api: httpx.AsyncClient, seeded: SearchService,
                                      params: dict[str, Any], status: int, code: str) -> None:
    assert_problem(await api.get(BASE, params=params), status, code)


async def test_suggest(api: httpx.AsyncClient, seeded: SearchService) -> None:
    body = await get(api, "/suggest", q="pout")
    assert body["items"][0] == {"text": "Pout Theory", "kind": "brand", "slug": "pout-theory"}
    assert 1 < len(body["items"]) <= 10
    assert all(s["text"].startswith("Pout Theory") for s in body["items"])
    assert len((await get(api, "/suggest", q="lip", limit=3))["items"]) == 3
    assert_problem(await api.get(f"{BASE}/suggest", params={"q": ""}), 422)
    assert_problem(await api.get(f"{BASE}/suggest", params={"q": "lip", "limit": 11}), 422)


async def test_answers_carry_an_etag_and_facets_can_be_left_out(
        api: httpx.AsyncClient, seeded: SearchService) -> None:
    for path, params in (("", {"q": "lipstick"}), ("/suggest", {"q": "lip"})):
        first = await api.get(f"{BASE}{path}", params=params)
        assert first.status_code == 200 and first.headers["cache-control"].startswith("public")
        held = await api.get(f"{BASE}{path}", params=params,
                             headers={"If-None-Match": first.headers["etag"]})
        assert held.status_code == 304 and held.content == b""
    full, bare = await get(api, q="lipstick"), await get(api, q="lipstick", facets="false")
    assert full["facets"]["brand"] and bare["facets"] == {
        "brand": [], "category": [], "price": [], "attributes": {}}
    assert (bare["total"], bare["items"]) == (full["total"], full["items"])


async def test_index_follows_catalog_changes(api: httpx.AsyncClient, seeded: SearchService,
                                             staff_headers: dict[str, str]) -> None:
    first = (await get(api, q="kajal", limit=1))["items"][0]
    seeded.auto_sync_seconds = None  # each step below syncs explicitly
    renamed = await api.patch(f"/api/v1/catalog/products/{first['slug']}", headers=staff_headers,
                              json={"name": "Zanzibar Kohl Wonder"})
    assert renamed.status_code == 200, renamed.text
    report = await seeded.sync_once()
    assert report.upserted >= 1
    assert [h["slug"] for h in (await get(api, q="zanzibar"))["items"]] == [first["slug"]]
    hidden = await api.post(f"/api/v1/catalog/products/{first['slug']}/unpublish",
                            headers=staff_headers)
    assert hidden.status_code == 200
    await seeded.index_product(slug=first["slug"])
    assert (await get(api, q="zanzibar"))["total"] == 0
    await api.post(f"/api/v1/catalog/products/{first['slug']}/publish", headers=staff_headers)
    await seeded.sync_once()
    assert (await get(api, q="zanzibar"))["total"] == 1
    await seeded.remove_product(slug=first["slug"])
    assert (await get(api, q="zanzibar"))["total"] == 0


async def test_a_restarted_process_does_not_re_read_a_settled_catalog(
        seeded: SearchService, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded.auto_sync_seconds = None
    clock = FakeClock(start=utcnow())  # after the seed: its stamps are in the past
    seeded.indexer.clock = clock.now
    # An overlap longer than the catalog's age: a sync whose previous read is less than a day
    # back re-reads everything, whatever the seed's stamps are.
    monkeypatch.setattr("orchid.services.search.sync.OVERLAP", timedelta(days=1))
    [engine] = seeded.engines
    first = await seeded.sync_once()  # the first sync indexes the catalog
    stored = await engine.watermark()
    assert first.upserted > 0 and stored is not None and stored.read_at == clock.now()
    clock.advance(timedelta(days=1, seconds=1).total_seconds())
    seeded.indexer._read_at.clear()  # as a new process: nothing remembered in memory
    # The previous read is a day back, the newest stamp just before it: re-read the overlap once.
    assert (await seeded.sync_once()).upserted == first.upserted
    stored = await engine.watermark()
    assert stored is not None and stored.read_at == clock.now()  # and say where it began
    seeded.indexer._read_at.clear()  # restarted again: the stored read time is enough
    # Without it every restart re-reads from the watermark less the overlap: the whole catalog
    # again, here.
    assert (await seeded.sync_once()).upserted == 0
