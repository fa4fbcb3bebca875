"""Settings for an Orchid process on the real servers of the test session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from orchid.app import create_app
from orchid.config import Settings
from orchid.migrate import upgrade
from tests.support.servers import MariaDBPair, Redis

TEST_SECRET = "test-secret-key-for-orchid-unit-tests-only"


def settings_on_servers(main: MariaDBPair, warehouse: MariaDBPair, redis: Redis,
                        data_dir: Path, **overrides: Any) -> Settings:
    """Point settings at the servers, migrate both schemas on the primaries, wait for replicas."""
    settings = Settings(
        data_dir=data_dir,
        main_primary_url=main.primary.url("orchid_main"),
        main_replica_urls=[r.url("orchid_main") for r in main.replicas],
        warehouse_primary_url=warehouse.primary.url("orchid_warehouse"),
        warehouse_replica_urls=[r.url("orchid_warehouse") for r in warehouse.replicas],
        redis_url=redis.url(), secret_key=SecretStr(TEST_SECRET), log_json=False,
        replica_check_interval_seconds=0.2, **overrides)
    upgrade(settings.main_url(), "main", settings.migrations_dir)
    upgrade(settings.warehouse_url(), "warehouse", settings.migrations_dir)
    main.wait_replicated()
    warehouse.wait_replicated()
    return settings


def caller_keys() -> dict[str, str]:
    """A fixed caller key per service, for tests that split services over processes."""
    from orchid.services.registry import SERVICE_NAMES

    return {name: f"test-caller-key-of-{name}-0123456789abcdef" for name in SERVICE_NAMES}


def split_overrides(own: list[str] | None = None) -> dict[str, Any]:
    """Settings of a split process: its own caller keys (all when None), every caller known."""
    from orchid.kit.callers import key_digest

    keys = caller_keys()
    mine = keys if own is None else {name: keys[name] for name in own}
    return {"internal_keys": {name: SecretStr(key) for name, key in mine.items()},
            "internal_callers": {name: key_digest(key) for name, key in keys.items()}}


def split_env(own: list[str] | None = None) -> dict[str, str]:
    """The same as environment variables, for `orchid serve` in a child process."""
    from orchid.kit.callers import as_pairs, key_digest

    keys = caller_keys()
    mine = keys if own is None else {name: keys[name] for name in own}
    return {"ORCHID_INTERNAL_KEYS": as_pairs(mine),
            "ORCHID_INTERNAL_CALLERS": as_pairs({n: key_digest(k) for n, k in keys.items()})}


def caller_headers(caller: str) -> dict[str, str]:
    """The headers by which service `caller` identifies itself on an internal call."""
    from orchid.kit.callers import Credential

    return Credential(caller, caller_keys()[caller]).headers()


@asynccontextmanager
async def shop_on(settings: Settings, *,
                  timeout: float = 60) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app, started (its lifespan), and an in-process client of it. A 500 comes back as an
    answer, which a drill's load records as an error, not as an exception ending a shopper."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop",
                                     timeout=timeout) as api:
            yield application, api
