"""Shoppers checking out without pause over HTTP, every attempt recorded: the load of the drills.

    load = await CheckoutLoad.start(api, shoppers, sku)
    ...                               # kill a server, take a backup, alter a table
    attempts = await load.stop()
    placed = load.placed()            # order number → the attempt that got its 201

Works against an in-process app (httpx.ASGITransport) or real `orchid serve` processes. A
checkout answered 503 or cut off is retried with the same Idempotency-Key, as the API asks
clients to do, so one key never makes two orders. Times are wall-clock UTC: the drills compare
them with the servers' own timestamps (binlog events), which are wall-clock too.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import httpx

from tests.unit.orders_factories import COD, Shopper

RETRYABLE = {502, 503, 504}


class GaveUp(AssertionError):
    """A step kept being refused (503, cut off) past the load's patience."""


@dataclass
class Attempt:
    """One checkout request and what came back."""

    key: str
    shopper: int
    started: datetime
    finished: datetime
    status: int | None  # None: the connection failed
    number: str | None = None
    detail: str | None = None


def wall() -> datetime:
    return datetime.now(UTC)


class CheckoutLoad:
    """`shoppers` loops of add-to-cart then checkout, until stop()."""

    def __init__(self, api: httpx.AsyncClient, shoppers: list[Shopper], sku: str, *,
                 clock: Callable[[], datetime] = wall, retry_pause: float = 0.05,
                 give_up_after: float = 120.0) -> None:
        self.api, self.shoppers, self.sku, self.clock = api, shoppers, sku, clock
        self.retry_pause, self.give_up_after = retry_pause, give_up_after
        self.attempts: list[Attempt] = []
        self._keys = itertools.count(1)
        self._stopping = asyncio.Event()
        self._progress = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def start(cls, api: httpx.AsyncClient, shoppers: list[Shopper], sku: str,
                    **options: object) -> CheckoutLoad:
        load = cls(api, shoppers, sku, **options)  # type: ignore[arg-type]
        load._tasks = [asyncio.create_task(load._shop(i, s), name=f"shopper-{i}")
                       for i, s in enumerate(shoppers)]
        return load

    async def wait_for_orders(self, count: int, timeout: float = 60) -> None:
        """Return once `count` more orders were placed than when called."""
        target = len(self.placed()) + count
        async with asyncio.timeout(timeout), self._progress:
            while len(self.placed()) < target:
                failed = [t for t in self._tasks if t.done() and t.exception() is not None]
                if failed:
                    raise failed[0].exception()  # type: ignore[misc]
                await self._progress.wait()  # notified at each answer and each shopper's end

    async def stop(self) -> list[Attempt]:
        """Let each shopper finish the checkout in hand, then return every attempt."""
        self._stopping.set()
        await asyncio.gather(*self._tasks)
        return self.attempts

    def placed(self) -> dict[str, Attempt]:
        """Order number → the attempt whose 201 carried it."""
        return {a.number: a for a in self.attempts if a.status == 201 and a.number}

    def errors(self) -> list[Attempt]:
        """Attempts that got neither a 201 nor a retryable answer."""
        return [a for a in self.attempts if a.status not in (201, *RETRYABLE, None)]

    async def _shop(self, index: int, shopper: Shopper) -> None:
        try:
            while not self._stopping.is_set():
                if not await self._until_done(partial(self._add, shopper)):
                    continue
                key = f"drill-{index}-{next(self._keys):07d}"
                await self._until_done(partial(self._checkout, index, shopper, key),
                                       always=True)
        finally:
            await self._notify()  # a waiter learns of a shopper that failed, too

    async def _record(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)
        await self._notify()

    async def _notify(self) -> None:
        async with self._progress:
            self._progress.notify_all()

    async def _until_done(self, step: Callable[[], Awaitable[int | None]], *,
                          always: bool = False) -> bool:
        """Repeat a retryable step; a checkout (always=True) is finished even when stopping,
        so its outcome is known."""
        give_up = asyncio.get_running_loop().time() + self.give_up_after
        while always or not self._stopping.is_set():
            status = await step()
            if status not in RETRYABLE and status is not None:
                return True
            if asyncio.get_running_loop().time() > give_up:
                # A drill whose servers never come back must fail, not hang.
                raise GaveUp(f"still {status} after {self.give_up_after:.0f} s of retries")
            await asyncio.sleep(self.retry_pause)  # a back-off between retries, not a clock
        return False

    async def _add(self, shopper: Shopper) -> int | None:
        try:
            answer = await self.api.post("/api/v1/cart/items", headers=shopper.auth,
                                         json={"sku": self.sku, "quantity": 1})
        except httpx.TransportError:
            return None
        return answer.status_code

    async def _checkout(self, index: int, shopper: Shopper, key: str) -> int | None:
        started = self.clock()
        try:
            answer = await self.api.post(
                "/api/v1/checkout", headers=shopper.checkout_headers(key),
                json={"address_id": shopper.address_id, "payment": COD})
        except httpx.TransportError as exc:
            await self._record(Attempt(key, index, started, self.clock(), None,
                                       detail=repr(exc)))
            return None
        number = answer.json().get("order", {}).get("number") if answer.status_code == 201 \
            else None
        detail = None if answer.status_code == 201 else answer.text[:300]
        await self._record(Attempt(key, index, started, self.clock(), answer.status_code,
                                   number, detail))
        return answer.status_code
