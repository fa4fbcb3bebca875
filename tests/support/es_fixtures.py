"""Session fixture that starts a real Elasticsearch (see tests/support/elasticsearch.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.elasticsearch import Elasticsearch


@pytest.fixture(scope="session")
def es_server() -> Iterator[Elasticsearch]:
    """One single-node Elasticsearch for the session, removed afterwards."""
    server = Elasticsearch.start()
    yield server
    server.remove()
