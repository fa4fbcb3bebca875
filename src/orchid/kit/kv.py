"""A small key-value store with TTLs: Redis in the full stack, a dict when embedded.

Sessions, OTP codes, rate-limit counters, the cache and the carts' activity index all sit on
this one interface.

    store = RedisStore(redis.asyncio.from_url(url))   # or MemoryStore()
    await store.set("k", b"v", ttl=60)
    await store.get("k")  # b"v"
    await store.zadd("seen", {"c:asha": 1767225600.0})    # a sorted set, as Redis's
    await store.zrangebyscore("seen", 0, 1767225600.0)     # [("c:asha", 1767225600.0)]
"""

from __future__ import annotations

import math
import time
from typing import Protocol, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from orchid.kit.clock import Clock
from orchid.kit.errors import Unavailable


class StoreDown(Unavailable):
    """The key-value store could not be reached."""

    code, title = "store_unavailable", "Session store unavailable"


class KeyValueStore(Protocol):
    """Bytes in, bytes out, with expiry."""

    async def get(self, key: str) -> bytes | None: ...
    async def mget(self, *keys: str) -> list[bytes | None]:
        """The values of `keys`, in order (None where missing), in one round trip."""
        ...
    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None: ...
    async def delete(self, *keys: str) -> int: ...
    async def incr(self, key: str, *, ttl: float) -> tuple[int, float]:
        """Increment a counter that expires `ttl` after its first hit; return (count, ttl left)."""
        ...
    async def gcra(self, key: str, *, limit: int, window: float) -> float:
        """Spend one of `limit` tokens that refill evenly over `window` seconds (GCRA): 0.0
        when spent, else the seconds until one is free (nothing is spent then)."""
        ...
    async def gcra_refund(self, key: str, *, limit: int, window: float) -> None:
        """Give back one token that `gcra` spent (a full bucket stays full)."""
        ...
    async def zadd(self, key: str, scores: dict[str, float]) -> None:
        """Set the score of each member of the sorted set `key` (adding the new ones)."""
        ...
    async def zrem(self, key: str, *members: str) -> int:
        """Remove members from the sorted set `key`; return how many were there."""
        ...
    async def zrangebyscore(self, key: str, low: float, high: float, *, offset: int = 0,
                            limit: int | None = None) -> list[tuple[str, float]]:
        """Return the members scored `low`–`high` (both included) with their scores, lowest
        first (equal scores by member); `offset` and `limit` page through them."""
        ...
    async def zremrangebyscore(self, key: str, low: float, high: float) -> int:
        """Remove the members scored `low`–`high` (both included); return how many."""
        ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class MemoryStore:
    """In-process store for the embedded mode and unit tests; expiry and GCRA on `clock`."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._data: dict[str, tuple[bytes, float | None]] = {}
        self._sorted: dict[str, dict[str, float]] = {}  # sorted sets (no expiry)
        self._now = clock

    def _live(self, key: str) -> tuple[bytes, float | None] | None:
        item = self._data.get(key)
        if item is not None and item[1] is not None and item[1] <= self._now():
            del self._data[key]
            return None
        return item

    async def get(self, key: str) -> bytes | None:
        item = self._live(key)
        return item[0] if item else None

    async def mget(self, *keys: str) -> list[bytes | None]:
        return [item[0] if (item := self._live(key)) else None for key in keys]

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        self._data[key] = (value, self._now() + ttl if ttl else None)

    async def delete(self, *keys: str) -> int:
        removed = 0
        for key in keys:
            if self._live(key) is not None:
                del self._data[key]
                removed += 1
            elif self._sorted.pop(key, None) is not None:
                removed += 1
        return removed

    async def incr(self, key: str, *, ttl: float) -> tuple[int, float]:
        item = self._live(key)
        expires = item[1] if item and item[1] else self._now() + ttl
        count = int(item[0]) + 1 if item else 1
        self._data[key] = (str(count).encode(), expires)
        return count, max(0.0, expires - self._now())

    async def gcra(self, key: str, *, limit: int, window: float) -> float:
        now, item = self._now(), self._live(key)
        # The theoretical arrival time: when the bucket would be full again.
        tat = max(float(item[0]), now) if item else now
        # Booked time against the allowance, not (tat + interval) - now > window: that sum
        # rounds, and refused a fresh key's only token (limit 1) at some clock readings.
        wait = (tat - now) - (window - window / limit)
        if wait > 0:
            return wait
        new_tat = tat + window / limit
        self._data[key] = (repr(new_tat).encode(), new_tat)  # expires once the bucket is full
        return 0.0

    async def gcra_refund(self, key: str, *, limit: int, window: float) -> None:
        now, item = self._now(), self._live(key)
        if item is None:
            return  # the bucket is full already
        tat = float(item[0]) - window / limit
        if tat <= now:
            del self._data[key]
        else:
            self._data[key] = (repr(tat).encode(), tat)

    async def zadd(self, key: str, scores: dict[str, float]) -> None:
        if scores:
            self._sorted.setdefault(key, {}).update(scores)

    async def zrem(self, key: str, *members: str) -> int:
        ranked = self._sorted.get(key, {})
        removed = sum(ranked.pop(member, None) is not None for member in members)
        if not ranked:
            self._sorted.pop(key, None)  # as Redis drops an emptied set
        return removed

    async def zrangebyscore(self, key: str, low: float, high: float, *, offset: int = 0,
                            limit: int | None = None) -> list[tuple[str, float]]:
        found = sorted((score, member) for member, score in self._sorted.get(key, {}).items()
                       if low <= score <= high)
        end = None if limit is None else offset + limit
        return [(member, score) for score, member in found[offset:end]]

    async def zremrangebyscore(self, key: str, low: float, high: float) -> int:
        doomed = await self.zrangebyscore(key, low, high)
        return await self.zrem(key, *(member for member, _ in doomed))

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()
        self._sorted.clear()


# GCRA in one round trip on Redis's own clock, so every app process agrees on the time.
GCRA_SCRIPT = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = (tat - now) - (window - window / limit)
if wait > 0 then return tostring(wait) end
local new_tat = tat + window / limit
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000))
return '0'
"""

# Moving the theoretical arrival time back by one emission interval returns one token.
GCRA_REFUND_SCRIPT = """
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then return 0 end
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
tat = tat - tonumber(ARGV[2]) / tonumber(ARGV[1])
if tat <= now then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil((tat - now) * 1000))
end
return 0
"""


class ForgetfulStore(MemoryStore):
    """Keeps nothing: every read misses. Under a cache, it turns caching off (cache_enabled)."""

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        return None


class RedisStore:
    """Redis-backed store; connection failures surface as `StoreDown` (a 503, never a 500)."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self._gcra = client.register_script(GCRA_SCRIPT)
        self._gcra_refund = client.register_script(GCRA_REFUND_SCRIPT)

    @classmethod
    def from_url(cls, url: str, *, timeout: float, max_connections: int = 200,
                 pool_wait: float = 2.0) -> RedisStore:
        """Connect lazily to `url` with short socket timeouts and a pool that queues bursts."""
        # The default pool refuses the 101st concurrent call outright; a sale-day burst should
        # wait briefly for a connection instead of answering 503.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=pool_wait, socket_timeout=timeout,
            socket_connect_timeout=timeout, health_check_interval=30)
        return cls(aioredis.Redis(connection_pool=pool))

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self.client.get(key)
            return value if value is None or isinstance(value, bytes) else value.encode()
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc

    async def mget(self, *keys: str) -> list[bytes | None]:
        if not keys:
            return []
        try:
            values = await self.client.mget(keys)
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc
        return [v if v is None or isinstance(v, bytes) else v.encode() for v in values]

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        try:
            await self.client.set(key, value, px=math.ceil(ttl * 1000) if ttl else None)
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        try:
            return int(await self.client.delete(*keys))
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc

    async def incr(self, key: str, *, ttl: float) -> tuple[int, float]:
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.pexpire(key, math.ceil(ttl * 1000), nx=True)
                pipe.pttl(key)
                count, _, pttl = await pipe.execute()
            return int(count), max(0.0, int(pttl) / 1000)
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc

    async def gcra(self, key: str, *, limit: int, window: float) -> float:
        try:
            wait = await self._gcra(keys=[key], args=[limit, window])
            return float(wait)
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc

    async def gcra_refund(self, key: str, *, limit: int, window: float) -> None:
        try:
            await self._gcra_refund(keys=[key], args=[limit, window])
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc

    async def zadd(self, key: str, scores: dict[str, float]) -> None:
        if not scores:
            return
        try:
            await self.client.zadd(key, dict(scores))
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc

    async def zrem(self, key: str, *members: str) -> int:
        if not members:
            return 0
        try:
            return int(await self.client.zrem(key, *members))
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc

    async def zrangebyscore(self, key: str, low: float, high: float, *, offset: int = 0,
                            limit: int | None = None) -> list[tuple[str, float]]:
        # LIMIT takes both or neither; a count of -1 is "all the rest".
        paged = offset != 0 or limit is not None
        try:
            found = await self.client.zrangebyscore(
                key, low, high, withscores=True, start=offset if paged else None,
                num=(-1 if limit is None else limit) if paged else None)
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc
        pairs = cast(list[tuple[bytes | str, float]], found)  # withscores: (member, score)
        return [(member.decode() if isinstance(member, bytes) else member, float(score))
                for member, score in pairs]

    async def zremrangebyscore(self, key: str, low: float, high: float) -> int:
        try:
            return int(await self.client.zremrangebyscore(key, low, high))
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc

    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self.client.aclose()
        await self.client.connection_pool.disconnect()
