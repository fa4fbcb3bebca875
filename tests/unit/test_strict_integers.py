"""Money, quantities, ids and counts are integers in every API: `true`, `1.5` and `"5"` in a JSON
body are refused (lax parsing read `true` as 1 paise), while query strings still parse "20"."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import Field

from orchid.kit.numbers import JsonInt, QueryInt
from orchid.services.registry import Services
from tests.support.problems import assert_problem
from tests.unit.cart_factories import KAJAL, stock_kajal

NOT_INTEGERS: list[Any] = [True, False, 1.5, "5", None, [1]]
Headers = dict[str, str]


@pytest.fixture
async def seeded(app: FastAPI) -> Services:
    """A kajal in two shades, stocked in BLR-1."""
    return await stock_kajal(app.state.services, quantity=20)


def test_the_aliases_refuse_what_lax_mode_took() -> None:
    from pydantic import TypeAdapter, ValidationError

    body = TypeAdapter(Annotated[int, Field(ge=1, le=99), JsonInt])
    query = TypeAdapter(Annotated[int, QueryInt])
    assert body.validate_json("20") == 20 and query.validate_python("20") == 20
    # JSON Schema's integer admits 20.0, so the documented schema and the API agree.
    assert body.validate_json("20.0") == 20 and isinstance(body.validate_json("20.0"), int)
    assert body.json_schema() == {"type": "integer", "minimum": 1, "maximum": 99}
    assert query.validate_python("-3") == -3 and query.validate_python(7) == 7
    for text in ("true", "1.5", '"5"', "100", "1e300"):
        with pytest.raises(ValidationError):
            body.validate_json(text)
    for value in (True, 1.0, "2_0", " 20", "+20", "20.0", "1e3", "٢٠", "", "9" * 21):
        with pytest.raises(ValidationError):
            query.validate_python(value)


@pytest.mark.parametrize("price", NOT_INTEGERS)
async def test_a_price_must_be_an_integer(api: httpx.AsyncClient, seeded: Services,
                                          staff_headers: Headers, price: Any) -> None:
    response = await api.put(f"/api/v1/catalog/variants/{KAJAL}/price",
                             json={"price_paise": price}, headers=staff_headers)
    assert_problem(response, 422, "validation_failed")
    variant = (await seeded.catalog.get_variants(skus=[KAJAL]))[0]
    assert variant.price_paise == 49900  # unchanged


@pytest.mark.parametrize("quantity", NOT_INTEGERS)
async def test_a_cart_quantity_must_be_an_integer(api: httpx.AsyncClient, seeded: Services,
                                                  quantity: Any) -> None:
    added = await api.post("/api/v1/cart/items", json={"sku": KAJAL, "quantity": quantity})
    assert_problem(added, 422, "validation_failed")
    first = await api.post("/api/v1/cart/items", json={"sku": KAJAL, "quantity": 2})
    assert first.status_code == 201, first.text
    changed = await api.patch(f"/api/v1/cart/items/{KAJAL}", json={"quantity": quantity})
    assert_problem(changed, 422, "validation_failed")
    assert [line["quantity"] for line in (await api.get("/api/v1/cart")).json()["lines"]] == [2]


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/inventory/restock", {"warehouse_code": "BLR-1", "sku": KAJAL, "quantity": True}),
    ("/api/v1/inventory/adjust", {"warehouse_code": "BLR-1", "sku": KAJAL, "on_hand": 1.5,
                                  "note": "counted"}),
    ("/api/v1/catalog/categories", {"slug": "nails", "name": "Nails", "position": True}),
])
async def test_staff_counts_must_be_integers(api: httpx.AsyncClient, seeded: Services,
                                             staff_headers: Headers, path: str,
                                             body: dict[str, Any]) -> None:
    assert_problem(await api.post(path, json=body, headers=staff_headers), 422,
                   "validation_failed")


@pytest.mark.parametrize("path", ["/api/v1/catalog/products", "/api/v1/search",
                                  "/api/v1/search/suggest?q=ka", "/api/v1/orders",
                                  "/api/v1/admin/orders",
                                  f"/api/v1/inventory/movements?sku={KAJAL}"])
async def test_query_integers_parse_digits_only(api: httpx.AsyncClient, seeded: Services,
                                                staff_headers: Headers, path: str) -> None:
    joiner = "&" if "?" in path else "?"
    ok = await api.get(f"{path}{joiner}limit=10", headers=staff_headers)
    assert ok.status_code == 200, ok.text
    for bad in ("true", "1_0", "10.0", "+10"):
        response = await api.get(f"{path}{joiner}limit={bad}", headers=staff_headers)
        assert_problem(response, 422, "validation_failed")


async def test_price_filters_parse_digits_only(api: httpx.AsyncClient, seeded: Services) -> None:
    for path in ("/api/v1/catalog/products", "/api/v1/search"):
        assert (await api.get(path, params={"price_min": "100"})).status_code == 200
        assert_problem(await api.get(path, params={"price_min": "true"}), 422)
