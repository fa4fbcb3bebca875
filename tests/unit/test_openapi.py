"""The OpenAPI document says what clients get: security schemes on the routes that read a session,
and every error as application/problem+json; malformed JSON is a documented 400; a 405 lists
every method of its path."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orchid.kit.errors import PROBLEM_JSON
from tests.support.problems import assert_problem

PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
EITHER_SESSION: list[dict[str, list[str]]] = [{"session": []}, {"bearer": []}]


@pytest.fixture
async def spec(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in spec["paths"].items()
            for method, operation in item.items()]


def test_session_schemes_are_declared_where_a_session_is_read(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["session"] == {"type": "apiKey", "in": "cookie", "name": "orchid_session",
                                  "description": schemes["session"]["description"]}
    assert schemes["bearer"]["type"] == "http" and schemes["bearer"]["scheme"] == "bearer"
    paths = spec["paths"]
    for path, method in (("/api/v1/accounts/me", "get"), ("/api/v1/orders", "get"),
                         ("/api/v1/checkout", "post"), ("/api/v1/admin/orders", "get"),
                         ("/api/v1/catalog/variants/{sku}/price", "put"),
                         ("/api/v1/inventory/restock", "post")):
        assert paths[path][method]["security"] == EITHER_SESSION, (path, method)
    # A guest's cart and sign-out read a session when there is one; `{}` says none is needed.
    for path, method in (("/api/v1/cart", "get"), ("/api/v1/cart/items", "post"),
                         ("/api/v1/accounts/logout", "post")):
        assert paths[path][method]["security"] == [*EITHER_SESSION, {}], (path, method)
    for path in ("/api/v1/catalog/products", "/api/v1/search", "/api/v1/catalog/brands"):
        assert "security" not in paths[path]["get"], path


def test_every_error_is_documented_as_a_problem(spec: dict[str, Any]) -> None:
    assert "Problem" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    problem = spec["components"]["schemas"]["Problem"]
    assert {"title", "status"} <= set(problem["required"])
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        errors = {status: r for status, r in responses.items() if int(status) >= 400}
        assert "500" in errors, (path, method)
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(errors), (path, method)
        for status, response in errors.items():
            assert response["content"] == PROBLEM, (path, method, status)
    login = spec["paths"]["/api/v1/accounts/login"]["post"]["responses"]
    assert "malformed_json" in login["400"]["description"]
    assert login["401"]["description"] == "Wrong email or password"  # the route's own words


async def test_malformed_json_is_a_400_problem(api: httpx.AsyncClient) -> None:
    for body in (b"{not json", b"[1", b"\xff\xfe"):
        response = await api.post("/api/v1/accounts/login", content=body,
                                  headers={"content-type": "application/json"})
        problem = assert_problem(response, 400, "malformed_json")
        assert problem["errors"][0]["type"] == "json_invalid"
    # Past the parser's limits: nesting that exhausts its recursion, a 5000-digit number.
    for body in (b"[" * 100_000 + b"]" * 100_000, b"1" * 5000):
        response = await api.post("/api/v1/accounts/login", content=body,
                                  headers={"content-type": "application/json"})
        assert_problem(response, 400, "malformed_json")
    missing = await api.post("/api/v1/accounts/login", json={"email": "a@b.in"})
    assert_problem(missing, 422, "validation_failed")  # valid JSON, broken rules: still 422


async def test_a_405_lists_every_method_of_its_path(api: httpx.AsyncClient) -> None:
    response = await api.delete("/api/v1/accounts/preferences")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, PUT"
    assert (await api.post("/api/v1/catalog/products/kajal")).headers["allow"] == "GET, PATCH"
    page = await api.delete("/cart", headers={"accept": "text/html"})  # a browser gets a page
    assert page.status_code == 405 and page.headers["content-type"].startswith("text/html")
    assert page.headers["allow"] == "GET"
