"""Integration tests run against real servers started for the session (see tests/support)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.es_fixtures import es_server
from tests.support.servers import PubSubEmulator

# The MariaDB pairs and Redis are registered once, in tests/conftest.py: a second registration
# here would start a second set of servers for the same session, in the same folder.
__all__ = ["es_server"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything under tests/integration as an integration test."""
    for item in items:
        if "/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PubSubEmulator]:
    """A Pub/Sub emulator of the module's own (tests may stop it), found by the client through
    PUBSUB_EMULATOR_HOST."""
    server = PubSubEmulator.start(tmp_path_factory.mktemp("pubsub"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PUBSUB_EMULATOR_HOST", server.host)
        yield server
    server.stop()
