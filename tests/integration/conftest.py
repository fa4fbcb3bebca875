"""Integration tests run against real servers started for the session (see tests/support)."""

from __future__ import annotations

import pytest

from tests.support.es_fixtures import es_server
from tests.support.fixtures import main_db_pair, redis_server, warehouse_db_pair

__all__ = ["es_server", "main_db_pair", "redis_server", "warehouse_db_pair"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything under tests/integration as an integration test."""
    for item in items:
        if "/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)
