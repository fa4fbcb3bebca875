"""Where carts live: one JSON value per `cart:<id>` key, written without losing concurrent updates.

    store = cart_store(resources.store, ttl=30 * 86400)  # Redis transactions, else local locks
    edit = await store.update("g:…", lambda cart: rules.remove_line(cart, sku="KAJAL-1", now=now))

An edit is a pure function of the cart as stored; a store may run it more than once. Every write
renews the key's TTL, and a cart left without lines is deleted rather than stored empty.

A customer's cart ("c:…") also has an entry in the activity index, one sorted set scored by the
cart's last change (its `updated_at`), written with the cart (in the same Redis transaction):
carts idle for some hours are found by score, never by scanning every key. Guest carts are not
indexed.
"""

from __future__ import annotations

import asyncio
import math
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Protocol, TypeVar

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError, WatchError

from orchid.kit.kv import KeyValueStore, RedisStore, StoreDown
from orchid.services.cart.errors import CartBusy
from orchid.services.cart.rules import Edit
from orchid.services.cart.schemas import StoredCart

R = TypeVar("R")
Change = Callable[[StoredCart], Edit]
Combine = Callable[[StoredCart, StoredCart], Edit]
# Values to write per cart id after a transaction; None (or no lines) deletes the cart.
Plan = Callable[[list[StoredCart | None]], tuple[R, dict[str, StoredCart | None]]]
log = structlog.get_logger("orchid.cart")
ACTIVITY_KEY = "cart-activity"  # customer cart id → epoch seconds of the cart's last change
CUSTOMER_PREFIX = "c:"


class ActivityIndex:
    """When each customer cart last changed, in a sorted set of the store."""

    def __init__(self, kv: KeyValueStore) -> None:
        self.kv = kv

    async def changed_between(self, since: datetime, until: datetime, *, offset: int = 0,
                              limit: int) -> list[tuple[str, datetime]]:
        """Return (cart id, last change) of the carts last changed in `since`–`until`."""
        found = await self.kv.zrangebyscore(ACTIVITY_KEY, since.timestamp(), until.timestamp(),
                                            offset=offset, limit=limit)
        return [(cart_id, datetime.fromtimestamp(score, UTC)) for cart_id, score in found]

    async def forget_until(self, moment: datetime) -> int:
        """Drop the entries of carts last changed at or before `moment`; return how many."""
        # A cart that changes again is indexed again by that write.
        return await self.kv.zremrangebyscore(ACTIVITY_KEY, float("-inf"), moment.timestamp())

    async def track(self, cart_id: str, cart: StoredCart | None) -> None:
        """Record a cart just written (None: deleted)."""
        if not cart_id.startswith(CUSTOMER_PREFIX):
            return
        score = activity_score(cart)
        if score is None:
            await self.kv.zrem(ACTIVITY_KEY, cart_id)
        else:
            await self.kv.zadd(ACTIVITY_KEY, {cart_id: score})


def activity_score(cart: StoredCart | None) -> float | None:
    """Return the index score of a cart as written: its last change; None when not kept."""
    if cart is None or not cart.lines or cart.updated_at is None:
        return None
    return cart.updated_at.timestamp()


class CartStore(Protocol):
    """Load carts and apply edits atomically per cart."""

    activity: ActivityIndex

    async def load(self, cart_id: str) -> StoredCart | None: ...
    async def update(self, cart_id: str, change: Change) -> Edit: ...
    async def absorb(self, *, source: str, target: str, combine: Combine) -> Edit | None:
        """Combine `source` into `target` and delete `source`, as one step; None if no source."""
        ...
    async def delete(self, cart_id: str) -> None: ...


def cart_store(kv: KeyValueStore, *, ttl: float) -> CartStore:
    """Pick the store for `kv`: Redis transactions when it is Redis, in-process locks otherwise."""
    if isinstance(kv, RedisStore):
        return RedisCartStore(kv, ttl=ttl)
    return LockedCartStore(kv, ttl=ttl)


def key(cart_id: str) -> str:
    """Return the store key of a cart."""
    return f"cart:{cart_id}"


def decode(raw: bytes | str | None) -> StoredCart | None:
    """Parse a stored cart; an unreadable value counts as no cart rather than a broken page."""
    if raw is None:
        return None
    try:
        return StoredCart.model_validate_json(raw)
    except ValidationError:
        log.warning("cart_value_corrupt")
        return None


def _kept(cart: StoredCart | None) -> bytes | None:
    return cart.model_dump_json().encode() if cart is not None and cart.lines else None


class LockedCartStore:
    """Any key-value store, each cart's edits serialised by a lock: right within one process."""

    def __init__(self, kv: KeyValueStore, *, ttl: float, stripes: int = 64) -> None:
        self.kv, self.ttl = kv, ttl
        self.activity = ActivityIndex(kv)
        # A fixed set of locks picked by hash: bounded memory however many carts pass through.
        self._locks = [asyncio.Lock() for _ in range(stripes)]

    async def load(self, cart_id: str) -> StoredCart | None:
        return decode(await self.kv.get(key(cart_id)))

    async def update(self, cart_id: str, change: Change) -> Edit:
        async with self._locked(cart_id):
            edit = change(await self.load(cart_id) or StoredCart())
            await self._save(cart_id, edit.cart)
            return edit

    async def absorb(self, *, source: str, target: str, combine: Combine) -> Edit | None:
        async with self._locked(source, target):
            found = await self.load(source)
            if found is None:
                return None
            edit = combine(found, await self.load(target) or StoredCart())
            await self._save(target, edit.cart)
            await self._save(source, None)
            return edit

    async def delete(self, cart_id: str) -> None:
        async with self._locked(cart_id):
            await self._save(cart_id, None)

    async def _save(self, cart_id: str, cart: StoredCart | None) -> None:
        value = _kept(cart)
        if value is None:
            await self.kv.delete(key(cart_id))
        else:
            await self.kv.set(key(cart_id), value, ttl=self.ttl)
        await self.activity.track(cart_id, cart)

    @asynccontextmanager
    async def _locked(self, *cart_ids: str) -> AsyncIterator[None]:
        # Taken in stripe order, so two merges of the same pair cannot deadlock.
        stripes = sorted({zlib.crc32(c.encode()) % len(self._locks) for c in cart_ids})
        async with AsyncExitStack() as stack:
            for stripe in stripes:
                await stack.enter_async_context(self._locks[stripe])
            yield


class RedisCartStore:
    """Redis, edits as optimistic transactions (WATCH, then MULTI/EXEC): safe across processes."""

    def __init__(self, kv: RedisStore, *, ttl: float, attempts: int = 100) -> None:
        self.client: aioredis.Redis = kv.client
        self.attempts, self.ttl_ms = attempts, math.ceil(ttl * 1000)
        self.activity = ActivityIndex(kv)

    async def load(self, cart_id: str) -> StoredCart | None:
        try:
            raw: bytes | str | None = await self.client.get(key(cart_id))
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc
        return decode(raw)

    async def update(self, cart_id: str, change: Change) -> Edit:
        def plan(carts: list[StoredCart | None]) -> tuple[Edit, dict[str, StoredCart | None]]:
            edit = change(carts[0] or StoredCart())
            return edit, {cart_id: edit.cart}

        return await self._transact([cart_id], plan)

    async def absorb(self, *, source: str, target: str, combine: Combine) -> Edit | None:
        def plan(carts: list[StoredCart | None]
                 ) -> tuple[Edit | None, dict[str, StoredCart | None]]:
            found, mine = carts
            if found is None:
                return None, {}
            edit = combine(found, mine or StoredCart())
            return edit, {target: edit.cart, source: None}

        return await self._transact([source, target], plan)

    async def delete(self, cart_id: str) -> None:
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                self._write(pipe, cart_id, None)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc

    async def _transact(self, cart_ids: list[str], plan: Plan[R]) -> R:
        """Run `plan` on the watched carts and write its result, again if another writer won."""
        keys = [key(cart_id) for cart_id in cart_ids]
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                for _ in range(self.attempts):
                    await pipe.watch(*keys)
                    result, writes = plan([decode(await pipe.get(k)) for k in keys])
                    if not writes:
                        return result
                    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                    for cart_id, cart in writes.items():
                        self._write(pipe, cart_id, cart)
                    try:
                        await pipe.execute()
                    except WatchError:
                        continue  # a key changed after we read it: read again and redo the edit
                    return result
        except (RedisError, OSError) as exc:
            raise StoreDown(str(exc)) from exc
        raise CartBusy("the cart is changing too fast; retry", retry=True)

    def _write(self, pipe: Pipeline, cart_id: str, cart: StoredCart | None) -> None:
        """Queue a cart's write (None or no lines: its deletion) and its activity entry."""
        value = _kept(cart)
        if value is None:
            pipe.delete(key(cart_id))
        else:
            pipe.set(key(cart_id), value, px=self.ttl_ms)
        if cart_id.startswith(CUSTOMER_PREFIX):
            score = activity_score(cart)
            if score is None:
                pipe.zrem(ACTIVITY_KEY, cart_id)
            else:
                pipe.zadd(ACTIVITY_KEY, {cart_id: score})
