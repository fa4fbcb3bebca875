"""The rate limiter's GCRA on a real Redis: shared by every process, on Redis's own clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from orchid.kit.errors import RateLimited
from orchid.kit.kv import RedisStore
from orchid.kit.ratelimit import RateLimiter
from tests.support.servers import Redis


@pytest.fixture
async def stores(redis_server: Redis) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    """Two clients of one Redis, as two app processes would hold."""
    first = RedisStore.from_url(redis_server.url(), timeout=2.0)
    second = RedisStore.from_url(redis_server.url(), timeout=2.0)
    yield first, second
    await first.close()
    await second.close()


async def test_the_limit_holds_across_processes_and_tokens_refill(
        stores: tuple[RedisStore, RedisStore]) -> None:
    first, second = stores
    key = "login:email:gcra@example.in"
    # A token every 0.5 s: far longer than a few round trips, however loaded the machine.
    await RateLimiter(first).hit(key, limit=3, window=1.5)
    await RateLimiter(second).hit(key, limit=3, window=1.5)
    await RateLimiter(first).hit(key, limit=3, window=1.5)
    wait = await second.gcra(f"rl:{key}", limit=3, window=1.5)
    assert 0 < wait <= 0.5
    with pytest.raises(RateLimited) as refused:
        await RateLimiter(second).hit(key, limit=3, window=1.5)
    assert refused.value.retry_after == 1  # whole seconds, at least one
    # Redis keeps the time here, so wait on its answer: each refusal says how long is left.
    async with asyncio.timeout(5):
        while (wait := await second.gcra(f"rl:{key}", limit=3, window=1.5)) > 0:
            await asyncio.sleep(wait)
    assert await first.gcra(f"rl:{key}", limit=3, window=1.5) > 0  # exactly one came back
    ttl = await first.client.pttl(f"rl:{key}")
    assert 0 < ttl <= 1500  # the key expires once the bucket is full again


async def test_a_refund_gives_one_token_back_on_redis(
        stores: tuple[RedisStore, RedisStore]) -> None:
    first, second = stores
    key = "login:account:refund@example.in"
    for store in (first, second, first):
        await RateLimiter(store).hit(key, limit=3, window=600)
    await RateLimiter(second).refund(key, limit=3, window=600)  # from the other process
    await RateLimiter(first).hit(key, limit=3, window=600)
    with pytest.raises(RateLimited):
        await RateLimiter(second).hit(key, limit=3, window=600)
    for _ in range(3):
        await RateLimiter(first).refund(key, limit=3, window=600)
    assert await first.client.exists(f"rl:{key}") == 0  # full again: the key is gone
    await RateLimiter(first).refund(key, limit=3, window=600)  # a full bucket stays full
    for _ in range(3):
        await RateLimiter(second).hit(key, limit=3, window=600)
    assert await first.gcra(f"rl:{key}", limit=3, window=600) > 0
