"""A doorbell: a writer rings it once its transaction has committed work for a poller (the
outbox relay), which sleeps until rung instead of asking the database every fraction of a
second, and still looks on its own now and then in case a ring was lost.

    bell = Doorbell("orchid:outbox:main", redis_client)   # None: this process only
    bell.ring()                                           # after the commit; never blocks
    async with bell.listening():                          # the poller, in any process
        rung = await bell.wait(2.0, unless=stop)

A ring reaches a poller in the same process at once (an asyncio.Event) and one in another
process through Redis PUBLISH on the bell's channel. Rings that come while one is on its way to
Redis are folded into it: a burst of commits costs one PUBLISH. Redis away loses rings, not
work — the poller's own look finds what they announced.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from redis import asyncio as aioredis
from redis.exceptions import RedisError

log = structlog.get_logger("orchid.doorbell")
RETRY_SECONDS = 5.0  # a listener that lost Redis subscribes again after this long


class Doorbell:
    """Rings a poller awake, in this process and, through Redis, in others."""

    def __init__(self, channel: str, redis: aioredis.Redis | None = None) -> None:
        self.channel, self.redis = channel, redis
        self._rung = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sending: asyncio.Task[None] | None = None
        self._again = False

    def _event(self) -> asyncio.Event:
        # An event belongs to the loop that first waits on it; an app whose lifespan runs
        # again in another loop (test clients do) gets a new one, rung as the old one was.
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            rung, self._rung, self._loop = self._rung.is_set(), asyncio.Event(), loop
            if rung:
                self._rung.set()
        return self._rung

    def ring(self) -> None:
        """Wake the pollers: this process's now, the others' by a PUBLISH sent meanwhile."""
        self._event().set()
        if self.redis is None:
            return
        loop = asyncio.get_running_loop()
        sending = self._sending
        if sending is not None and not sending.done() and sending.get_loop() is loop:
            self._again = True  # folded into the PUBLISH after the one on its way
            return
        self._sending = loop.create_task(self._send())

    async def _send(self) -> None:
        assert self.redis is not None
        while True:
            self._again = False
            try:
                await self.redis.publish(self.channel, b"1")
            except (RedisError, OSError) as error:  # lost: the poller's own look finds it
                log.debug("doorbell_unsent", channel=self.channel, error=str(error))
            if not self._again:
                return

    async def wait(self, timeout: float, *, unless: asyncio.Event | None = None) -> bool:
        """Sleep until rung (True), `unless` is set or `timeout` seconds pass (False)."""
        event = self._event()
        waits = [asyncio.ensure_future(event.wait())]
        if unless is not None:
            waits.append(asyncio.ensure_future(unless.wait()))
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        rung = event.is_set()
        event.clear()
        return rung

    @contextlib.asynccontextmanager
    async def listening(self) -> AsyncIterator[None]:
        """Hear the other processes' rings while inside (nothing to hear without Redis)."""
        if self.redis is None:
            yield
            return
        listener = asyncio.create_task(self._listen(), name=f"doorbell-{self.channel}")
        try:
            yield
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def _listen(self) -> None:
        assert self.redis is not None
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as channel:
                    await channel.subscribe(self.channel)
                    while True:
                        # A bounded wait: the pool's sockets time out reads of a quiet channel.
                        if await channel.get_message(timeout=1.0) is not None:
                            self._event().set()
            except (RedisError, OSError) as error:
                log.warning("doorbell_deaf", channel=self.channel, error=str(error),
                            retry_in=RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)  # meanwhile the poller looks on its own

    async def close(self) -> None:
        """Let a PUBLISH on its way finish."""
        sending = self._sending
        if sending is not None and sending.get_loop() is asyncio.get_running_loop():
            with contextlib.suppress(asyncio.CancelledError):
                await sending
