"""Fixed-window rate limits on the key-value store (Redis, or in-process when embedded).

    limiter = RateLimiter(store)
    await limiter.hit("otp:phone:+919812345678", limit=3, window=900)   # raises RateLimited
"""

from __future__ import annotations

import math

from orchid.kit.errors import RateLimited
from orchid.kit.kv import KeyValueStore


class RateLimiter:
    """Count hits per key and window; refuse with a Retry-After past the limit."""

    def __init__(self, store: KeyValueStore, *, prefix: str = "rl") -> None:
        self.store, self.prefix = store, prefix

    async def hit(self, key: str, *, limit: int, window: float, what: str = "requests") -> None:
        """Count one hit on `key`; raise RateLimited once more than `limit` fall in the window."""
        count, ttl_left = await self.store.incr(f"{self.prefix}:{key}", ttl=window)
        if count > limit:
            raise RateLimited(f"Too many {what}; try again later.",
                              retry_after=max(1, math.ceil(ttl_left)))
