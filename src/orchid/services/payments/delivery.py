"""How the sandbox's webhook events reach a handler, as a real provider's HTTP calls would.

    delivery = BackgroundDelivery()
    delivery.connect(payments.handle_webhook)
    await delivery.deliver(raw_body=body, signature_header=header)   # returns at once
    await delivery.drain()                                           # tests: wait for handling
    await delivery.close()                       # at shutdown, before the databases close
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Protocol

import structlog

from orchid.kit.errors import OrchidError

log = structlog.get_logger("orchid.payments")


class WebhookHandler(Protocol):
    """Something that takes a raw signed event (the service's `handle_webhook`)."""

    async def __call__(self, *, raw_body: bytes, signature_header: str) -> object:
        """Handle one event."""
        ...


class WebhookDelivery(Protocol):
    """Sends a signed event to whoever receives the provider's webhooks."""

    async def deliver(self, *, raw_body: bytes, signature_header: str) -> None:
        """Send one event; must not wait for it to be handled."""
        ...

    async def close(self) -> None:
        """Finish (or give up on) the events still on their way; nothing is sent after it."""
        ...


class BackgroundDelivery:
    """Hand each event to the connected handler in its own background task."""

    def __init__(self, handler: WebhookHandler | None = None) -> None:
        self._handler = handler
        self._tasks: set[asyncio.Task[None]] = set()

    def connect(self, handler: WebhookHandler) -> None:
        """Set the handler; the service connects itself once it is built."""
        self._handler = handler

    async def deliver(self, *, raw_body: bytes, signature_header: str) -> None:
        """Schedule the handler; return before it runs, as an HTTP webhook would arrive later."""
        handler = self._handler
        if handler is None:
            raise RuntimeError("BackgroundDelivery has no handler; call connect() first")
        # A fresh context: the webhook is a request of its own, not part of the one that caused it.
        task = asyncio.create_task(self._run(handler, raw_body, signature_header),
                                   context=contextvars.Context())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every event delivered so far (and any they caused) was handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    async def close(self, *, timeout: float = 10.0) -> None:
        """Handle the events already delivered, as nobody resends them; cancel any left after
        `timeout` seconds. A handler left running would reopen the databases after they closed."""
        try:
            async with asyncio.timeout(timeout):
                await self.drain()
        except TimeoutError:
            log.warning("sandbox_webhooks_dropped", count=len(self._tasks))
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @staticmethod
    async def _run(handler: WebhookHandler, raw_body: bytes, signature_header: str) -> None:
        try:
            await handler(raw_body=raw_body, signature_header=signature_header)
        except OrchidError as exc:
            log.warning("sandbox_webhook_refused", code=exc.code, detail=exc.detail)
        except Exception:  # a background task has nobody to raise to
            log.exception("sandbox_webhook_failed")
