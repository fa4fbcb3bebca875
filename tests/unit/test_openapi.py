"""The OpenAPI document says what clients get: security schemes on the routes that read a
session."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

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
                         ("/api/v1/inventory/restock", "post"), ("/api/v1/cart", "get")):
        assert paths[path][method]["security"] == EITHER_SESSION, (path, method)
    for path in ("/api/v1/catalog/products", "/api/v1/search", "/api/v1/catalog/brands"):
        assert "security" not in paths[path]["get"], path
