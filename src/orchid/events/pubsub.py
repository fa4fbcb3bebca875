"""The bus on Google Pub/Sub, through the official client: the emulator on one machine (the
client finds it by PUBSUB_EMULATOR_HOST), the service itself on GKE.

    bus = PubSubBus("orchid-local")
    bus.ensure({"orders": [SubscriptionSpec("order-emails")]})   # idempotent
    await bus.publish("orders", event)                           # returns once Pub/Sub has it
    bus.pull("order-emails", handle)                             # ack when handle returns
    bus.subscribe("orders", "order-emails", handle)              # ensure + pull, as in-process
    await bus.close()

Events go out with the aggregate id as their ordering key and the subscriptions deliver in that
order. A subscription hands an event that keeps failing to its dead-letter topic
(`<subscription>-dead`, kept readable by a subscription of the same name) after
`max_attempts` deliveries.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from google.api_core import exceptions
from google.cloud import pubsub_v1  # type: ignore[import-untyped]
from google.cloud.pubsub_v1.types import (  # type: ignore[import-untyped]
    DeadLetterPolicy,
    PublisherOptions,
)

from orchid.events.bus import DEFAULT_ATTEMPTS, Handler
from orchid.kit.metrics import EVENTS_DEAD_LETTERED
from orchid.kit.outbox import Event

log = structlog.get_logger("orchid.events.pubsub")
ACK_DEADLINE_SECONDS = 30
HANDLER_TIMEOUT_SECONDS = 25  # under the ack deadline: a slow handler's event is redelivered
# A publish not acknowledged by then fails the relay's batch (its rows stay unsent); the client
# may still deliver it later, which consumers deduplicate.
PUBLISH_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class SubscriptionSpec:
    """A subscription of a topic, and how often it tries an event before dead-lettering it."""

    name: str
    max_attempts: int = DEFAULT_ATTEMPTS  # Pub/Sub allows 5..100

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.name}-dead"


class PubSubBus:
    """Publish and subscribe on one Google Cloud project's Pub/Sub."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.publisher = pubsub_v1.PublisherClient(
            publisher_options=PublisherOptions(enable_message_ordering=True))
        self.subscriber = pubsub_v1.SubscriberClient()
        self._pulls: list[Any] = []

    def topic_path(self, topic: str) -> str:
        return str(self.publisher.topic_path(self.project, topic))

    def subscription_path(self, subscription: str) -> str:
        return str(self.subscriber.subscription_path(self.project, subscription))

    def ensure(self, topics: dict[str, Iterable[SubscriptionSpec]]) -> None:
        """Create the topics, their subscriptions and dead-letter topics that do not exist."""
        for topic, subscriptions in topics.items():
            self._topic(topic)
            for spec in subscriptions:
                dead = self._topic(spec.dead_letter_topic)
                self._subscription(spec.dead_letter_topic, dead, None)  # dead letters, readable
                policy = DeadLetterPolicy(dead_letter_topic=dead,
                                          max_delivery_attempts=spec.max_attempts)
                self._subscription(spec.name, self.topic_path(topic), policy)

    def _topic(self, topic: str) -> str:
        path = self.topic_path(topic)
        try:
            self.publisher.create_topic(name=path)
        except exceptions.AlreadyExists:
            pass
        return path

    def _subscription(self, name: str, topic: str, policy: DeadLetterPolicy | None) -> None:
        request: dict[str, Any] = {"name": self.subscription_path(name), "topic": topic,
                                   "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
                                   "enable_message_ordering": True}
        if policy is not None:
            request["dead_letter_policy"] = policy
        try:
            self.subscriber.create_subscription(request=request)
        except exceptions.AlreadyExists:
            pass

    async def publish(self, topic: str, event: Event) -> None:
        path = self.topic_path(topic)
        attributes = {"event_id": event.id, "type": event.type, "version": str(event.version)}
        if event.traceparent:
            attributes["traceparent"] = event.traceparent
        future = self.publisher.publish(path, event.to_json(), ordering_key=event.aggregate_id,
                                        **attributes)
        try:
            await asyncio.wait_for(asyncio.wrap_future(future), PUBLISH_TIMEOUT_SECONDS)
        except Exception:
            # A failed publish pauses its ordering key; the relay publishes the row again.
            self.publisher.resume_publish(path, event.aggregate_id)
            raise

    def subscribe(self, topic: str, name: str, handler: Handler, *,
                  max_attempts: int = DEFAULT_ATTEMPTS) -> None:
        """Subscribe `handler` to `topic` as subscription `name` (created, with its dead-letter
        topic, when it does not exist): the interface of the in-process bus."""
        spec = SubscriptionSpec(name, max_attempts)
        self.ensure({topic: [spec]})
        self.pull(spec, handler)

    def pull(self, spec: SubscriptionSpec | str, handler: Handler) -> None:
        """Deliver an existing subscription's events to `handler` on this event loop; an event
        is acknowledged when the handler returns and redelivered when it raises, until its
        `max_attempts`-th delivery fails: then it goes to the dead-letter topic.

        The consumer forwards it itself: the emulator counts delivery attempts and stops
        redelivering at the policy's maximum, but drops the message instead of forwarding it
        (tests/integration/test_pubsub_bus.py). On Pub/Sub the forward happens here first, and
        the acknowledged message is not forwarded a second time."""
        if isinstance(spec, str):
            spec = SubscriptionSpec(spec)
        loop = asyncio.get_running_loop()
        subscription = spec.name

        def deliver(message: Any) -> None:
            try:
                event = Event.from_json(message.data)
            except (ValueError, TypeError, KeyError) as error:
                log.warning("event_undecodable", subscription=subscription, error=str(error))
                self._dead_letter(spec, message, f"undecodable: {error}")
                return
            running: concurrent.futures.Future[None] = asyncio.run_coroutine_threadsafe(
                handler(event), loop)
            try:
                running.result(timeout=HANDLER_TIMEOUT_SECONDS)
            except (Exception, concurrent.futures.TimeoutError) as error:
                attempt = message.delivery_attempt or 1
                why = f"{type(error).__name__}: {error}"
                log.warning("event_handler_failed", subscription=subscription,
                            event_id=event.id, type=event.type, attempt=attempt, error=why)
                running.cancel()
                if attempt >= spec.max_attempts:
                    self._dead_letter(spec, message, why)
                else:
                    message.nack()
                return
            message.ack()

        self._pulls.append(self.subscriber.subscribe(self.subscription_path(subscription),
                                                     callback=deliver))

    def _dead_letter(self, spec: SubscriptionSpec, message: Any, why: str) -> None:
        """Move a message to the subscription's dead-letter topic, then acknowledge it (a
        failed forward leaves it to be delivered again)."""
        try:
            self.publisher.publish(self.topic_path(spec.dead_letter_topic), message.data,
                                   **{**dict(message.attributes), "dead_letter_reason":
                                      why[:500]}).result(timeout=PUBLISH_TIMEOUT_SECONDS)
        except Exception as error:
            log.warning("dead_letter_failed", subscription=spec.name, error=str(error))
            message.nack()
            return
        EVENTS_DEAD_LETTERED.labels(spec.name).inc()
        message.ack()

    async def close(self) -> None:
        for pull in self._pulls:
            pull.cancel()
        for pull in self._pulls:
            await asyncio.to_thread(_quietly_done, pull)
        self._pulls.clear()
        await asyncio.to_thread(self.publisher.stop)
        self.subscriber.close()


def _quietly_done(pull: Any) -> None:
    try:
        pull.result(timeout=10)
    except Exception:  # a cancelled streaming pull ends by raising: that is its normal end
        return
