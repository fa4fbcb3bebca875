"""Time as a dependency: code that reads the clock or waits on a timer takes them as parameters.

    class Breaker:
        def __init__(self, *, clock: Clock = time.monotonic) -> None: ...

    Breaker()                        # the real clock
    Breaker(clock=fake.monotonic)    # a test's clock, moved by the test

`Clock` measures intervals in seconds and never goes back (TTLs, back-offs, cooldowns), the real
one is `time.monotonic`; `Sleep` waits on a timer (a repeated job, a delayed retry), the real one
is `asyncio.sleep`. Wall time, which is stored and shown, is a `Callable[[], datetime]` defaulting
to `orchid.kit.orm.utcnow`, as the cart and payments services take it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
