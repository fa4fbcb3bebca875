"""Fixtures shared by every test: an embedded Orchid app on a migrated temporary data dir."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from orchid.app import create_app
from orchid.config import Settings
from orchid.kit.db import Database
from orchid.migrate import upgrade
from tests.support.fixtures import main_db_pair, redis_server, warehouse_db_pair
from tests.support.stack import TEST_SECRET, split_overrides

# The real servers, started once per session by whichever test asks first (integration, deploy).
__all__ = ["main_db_pair", "redis_server", "warehouse_db_pair"]

STAFF_EMAIL, STAFF_PASSWORD = "staff@orchid.test", "marigold-ledger-93"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate the embedded databases once; each test gets a copy."""
    template = tmp_path_factory.mktemp("template")
    settings = Settings(data_dir=template)
    upgrade(settings.main_url(), "main", settings.migrations_dir)
    upgrade(settings.warehouse_url(), "warehouse", settings.migrations_dir)
    return template


def embedded_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for an embedded app in `data_dir`.

    The outbox relay is off unless asked for: on SQLite its write transactions (marking events
    sent) make the test's own writes wait for the lock, 10–15 % of the time of checkout-heavy
    tests. The relay has its own tests; a test marked `events_relay` gets an app with it on."""
    overrides.setdefault("events_relay", False)
    return Settings(data_dir=data_dir, secret_key=SecretStr(TEST_SECRET), log_json=False,
                    **overrides)


@pytest.fixture
def data_dir(tmp_path: Path, migrated_template: Path) -> Path:
    """A fresh, migrated embedded data dir."""
    target = tmp_path / "data"
    shutil.copytree(migrated_template, target)
    return target


@pytest.fixture
async def db(data_dir: Path) -> AsyncIterator[Database]:
    """The embedded main database, migrated through the real Alembic history."""
    database = Database("main", f"sqlite+aiosqlite:///{data_dir / 'main.db'}")
    yield database
    await database.close()


@pytest.fixture
async def app(data_dir: Path, request: pytest.FixtureRequest) -> AsyncIterator[FastAPI]:
    """The embedded app with every service, started (relaying its outboxes as `make run`
    does when the test is marked `events_relay`)."""
    relay = request.node.get_closest_marker("events_relay") is not None
    application = create_app(embedded_settings(data_dir, events_relay=relay))
    async with application.router.lifespan_context(application):
        yield application


Apart = Callable[[list[str]], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def apart(data_dir: Path) -> AsyncIterator[Apart]:
    """Start a process running only the named services (on the same data dir), as another
    process sees it: its internal routes are mounted and guarded (tests.support.stack keys)."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(services: list[str]) -> httpx.AsyncClient:
            app = create_app(embedded_settings(data_dir, services=services,
                                               **split_overrides()))
            await stack.enter_async_context(app.router.lifespan_context(app))
            return await stack.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://apart"))

        yield start


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the embedded app."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def staff_headers(app: FastAPI, api: httpx.AsyncClient) -> dict[str, str]:
    """Authorization header of a logged-in staff user."""
    await app.state.services.accounts.create_user(
        email=STAFF_EMAIL, password=STAFF_PASSWORD, name="Staff Member", role="staff")
    response = await api.post("/api/v1/accounts/login",
                              json={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text
    api.cookies.clear()  # tests choose per request whether to send the token
    return {"Authorization": f"Bearer {response.json()['token']}"}


