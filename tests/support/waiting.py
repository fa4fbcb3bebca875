"""Waiting for a condition another process makes true: the one place tests poll.

    until(lambda: replica.slave_status()["Last_IO_Errno"] != "0", timeout=20, what="an IO error")
    await until_async(archive_caught_up, timeout=30, what="the binlog archive")

A condition, not a duration: the wait ends the moment it holds, and fails with `what` when it
never does. The pause between looks grows from 10 ms to 200 ms, so quick answers are seen at
once and slow ones do not spin the CPU.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

FIRST_PAUSE, MAX_PAUSE = 0.01, 0.2


def _pauses() -> Callable[[], float]:
    pause = FIRST_PAUSE

    def following() -> float:
        nonlocal pause
        current, pause = pause, min(pause * 2, MAX_PAUSE)
        return current
    return following


def until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Return once `condition()` is true; AssertionError naming `what` after `timeout` s."""
    deadline, pause = time.monotonic() + timeout, _pauses()
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(pause())


async def until_async(condition: Callable[[], Awaitable[bool]], *, timeout: float,
                      what: str) -> None:
    """The same for a condition that is awaited (the event loop keeps running meanwhile)."""
    deadline, pause = time.monotonic() + timeout, _pauses()
    while not await condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        await asyncio.sleep(pause())
