"""Cache-aside over a key-value store: TTL with jitter, one loader per key, never a 500.

    cache = Cache(store, name="catalog", ttl=300)
    product = await cache.get_or_load("product:kajal", load_product, adapter=PRODUCT)
    await cache.invalidate("product:kajal")

A read that both peers (typed values) and a route (the JSON as stored) serve names its entry
once: `cache.value(entry)` or `cache.json(entry)`, with `Entry(key, load, adapter)`.

A group of entries too many to name (every page of a listing, every search) lives under a
generation: `generation(key)` is a token that keys the group's entries, and `invalidate(key)`
starts a new one — the old entries are never read again and age out by their TTL:

    key = await cache.in_generation("listings", f"list:{digest_of(query)}")
    page = await cache.get_or_load(key, load_page, adapter=PAGE)

Invalidation deletes twice: now, and again `settle` seconds later, because a reader on a replica
that had not yet applied the write may have refilled the key with the old value in between.

When the store is unreachable the loader's value is served directly (logged and counted), and
the store is left alone for `retry_after` seconds so requests do not each pay a connect timeout.
Invalidations that could not reach the store are retried on the next successful contact.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel, TypeAdapter

from orchid.kit.clock import Clock, Sleep
from orchid.kit.errors import Unavailable
from orchid.kit.kv import KeyValueStore
from orchid.kit.metrics import CACHE_REQUESTS

T = TypeVar("T")
GENERATION = TypeAdapter(str)
log = structlog.get_logger("orchid.cache")


def digest_of(asked: BaseModel) -> str:
    """A short key part naming what was asked (a query with a cursor is long)."""
    return hashlib.blake2b(asked.model_dump_json().encode(), digest_size=16).hexdigest()


def in_generation(name: str, generation: str) -> str:
    """The key of `name` within `generation` (read once for many names: Cache.generation)."""
    return f"{name}:{generation}"


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One cached read: its key, how to load it and how it is stored."""

    key: str
    load: Callable[[], Awaitable[T]]
    adapter: TypeAdapter[T]
    ttl: float | None = None


class Cache:
    """Cache-aside with request coalescing and graceful degradation."""

    def __init__(self, store: KeyValueStore, *, name: str, ttl: float = 300, jitter: float = 0.1,
                 retry_after: float = 2.0, settle: float = 0.0,
                 rng: Callable[[], float] = random.random,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self.store, self.name, self.ttl, self.jitter = store, name, ttl, jitter
        self.retry_after, self.settle = retry_after, settle
        self._settling: set[asyncio.Task[None]] = set()
        self._rng, self._clock, self._sleep = rng, clock, sleep
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._generation: dict[str, int] = {}
        self._down_until = 0.0
        self._pending_invalidations: set[str] = set()
        self._counters: dict[str, Any] = {}

    def _key(self, key: str) -> str:
        return f"cache:{self.name}:{key}"

    def _ttl(self, ttl: float | None) -> float:
        # Jitter spreads expiries so a hot set of keys does not expire in one stampede.
        base = ttl if ttl is not None else self.ttl
        return base * (1 + self.jitter * (2 * self._rng() - 1))

    def _count(self, result: str, n: int = 1) -> None:
        counter = self._counters.get(result)
        if counter is None:  # labels() once per outcome, not once per read
            counter = self._counters[result] = CACHE_REQUESTS.labels(self.name, result)
        if n:
            counter.inc(n)

    def _store_usable(self) -> bool:
        return self._clock() >= self._down_until

    def _mark_down(self, exc: Exception) -> None:
        self._down_until = self._clock() + self.retry_after
        log.warning("cache_store_down", cache=self.name, error=str(exc),
                    retry_in=self.retry_after)

    async def _flush_pending(self) -> None:
        if self._pending_invalidations:
            keys = list(self._pending_invalidations)
            await self.store.delete(*keys)
            self._pending_invalidations.difference_update(keys)

    async def get_or_load(self, key: str, loader: Callable[[], Awaitable[T]], *,
                          adapter: TypeAdapter[T], ttl: float | None = None) -> T:
        """Return the cached value of `key`, or load it once, store it and return it."""
        full_key = self._key(key)
        raw = await self._read(full_key)
        if raw is not None:
            return adapter.validate_json(raw)
        return await self._load_once(full_key, loader, adapter, ttl)

    async def get_or_load_json(self, key: str, loader: Callable[[], Awaitable[T]], *,
                               adapter: TypeAdapter[T], ttl: float | None = None) -> bytes:
        """Like `get_or_load`, but the value's JSON as stored: an answer sent as it is, never
        decoded and encoded again on its way out."""
        full_key = self._key(key)
        raw = await self._read(full_key)
        if raw is not None:
            return raw
        return adapter.dump_json(await self._load_once(full_key, loader, adapter, ttl))

    async def get_or_load_many(self, keys: list[str],
                               loader: Callable[[list[str]], Awaitable[dict[str, T]]], *,
                               adapter: TypeAdapter[T], ttl: float | None = None) -> dict[str, T]:
        """The values of `keys`: the cached ones in one round trip, the others by one
        `loader(missing)` call (it may leave some out), stored unless invalidated meanwhile."""
        full_keys = [self._key(k) for k in keys]
        found: dict[str, T] = {}
        if self._store_usable():
            try:
                await self._flush_pending()
                raws = await self.store.mget(*full_keys)
            except Unavailable as exc:
                self._mark_down(exc)
                self._count("error")
                raws = [None] * len(keys)
            for key, raw in zip(keys, raws, strict=True):
                if raw is not None:
                    found[key] = adapter.validate_json(raw)
            self._count("hit", len(found))
            self._count("miss", len(keys) - len(found))
        else:
            self._count("bypass", len(keys))
        missing = [k for k in keys if k not in found]
        if not missing:
            return found
        generations = {k: self._generation.get(self._key(k), 0) for k in missing}
        loaded = await loader(missing)
        found.update(loaded)
        if self._store_usable():
            try:
                for key, value in loaded.items():
                    if self._generation.get(self._key(key), 0) == generations.get(key):
                        await self.store.set(self._key(key), adapter.dump_json(value),
                                             ttl=self._ttl(ttl))
            except Unavailable as exc:
                self._mark_down(exc)
        return found

    async def value(self, entry: Entry[T]) -> T:
        """`entry`'s value (see `get_or_load`)."""
        return await self.get_or_load(entry.key, entry.load, adapter=entry.adapter,
                                      ttl=entry.ttl)

    async def json(self, entry: Entry[T]) -> bytes:
        """`entry`'s JSON as stored (see `get_or_load_json`)."""
        return await self.get_or_load_json(entry.key, entry.load, adapter=entry.adapter,
                                           ttl=entry.ttl)

    async def _read(self, full_key: str) -> bytes | None:
        """The stored bytes of `full_key`; None on a miss or while the store is away."""
        if not self._store_usable():
            self._count("bypass")
            return None
        try:
            await self._flush_pending()
            raw = await self.store.get(full_key)
        except Unavailable as exc:
            self._mark_down(exc)
            self._count("error")
            return None
        self._count("hit" if raw is not None else "miss")
        return raw

    async def generation(self, key: str) -> str:
        """The token of the current generation of the entries grouped under `key`."""
        async def new() -> str:
            return uuid.uuid4().hex

        return await self.get_or_load(key, new, adapter=GENERATION)

    async def in_generation(self, group: str, name: str) -> str:
        """The key of `name` within the current generation of `group`."""
        return in_generation(name, await self.generation(group))

    async def _load_once(self, full_key: str, loader: Callable[[], Awaitable[T]],
                         adapter: TypeAdapter[T], ttl: float | None) -> T:
        pending = self._inflight.get(full_key)
        if pending is not None:
            result: T = await asyncio.shield(pending)
            return result
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[full_key] = future
        generation = self._generation.get(full_key, 0)
        try:
            value = await loader()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters may be none
            raise
        finally:
            self._inflight.pop(full_key, None)
        future.set_result(value)
        # A write that invalidated the key while we loaded makes our value stale: do not store it.
        if self._store_usable() and self._generation.get(full_key, 0) == generation:
            try:
                await self.store.set(full_key, adapter.dump_json(value), ttl=self._ttl(ttl))
            except Unavailable as exc:
                self._mark_down(exc)
        return value

    async def invalidate(self, *keys: str) -> None:
        """Drop `keys` so the next read loads fresh data."""
        full_keys = [self._key(k) for k in keys]
        for full_key in full_keys:
            self._generation[full_key] = self._generation.get(full_key, 0) + 1
        await self._delete(full_keys)
        if self.settle > 0:
            task = asyncio.create_task(self._delete_later(full_keys))
            self._settling.add(task)
            task.add_done_callback(self._settling.discard)

    async def _delete(self, full_keys: list[str]) -> None:
        try:
            await self.store.delete(*full_keys)
        except Unavailable as exc:
            self._pending_invalidations.update(full_keys)
            self._mark_down(exc)

    async def close(self) -> None:
        """Drop the repeated deletes still waiting out `settle` (the entries' TTL bounds them)."""
        for task in list(self._settling):
            task.cancel()
        await asyncio.gather(*self._settling, return_exceptions=True)

    async def _delete_later(self, full_keys: list[str]) -> None:
        await self._sleep(self.settle)
        await self._delete(full_keys)
