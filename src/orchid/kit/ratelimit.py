"""Rate limits on the key-value store (Redis, or in-process when embedded), by GCRA.

A key may spend `limit` hits at once, then one more each `window / limit` seconds: a token
bucket of `limit` refilled evenly over `window`, kept as one timestamp per key. Unlike fixed
windows it allows no double burst across a window's edge.

    limiter = RateLimiter(store)
    await limiter.hit("otp:phone:+919812345678", limit=3, window=900)   # raises RateLimited
    await limiter.refund("otp:phone:+919812345678", limit=3, window=900)  # that one didn't count
"""

from __future__ import annotations

import math

from orchid.kit.errors import RateLimited
from orchid.kit.kv import KeyValueStore


class RateLimiter:
    """Spend one token per hit; refuse with a Retry-After while the key's bucket is empty."""

    def __init__(self, store: KeyValueStore, *, prefix: str = "rl") -> None:
        self.store, self.prefix = store, prefix

    async def hit(self, key: str, *, limit: int, window: float, what: str = "requests") -> None:
        """Spend one of `key`'s `limit` tokens (refilled over `window` s), or raise RateLimited."""
        wait = await self.store.gcra(f"{self.prefix}:{key}", limit=limit, window=window)
        if wait > 0:
            raise RateLimited(f"Too many {what}; try again later.",
                              retry_after=max(1, math.ceil(wait)))

    async def refund(self, key: str, *, limit: int, window: float) -> None:
        """Give back a token that `hit` spent, for an attempt that should not count after all."""
        await self.store.gcra_refund(f"{self.prefix}:{key}", limit=limit, window=window)
