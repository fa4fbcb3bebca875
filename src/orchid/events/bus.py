"""The bus the relay publishes to and the functions subscribe to. Google Pub/Sub on the stack and
on GKE (events/pubsub.py); in one process when embedded, with the same interface:

    bus = InProcessBus()
    bus.subscribe("orders", "order-emails", handle, max_attempts=5)
    await bus.publish("orders", event)      # returns once every subscription has it queued
    ...
    await bus.close()

A subscription receives a topic's events in publish order, one at a time (an aggregate's
events therefore in its order), each until its handler returns; a handler that raises gets the
event again, up to `max_attempts`, after which the event is a dead letter of that subscription.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from orchid.kit.metrics import EVENTS_DEAD_LETTERED
from orchid.kit.outbox import Event

log = structlog.get_logger("orchid.events")
Handler = Callable[[Event], Coroutine[Any, Any, None]]
DEFAULT_ATTEMPTS = 5


class Bus(Protocol):
    async def publish(self, topic: str, event: Event) -> None:
        """Return once the bus holds the event (the relay marks it sent only then)."""

    def subscribe(self, topic: str, name: str, handler: Handler, *,
                  max_attempts: int = DEFAULT_ATTEMPTS) -> object:
        """Deliver `topic`'s events to `handler` as subscription `name` (on the running loop)."""

    async def close(self) -> None: ...


def bus_of(pubsub_project: str | None) -> Bus:
    """Google Pub/Sub of the project when one is set, otherwise an in-process bus."""
    if pubsub_project:
        from orchid.events.pubsub import PubSubBus  # gRPC clients: only where it is used
        from orchid.functions.host import bus_topology

        return PubSubBus(pubsub_project, topology=bus_topology)
    return InProcessBus()


@dataclass
class Subscription:
    """One subscriber's queue of a topic's events, and the events it gave up on."""

    name: str
    handler: Handler
    max_attempts: int
    retry_pause: float
    queue: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)
    dead_letters: list[tuple[Event, str]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def deliver(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self._attempt(event)
            finally:
                self.queue.task_done()

    async def _attempt(self, event: Event) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.handler(event)
                return
            except Exception as error:  # a handler's failure is retried, then dead-lettered
                why = f"{type(error).__name__}: {error}"
                log.warning("event_handler_failed", subscription=self.name, event_id=event.id,
                            type=event.type, attempt=attempt, error=why)
                if attempt == self.max_attempts:
                    self.dead_letters.append((event, why))
                    EVENTS_DEAD_LETTERED.labels(self.name).inc()
                    return
                await asyncio.sleep(self.retry_pause * attempt)


class InProcessBus:
    """Topics and subscriptions inside one process (the embedded app and unit tests)."""

    def __init__(self, *, retry_pause: float = 0.05) -> None:
        self.topics: dict[str, list[Subscription]] = {}
        self.retry_pause = retry_pause

    def subscribe(self, topic: str, name: str, handler: Handler, *,
                  max_attempts: int = DEFAULT_ATTEMPTS) -> Subscription:
        subscription = Subscription(name, handler, max_attempts, self.retry_pause)
        subscription.task = asyncio.create_task(subscription.deliver(), name=f"bus-{name}")
        self.topics.setdefault(topic, []).append(subscription)
        return subscription

    async def publish(self, topic: str, event: Event) -> None:
        for subscription in self.topics.get(topic, []):
            subscription.queue.put_nowait(event)

    async def drain(self) -> None:
        """Wait until every subscription has handled (or given up on) what it was sent."""
        for subscriptions in self.topics.values():
            for subscription in subscriptions:
                await subscription.queue.join()

    async def close(self) -> None:
        tasks = [s.task for subs in self.topics.values() for s in subs if s.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
