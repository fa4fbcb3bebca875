"""Read-your-writes: after a client writes, its reads go to the primary for a bounded window.

The window travels with the client, so any process can honour it:
- a cookie `orchid_ryw` (browsers) or the header `X-Orchid-Primary-Until` (API clients and
  service-to-service calls) carries the epoch time, in milliseconds, until which reads must hit
  the primary;
- inside a request the state lives in a context variable, set by `ReadYourWritesMiddleware`.

A value further in the future than one window is ignored, so a client cannot pin its reads to
the primary forever.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchid.kit.clock import Clock
from orchid.kit.cookies import cookie_header, is_secure

COOKIE = "orchid_ryw"
HEADER = "x-orchid-primary-until"


@dataclass
class WriteMark:
    """Per-request read-your-writes state."""

    window: float
    primary_until: float = 0.0  # epoch seconds
    wrote: bool = False
    # Epoch time, not monotonic: the deadline travels to other processes and back.
    clock: Clock = field(default=time.time, repr=False, compare=False)

    def accept(self, raw: str | None) -> None:
        """Adopt a client-supplied deadline (epoch ms) if it is plausible."""
        if not raw:
            return
        try:
            until = int(raw) / 1000
        except ValueError:
            return
        if until <= self.clock() + self.window:
            self.primary_until = max(self.primary_until, until)


_current: ContextVar[WriteMark | None] = ContextVar("orchid_write_mark", default=None)


def begin(window: float, *, clock: Clock = time.time) -> WriteMark:
    """Start a fresh mark for this context (one request or one remote call)."""
    mark = WriteMark(window=window, clock=clock)
    _current.set(mark)
    return mark


def current() -> WriteMark | None:
    """Return this context's mark, if any."""
    return _current.get()


def note_write(window: float) -> None:
    """Record that this context wrote: its reads go to the primary for `window` seconds."""
    mark = _current.get()
    if mark is None:
        mark = begin(window)
    mark.wrote = True
    mark.primary_until = max(mark.primary_until, mark.clock() + window)


def reads_need_primary() -> bool:
    """True while this context's reads must see its own writes."""
    mark = _current.get()
    return mark is not None and mark.primary_until > mark.clock()


def header_value() -> str | None:
    """The deadline to forward to another process, or None."""
    mark = _current.get()
    if mark is None or mark.primary_until <= mark.clock():
        return None
    return str(int(mark.primary_until * 1000))


class ReadYourWritesMiddleware:
    """Carry the read-your-writes deadline in and out of every HTTP request."""

    def __init__(self, app: ASGIApp, *, window: float, secure_cookie: bool = False,
                 clock: Clock = time.time) -> None:
        self.app, self.window, self.secure, self.clock = app, window, secure_cookie, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        mark = begin(self.window, clock=self.clock)
        for name, value in scope["headers"]:
            if name == HEADER.encode():
                mark.accept(value.decode("latin-1"))
            elif name == b"cookie":
                morsel = SimpleCookie(value.decode("latin-1")).get(COOKIE)
                if morsel is not None:
                    mark.accept(morsel.value)

        async def send_with_mark(message: Message) -> None:
            if message["type"] == "http.response.start" and mark.wrote:
                headers = MutableHeaders(scope=message)
                until = str(int(mark.primary_until * 1000))
                headers.append(HEADER, until)
                headers.append("set-cookie", cookie_header(
                    COOKIE, until, max_age=int(self.window) + 1,
                    secure=is_secure(scope, always=self.secure)))
            await send(message)

        await self.app(scope, receive, send_with_mark)
