"""The relay's doorbell across processes, through a real Redis: a ring in one process wakes a
listener in another, a burst of rings is folded, and Redis away loses rings, not writes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis import asyncio as aioredis

from orchid.kit.doorbell import Doorbell
from orchid.stack.servers import free_port
from tests.support.servers import Redis
from tests.support.waiting import until_async


@pytest.fixture
async def clients(redis_server: Redis) -> AsyncIterator[tuple[aioredis.Redis, aioredis.Redis]]:
    """Two connections, as two processes would have."""
    writer = aioredis.Redis.from_url(redis_server.url(), socket_timeout=2)
    poller = aioredis.Redis.from_url(redis_server.url(), socket_timeout=2)
    yield writer, poller
    await writer.aclose()
    await poller.aclose()


async def subscribed(client: aioredis.Redis, channel: str) -> bool:
    numbers = await client.pubsub_numsub(channel)
    return bool(numbers and numbers[0][1])


async def test_a_ring_in_one_process_wakes_a_listener_in_another(
        clients: tuple[aioredis.Redis, aioredis.Redis]) -> None:
    writer, poller = clients
    ringing, hearing = Doorbell("orchid:outbox:t1", writer), Doorbell("orchid:outbox:t1", poller)
    async with hearing.listening():
        await until_async(lambda: subscribed(writer, "orchid:outbox:t1"), timeout=10,
                          what="the listener's subscription")
        assert await hearing.wait(0) is False
        for _ in range(50):  # a burst of commits
            ringing.ring()
        assert await hearing.wait(10) is True
        await ringing.close()
    assert not await subscribed(writer, "orchid:outbox:t1")  # left the channel on the way out
    # Another channel's ring is not ours.
    other = Doorbell("orchid:outbox:t2", writer)
    async with hearing.listening():
        await until_async(lambda: subscribed(writer, "orchid:outbox:t1"), timeout=10,
                          what="the listener's subscription")
        other.ring()
        await other.close()
        assert await hearing.wait(0.5) is False


async def test_without_redis_a_ring_is_lost_quietly() -> None:
    gone = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0",
                                   socket_connect_timeout=1)
    try:
        bell = Doorbell("orchid:outbox:t3", gone)
        bell.ring()  # never raises: the commit it follows has happened
        await bell.close()
        assert await bell.wait(0) is True  # this process's poller still hears it
    finally:
        await gone.aclose()
