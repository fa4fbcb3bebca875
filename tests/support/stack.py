"""Settings for an Orchid process on the real servers of the test session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

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
