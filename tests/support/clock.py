"""A clock the test moves: monotonic seconds, UTC wall time and timers, all on one dial.

    clock = FakeClock()
    store = MemoryStore(clock=clock.monotonic)
    await store.set("k", b"v", ttl=60)
    clock.advance(60)                       # the key is gone, and no test waited a minute
    cache = Cache(store, name="t", settle=2, clock=clock.monotonic, sleep=clock.sleep)
    await cache.invalidate("k")
    await clock.sleepers(1)                 # the repeated delete is waiting out `settle`
    await clock.run_for(2)                  # its timer fires and the delete runs to the end

Time moves only when the test says so, so an assertion about "before" and "after" a deadline
holds however slow the machine is.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta

# Far from zero, so code that takes 0.0 to mean "never" is caught out as on a real host.
ORIGIN = 10_000.0
# How long a woken timer's task may take to finish or wait again: its work is in-process, so
# this is only there to fail a test that woke a task blocked on something else, not to hang it.
SETTLE_TIMEOUT = 10.0


class FakeClock:
    """Interval time, wall time and `sleep` for code that takes them as parameters."""

    def __init__(self, start: datetime = datetime(2026, 3, 1, 9, 30, tzinfo=UTC), *,
                 origin: float = ORIGIN) -> None:
        self.elapsed = 0.0
        self.start, self.origin = start, origin
        self._timers: list[tuple[float, int, asyncio.Future[None], asyncio.Task[object]]] = []
        self._order = itertools.count()
        self._woken: dict[asyncio.Task[object], asyncio.Future[None]] = {}

    def monotonic(self) -> float:
        """Seconds on the interval clock (a `Clock`)."""
        return self.origin + self.elapsed

    def now(self) -> datetime:
        """The wall time (a `Callable[[], datetime]`, like `utcnow`)."""
        return self.start + timedelta(seconds=self.elapsed)

    def time(self) -> float:
        """The wall time in epoch seconds (like `time.time`)."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        """Move time on without firing timers (for code that only reads the clock)."""
        assert seconds >= 0, "time does not go back"
        self.elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        """Wait until the test has moved time `seconds` on with `run_for` (a `Sleep`)."""
        task = asyncio.current_task()
        assert task is not None, "sleep outside a task"
        self._parked(task)
        timer = asyncio.get_running_loop().create_future()
        due = self.elapsed + max(seconds, 0.0)
        heapq.heappush(self._timers, (due, next(self._order), timer, task))
        await timer

    @property
    def timers(self) -> list[float]:
        """Seconds from now until each pending timer is due, soonest first."""
        return sorted(due - self.elapsed for due, _, timer, _ in self._timers if not timer.done())

    async def sleepers(self, count: int = 1) -> None:
        """Wait until `count` timers are pending: the tasks under test have reached their sleep."""
        async with asyncio.timeout(SETTLE_TIMEOUT):
            while len(self.timers) < count:
                await asyncio.sleep(0)

    async def run_for(self, seconds: float) -> None:
        """Move time on by `seconds`, firing each timer due on the way at its moment.

        Each woken task runs until it finishes or sleeps on this clock again before the next
        timer fires, so the test sees every timer's whole effect, in order.
        """
        assert seconds >= 0, "time does not go back"
        target = self.elapsed + seconds
        while self._timers and self._timers[0][0] <= target:
            due, _, timer, task = heapq.heappop(self._timers)
            if timer.done():  # its sleeper was cancelled
                continue
            self.elapsed = max(self.elapsed, due)
            await self._fire(timer, task)
        self.elapsed = target

    async def _fire(self, timer: asyncio.Future[None], task: asyncio.Task[object]) -> None:
        settled: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def finished(_: object) -> None:
            _resolve(settled)

        self._woken[task] = settled
        task.add_done_callback(finished)
        timer.set_result(None)
        try:
            async with asyncio.timeout(SETTLE_TIMEOUT):
                await settled
        finally:
            task.remove_done_callback(finished)
            self._woken.pop(task, None)

    def _parked(self, task: asyncio.Task[object]) -> None:
        woken = self._woken.pop(task, None)
        if woken is not None:
            _resolve(woken)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
