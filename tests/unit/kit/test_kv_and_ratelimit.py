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
    # Three tokens refill over 60 s: the next one is free 20 s after the first was spent.
    assert 19 <= refused.value.retry_after <= 20
    await limiter.hit("otp:+919800000000", limit=3, window=60)  # other keys unaffected


async def test_tokens_refill_evenly_and_no_burst_doubles_at_a_window_edge() -> None:
    store = MemoryStore()
    assert [await store.gcra("k", limit=2, window=0.2) for _ in range(3)][:2] == [0.0, 0.0]
    wait = await store.gcra("k", limit=2, window=0.2)
    assert 0 < wait <= 0.1  # one token comes back every 0.1 s
    await asyncio.sleep(wait + 0.01)
    assert await store.gcra("k", limit=2, window=0.2) == 0.0  # exactly one came back
    assert await store.gcra("k", limit=2, window=0.2) > 0


async def test_a_refund_gives_one_token_back_and_never_overfills_the_bucket() -> None:
    limiter = RateLimiter(MemoryStore())
    for _ in range(3):
        await limiter.hit("login:k", limit=3, window=60)
    await limiter.refund("login:k", limit=3, window=60)
    await limiter.hit("login:k", limit=3, window=60)  # the token that came back
    with pytest.raises(RateLimited):
        await limiter.hit("login:k", limit=3, window=60)
    for _ in range(5):  # a full (or never used) bucket stays at its limit
        await limiter.refund("login:full", limit=3, window=60)
    for _ in range(3):
        await limiter.hit("login:full", limit=3, window=60)
    with pytest.raises(RateLimited):
        await limiter.hit("login:full", limit=3, window=60)
