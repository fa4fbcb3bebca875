"""Cache-aside: hits, coalescing, jitter, invalidation and a store that is down."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from orchid.kit.cache import Cache
from orchid.kit.kv import KeyValueStore, MemoryStore, StoreDown
from tests.support.clock import FakeClock

INT = TypeAdapter(int)


class BrokenStore(MemoryStore):
    """A store whose every call fails, like Redis when it is down."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.broken = True

    async def get(self, key: str) -> bytes | None:
        self.calls += 1
        if self.broken:
            raise StoreDown("connection refused")
        return await super().get(key)

    async def delete(self, *keys: str) -> int:
        self.calls += 1
        if self.broken:
            raise StoreDown("connection refused")
        return await super().delete(*keys)


async def test_second_read_is_a_hit() -> None:
    cache = Cache(MemoryStore(), name="t")
    loads = 0

    async def loader() -> int:
        nonlocal loads
        loads += 1
        return 42

    assert await cache.get_or_load("k", loader, adapter=INT) == 42
    assert await cache.get_or_load("k", loader, adapter=INT) == 42
    assert loads == 1


async def test_concurrent_misses_run_one_loader() -> None:
    cache = Cache(MemoryStore(), name="t")
    loads = 0
    gate = asyncio.Event()

    async def loader() -> int:
        nonlocal loads
        loads += 1
        await gate.wait()
        return 7

    tasks = [asyncio.create_task(cache.get_or_load("k", loader, adapter=INT)) for _ in range(50)]
    await asyncio.sleep(0)  # each task runs up to its first wait: the loader, or its result
    assert loads == 1
    gate.set()
    assert await asyncio.gather(*tasks) == [7] * 50
    assert loads == 1


async def test_loader_error_reaches_every_waiter_and_is_not_cached() -> None:
    cache = Cache(MemoryStore(), name="t")
    attempts = 0

    async def loader() -> int:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0)  # the other two callers arrive while this load is in flight
        raise LookupError("gone")

    results = await asyncio.gather(*(cache.get_or_load("k", loader, adapter=INT)
                                     for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)
    with pytest.raises(LookupError):
        await cache.get_or_load("k", loader, adapter=INT)
    assert attempts == 2


async def test_invalidate_forces_a_fresh_load() -> None:
    cache = Cache(MemoryStore(), name="t")
    value = 1

    async def loader() -> int:
        return value

    assert await cache.get_or_load("k", loader, adapter=INT) == 1
    value = 2
    assert await cache.get_or_load("k", loader, adapter=INT) == 1
    await cache.invalidate("k")
    assert await cache.get_or_load("k", loader, adapter=INT) == 2


async def test_a_load_racing_an_invalidation_is_not_stored() -> None:
    store = MemoryStore()
    cache = Cache(store, name="t")
    gate = asyncio.Event()

    async def slow_old_value() -> int:
        await gate.wait()
        return 1

    task = asyncio.create_task(cache.get_or_load("k", slow_old_value, adapter=INT))
    await asyncio.sleep(0)  # the task runs up to its load's wait
    await cache.invalidate("k")  # a write lands while the old value is being read
    gate.set()
    assert await task == 1
    assert await store.get("cache:t:k") is None


async def check_many(store: KeyValueStore, prefix: str) -> None:
    """get_or_load_many on `store`: cached keys in one read, the rest by one load, an
    invalidated key loaded again (shared with the Redis test)."""
    cache = Cache(store, name=prefix)
    asked: list[list[str]] = []

    async def load(missing: list[str]) -> dict[str, int]:
        asked.append(missing)
        return {key: len(key) for key in missing if key != "gone"}  # one unknown key

    first = await cache.get_or_load_many(["a", "bb", "gone"], load, adapter=INT)
    assert first == {"a": 1, "bb": 2} and asked == [["a", "bb", "gone"]]
    assert await store.mget(f"cache:{prefix}:bb", f"cache:{prefix}:none") == [b"2", None]
    assert await cache.get_or_load_many(["bb", "a", "ccc"], load, adapter=INT) == {
        "a": 1, "bb": 2, "ccc": 3}
    assert asked[1:] == [["ccc"]]  # only the key not cached was loaded
    await cache.invalidate("a")
    await cache.get_or_load_many(["a", "bb"], load, adapter=INT)
    assert asked[2:] == [["a"]]


async def test_many_keys_read_in_one_round_and_load_only_the_missing() -> None:
    await check_many(MemoryStore(), "t")


def test_ttl_jitter_stays_within_bounds() -> None:
    low = Cache(MemoryStore(), name="t", ttl=100, jitter=0.1, rng=lambda: 0.0)
    high = Cache(MemoryStore(), name="t", ttl=100, jitter=0.1, rng=lambda: 1.0)
    assert low._ttl(None) == pytest.approx(90)
    assert high._ttl(None) == pytest.approx(110)


async def test_store_down_reads_through_and_backs_off() -> None:
    clock = FakeClock()
    store = BrokenStore()
    cache = Cache(store, name="t", retry_after=60, clock=clock.monotonic)

    async def loader() -> int:
        return 5

    assert await cache.get_or_load("k", loader, adapter=INT) == 5
    calls_after_first = store.calls
    clock.advance(59.5)
    assert await cache.get_or_load("k", loader, adapter=INT) == 5
    assert store.calls == calls_after_first  # backed off: no second connect attempt
    clock.advance(0.5)
    assert await cache.get_or_load("k", loader, adapter=INT) == 5
    assert store.calls == calls_after_first + 1  # tried again once the back-off is over


async def test_invalidation_missed_while_down_is_replayed() -> None:
    store = BrokenStore()
    store.broken = False
    cache = Cache(store, name="t", retry_after=0)
    await store.set("cache:t:k", b"1")
    store.broken = True
    await cache.invalidate("k")  # cannot reach the store now
    store.broken = False

    async def loader() -> int:
        return 2

    assert await cache.get_or_load("k", loader, adapter=INT) == 2


async def test_invalidation_is_repeated_after_the_settle_time() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock.monotonic)
    cache = Cache(store, name="t", settle=2, clock=clock.monotonic, sleep=clock.sleep)
    await cache.invalidate("k")
    await clock.sleepers(1)
    # A reader on a lagging replica refills the key with the old value meanwhile.
    await store.set("cache:t:k", b"1")
    await clock.run_for(1.5)
    assert await store.get("cache:t:k") == b"1"
    await clock.run_for(0.5)
    assert await store.get("cache:t:k") is None


async def test_close_drops_the_repeated_deletes_still_waiting() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock.monotonic)
    cache = Cache(store, name="t", settle=2, clock=clock.monotonic, sleep=clock.sleep)
    await cache.invalidate("k")
    await clock.sleepers(1)
    await store.set("cache:t:k", b"1")
    await cache.close()
    assert clock.timers == []  # nothing left running after the process stops
    await clock.run_for(2)
    assert await store.get("cache:t:k") == b"1"


@pytest.mark.parametrize("enabled", [True, False])
async def test_the_cache_switch_makes_every_service_cache_forget(tmp_path: Path,
                                                                  enabled: bool) -> None:
    from orchid.platform import Resources
    from tests.conftest import embedded_settings

    resources = Resources.from_settings(embedded_settings(tmp_path, cache_enabled=enabled))
    try:
        cache = resources.cache("catalog")
        loads: list[int] = []

        async def load() -> int:
            loads.append(1)
            return len(loads)

        assert await cache.get_or_load("k", load, adapter=INT) == 1
        assert await cache.get_or_load("k", load, adapter=INT) == (1 if enabled else 2)
        # The rest of the store (sessions, carts, rate limits) keeps working either way.
        await resources.store.set("session:s", b"x")
        assert await resources.store.get("session:s") == b"x"
    finally:
        await resources.close()
