"""The in-process key-value store and the rate limiter on top of it, on a clock the test moves."""

from __future__ import annotations

import pytest

from orchid.kit.errors import RateLimited
from orchid.kit.kv import MemoryStore
from orchid.kit.ratelimit import RateLimiter
from tests.support.clock import FakeClock


async def test_memory_store_expires_keys() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock.monotonic)
    await store.set("a", b"1", ttl=60)
    await store.set("b", b"2")
    clock.advance(59.5)
    assert await store.get("a") == b"1"
    clock.advance(0.5)  # exactly its ttl
    assert await store.get("a") is None
    assert await store.get("b") == b"2"
    assert await store.delete("a", "b") == 1


async def test_incr_counts_within_one_window() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock.monotonic)
    assert await store.incr("c", ttl=10) == (1, 10.0)
    clock.advance(4)
    assert await store.incr("c", ttl=10) == (2, 6.0)  # the window runs from the first hit
    clock.advance(6)
    assert await store.incr("c", ttl=10) == (1, 10.0)  # a new window


async def test_rate_limiter_refuses_past_the_limit_with_retry_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(MemoryStore(clock=clock.monotonic))
    for _ in range(3):
        await limiter.hit("otp:+919812345678", limit=3, window=60)
    clock.advance(5)
    with pytest.raises(RateLimited) as refused:
        await limiter.hit("otp:+919812345678", limit=3, window=60)
    # Three tokens refill over 60 s: the next one is free 20 s after the first was spent.
    assert refused.value.retry_after == 15
    await limiter.hit("otp:+919800000000", limit=3, window=60)  # other keys unaffected
    clock.advance(15)
    await limiter.hit("otp:+919812345678", limit=3, window=60)


async def test_tokens_refill_evenly_and_no_burst_doubles_at_a_window_edge() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock.monotonic)
    assert [await store.gcra("k", limit=2, window=10) for _ in range(3)] == [0.0, 0.0, 5.0]
    clock.advance(4.5)
    assert await store.gcra("k", limit=2, window=10) == 0.5  # one token every 5 s
    clock.advance(0.5)
    assert await store.gcra("k", limit=2, window=10) == 0.0  # exactly one came back
    assert await store.gcra("k", limit=2, window=10) == 5.0
    clock.advance(20)  # a long quiet spell refills the bucket, but only to its size
    assert [await store.gcra("k", limit=2, window=10) for _ in range(3)] == [0.0, 0.0, 5.0]


@pytest.mark.parametrize("window", [0.6, 60, 900])
async def test_a_fresh_keys_only_token_is_granted_whatever_the_clock_reads(window: float) -> None:
    # (tat + interval) - now > window rounds up at some readings (≈ 400-500 s after boot).
    for reading in (400 + n * 0.0371 for n in range(2000)):
        store = MemoryStore(clock=FakeClock(origin=reading).monotonic)
        assert await store.gcra("k", limit=1, window=window) == 0.0, reading
        assert await store.gcra("k", limit=1, window=window) > 0, reading


async def test_a_refund_gives_one_token_back_and_never_overfills_the_bucket() -> None:
    limiter = RateLimiter(MemoryStore(clock=FakeClock().monotonic))
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
