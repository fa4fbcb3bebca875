"""The in-process key-value store and the rate limiter on top of it."""

from __future__ import annotations

import asyncio

import pytest

from orchid.kit.errors import RateLimited
from orchid.kit.kv import MemoryStore
from orchid.kit.ratelimit import RateLimiter


async def test_memory_store_expires_keys() -> None:
    store = MemoryStore()
    await store.set("a", b"1", ttl=0.05)
    await store.set("b", b"2")
    assert await store.get("a") == b"1"
    await asyncio.sleep(0.06)
    assert await store.get("a") is None
    assert await store.get("b") == b"2"
    assert await store.delete("a", "b") == 1


async def test_incr_counts_within_one_window() -> None:
    store = MemoryStore()
    assert (await store.incr("c", ttl=10))[0] == 1
    count, ttl_left = await store.incr("c", ttl=10)
    assert count == 2 and 0 < ttl_left <= 10


async def test_rate_limiter_refuses_past_the_limit_with_retry_after() -> None:
    limiter = RateLimiter(MemoryStore())
    for _ in range(3):
        await limiter.hit("otp:+919812345678", limit=3, window=60)
    with pytest.raises(RateLimited) as refused:
        await limiter.hit("otp:+919812345678", limit=3, window=60)
    assert 1 <= refused.value.retry_after <= 60
    await limiter.hit("otp:+919800000000", limit=3, window=60)  # other keys unaffected
