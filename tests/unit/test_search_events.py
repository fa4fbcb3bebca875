"""Search follows the catalog's events in the embedded app: a price change or a rename reaches
the results through outbox → relay → bus → search, with the read-triggered sync turned off."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from orchid.seed.load import seed_catalog
from orchid.services.search.service import SearchService
from tests.support.waiting import until_async

pytestmark = pytest.mark.events_relay  # the app publishes its outboxes, as `make run`'s does


async def hits(api: httpx.AsyncClient, q: str) -> list[dict[str, Any]]:
    answer = await api.get("/api/v1/search", params={"q": q})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_a_price_change_and_a_rename_reach_search_by_their_events(
        app: FastAPI, api: httpx.AsyncClient, staff_headers: dict[str, str]) -> None:
    await seed_catalog(app.state.resources, products=60, seed=5)
    search: SearchService = app.state.services.search
    first = (await hits(api, "kajal"))[0]  # the first search indexes the seeded catalog
    search.auto_sync_seconds = None  # from here on only the events can update the index
    product = (await api.get(f"/api/v1/catalog/products/{first['slug']}")).json()
    sku = product["variants"][0]["sku"]
    cheaper = first["price_paise"] - 100
    changed = await api.put(f"/api/v1/catalog/variants/{sku}/price", headers=staff_headers,
                            json={"price_paise": cheaper})
    assert changed.status_code == 200, changed.text
    renamed = await api.patch(f"/api/v1/catalog/products/{first['slug']}",
                              headers=staff_headers, json={"name": "Zanzibar Kohl Wonder"})
    assert renamed.status_code == 200, renamed.text

    async def reindexed() -> bool:
        found = await hits(api, "zanzibar")
        return [(h["slug"], h["price_paise"]) for h in found] == [(first["slug"], cheaper)]

    await until_async(reindexed, timeout=10, what="the renamed, cheaper product in search")
