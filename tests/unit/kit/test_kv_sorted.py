"""The in-process store's sorted sets: scores, ranges, paging and removal, as Redis has them
(tests/integration/test_cart_activity_on_redis.py runs the same checks on a real Redis)."""

from __future__ import annotations

from orchid.kit.kv import KeyValueStore, MemoryStore

INF = float("inf")


async def check_sorted_sets(store: KeyValueStore, key: str) -> None:
    """The sorted-set behaviour every store must have (shared with the Redis test)."""
    assert await store.zrangebyscore(key, -INF, INF) == []
    await store.zadd(key, {"c:b": 20.0, "c:a": 10.5, "c:c": 30.0})
    await store.zadd(key, {"c:z": 20.0})  # an equal score: ordered by member
    assert await store.zrangebyscore(key, -INF, INF) == [
        ("c:a", 10.5), ("c:b", 20.0), ("c:z", 20.0), ("c:c", 30.0)]
    assert await store.zrangebyscore(key, 10.5, 20.0) == [
        ("c:a", 10.5), ("c:b", 20.0), ("c:z", 20.0)]  # both ends included
    assert await store.zrangebyscore(key, 10.6, 19.9) == []
    await store.zadd(key, {"c:a": 40.0})  # a new score moves the member
    assert await store.zrangebyscore(key, -INF, INF, offset=1, limit=2) == [
        ("c:z", 20.0), ("c:c", 30.0)]
    assert await store.zrangebyscore(key, -INF, INF, offset=2) == [
        ("c:c", 30.0), ("c:a", 40.0)]
    assert await store.zrangebyscore(key, -INF, INF, limit=1) == [("c:b", 20.0)]
    assert await store.zrem(key, "c:b", "c:missing") == 1
    assert await store.zremrangebyscore(key, -INF, 30.0) == 2
    assert await store.zrangebyscore(key, -INF, INF) == [("c:a", 40.0)]
    await store.zadd(key, {"c:ä": 1767225600.123456})  # epoch seconds, to the microsecond
    assert await store.zrangebyscore(key, 1767225600.123456, 1767225600.123456) == [
        ("c:ä", 1767225600.123456)]
    assert await store.delete(key) == 1
    assert await store.zrangebyscore(key, -INF, INF) == []
    assert await store.zrem(key, "c:a") == 0


async def test_memory_store_keeps_sorted_sets_like_redis() -> None:
    await check_sorted_sets(MemoryStore(), "activity")


async def test_sorted_sets_live_beside_plain_keys_and_an_emptied_one_is_gone() -> None:
    store = MemoryStore()
    await store.set("plain", b"1")
    await store.zadd("ranked", {"m": 1.0})
    assert await store.zrem("ranked", "m") == 1
    assert await store.delete("ranked") == 0  # emptied: removed, as Redis removes it
    await store.zadd("ranked", {})  # nothing to add is no error, and makes no set
    assert await store.zrangebyscore("ranked", -INF, INF) == []
    assert await store.delete("ranked") == 0
    assert await store.get("plain") == b"1"
    await store.close()
    assert await store.get("plain") is None
