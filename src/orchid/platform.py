"""The shared resources of one Orchid process, built from settings at the entry point.

Services receive what they need from here through their `build(resources)` function; nothing
below the entry point reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from orchid.config import Settings
from orchid.events.bus import Bus, InProcessBus, bus_of
from orchid.kit.cache import Cache
from orchid.kit.db import Database
from orchid.kit.doorbell import Doorbell
from orchid.kit.kv import ForgetfulStore, KeyValueStore, MemoryStore, RedisStore
from orchid.kit.ratelimit import RateLimiter


@dataclass
class Resources:
    """Databases, key-value store, HTTP client and caches of one process."""

    settings: Settings
    main_db: Database
    warehouse_db: Database
    store: KeyValueStore
    http: httpx.AsyncClient
    bus: Bus = field(default_factory=InProcessBus)  # the events' bus (Pub/Sub or in-process)
    _caches: dict[str, Cache] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Resources:
        """Create (but do not yet connect) every resource the settings describe."""
        routing: dict[str, Any] = {
            "max_lag": settings.replica_max_lag_seconds,
            "retry_after": settings.replica_retry_seconds,
            "check_interval": settings.replica_check_interval_seconds,
            "ryw_window": settings.read_your_writes_seconds,
            "pool_size": settings.db_pool_size,
        }
        if settings.embedded:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        store: KeyValueStore = (
            RedisStore.from_url(settings.redis_url, timeout=settings.redis_timeout_seconds,
                                max_connections=settings.redis_max_connections)
            if settings.redis_url else MemoryStore())
        # Writers ring the relay through Redis when there is one: it may run in another process.
        redis = store.client if isinstance(store, RedisStore) else None
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.peer_timeout_seconds, connect=1.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))
        return cls(
            settings=settings,
            main_db=Database("main", settings.main_url(), settings.main_replica_urls,
                             doorbell=Doorbell("orchid:outbox:main", redis), **routing),
            warehouse_db=Database("warehouse", settings.warehouse_url(),
                                  settings.warehouse_replica_urls,
                                  doorbell=Doorbell("orchid:outbox:warehouse", redis), **routing),
            store=store,
            http=http,
            bus=bus_of(settings.pubsub_project),
        )

    def cache(self, name: str) -> Cache:
        """Return the named cache (one per service), created on first use."""
        if name not in self._caches:
            store = self.store if self.settings.cache_enabled else ForgetfulStore()
            self._caches[name] = Cache(store, name=name, ttl=self.settings.cache_ttl_seconds,
                                       jitter=self.settings.cache_jitter,
                                       retry_after=self.settings.redis_retry_seconds,
                                       settle=self.settings.replica_max_lag_seconds
                                       if self.settings.main_replica_urls else 0.0)
        return self._caches[name]

    @property
    def limiter(self) -> RateLimiter:
        """A rate limiter on the shared store."""
        return RateLimiter(self.store)

    async def start(self) -> None:
        """Begin watching replicas."""
        await self.main_db.start()
        await self.warehouse_db.start()

    async def close(self) -> None:
        """Release every connection (and stop the caches' timers, which use the store)."""
        await self.bus.close()  # its subscribers first: they may still use the rest
        for cache in self._caches.values():
            await cache.close()
        await self.main_db.close()
        await self.warehouse_db.close()
        await self.main_db.doorbell.close()
        await self.warehouse_db.doorbell.close()
        await self.store.close()
        await self.http.aclose()
