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
`max_attempts` deliveries. `dead_letters()` lists what waits there without consuming it, and
`replay()` publishes it to the original topic again (`orchid events dlq`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
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
RESUBSCRIBE_PAUSE_SECONDS = 1.0  # between a pull that ended and the next
# A synchronous pull of an empty subscription waits this long before it counts as empty.
PULL_WAIT_SECONDS = 2.0
DEAD_SUFFIX = "-dead"
_PUBSUB_DEAD = "CloudPubSubDeadLetter"  # the attributes Pub/Sub adds when it forwards itself
REPLAY_LIMIT = 1000  # dead letters held (leased) by one replay; the rest wait for the next


@dataclass(frozen=True)
class SubscriptionSpec:
    """A subscription of a topic, and how often it tries an event before dead-lettering it."""

    name: str
    max_attempts: int = DEFAULT_ATTEMPTS  # Pub/Sub allows 5..100

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.name}-dead"


@dataclass(frozen=True)
class DeadLetter:
    """A message waiting in a dead-letter subscription: the event, and why it is there."""

    subscription: str  # the dead-letter subscription, `<subscription>-dead`
    message_id: str
    dead_since: datetime  # when it reached the dead-letter topic
    data: bytes
    attributes: dict[str, str]

    @property
    def event(self) -> Event | None:
        """The event, or None when the data is not one (the reason says so)."""
        try:
            return Event.from_json(self.data)
        except (ValueError, TypeError, KeyError):
            return None

    @property
    def event_id(self) -> str | None:
        return self.attributes.get("event_id")

    @property
    def reason(self) -> str | None:
        """Why the consumer gave up on it (its dead_letter_reason)."""
        return self.attributes.get("dead_letter_reason")

    @property
    def attempts(self) -> int | None:
        """Deliveries before it was dead-lettered: known only when Pub/Sub forwarded it."""
        count = self.attributes.get(f"{_PUBSUB_DEAD}SourceDeliveryCount", "")
        return int(count) if count.isdigit() else None


@dataclass(frozen=True)
class Replay:
    """What a replay republished, and what it could not (left in the dead letters)."""

    replayed: list[DeadLetter]
    failed: list[DeadLetter]


def dead_letter_subscription(subscription: str) -> str:
    """Name a subscription's dead-letter subscription (a name already ending in -dead is one)."""
    return subscription if subscription.endswith(DEAD_SUFFIX) else subscription + DEAD_SUFFIX


class PubSubBus:
    """Publish and subscribe on one Google Cloud project's Pub/Sub."""

    def __init__(self, project: str, *,
                 topology: Callable[[], Mapping[str, Iterable[SubscriptionSpec]]] | None = None
                 ) -> None:
        """`topology`: the topics and subscriptions to create again when a publish finds its
        topic gone (the emulator keeps them in memory: a restarted one has none)."""
        self.project, self.topology = project, topology
        self.publisher = pubsub_v1.PublisherClient(
            publisher_options=PublisherOptions(enable_message_ordering=True))
        self.subscriber = pubsub_v1.SubscriberClient()
        self._pulls: list[Any] = []
        self._closing = False

    def topic_path(self, topic: str) -> str:
        return str(self.publisher.topic_path(self.project, topic))

    def subscription_path(self, subscription: str) -> str:
        return str(self.subscriber.subscription_path(self.project, subscription))

    def ensure(self, topics: Mapping[str, Iterable[SubscriptionSpec]]) -> None:
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
        try:
            await self._publish(topic, event)
        except exceptions.NotFound:
            # Its topic is gone (a restarted emulator): make it and its subscriptions again
            # before the event goes out, or no subscription would receive it.
            log.warning("topic_missing", topic=topic)
            await asyncio.to_thread(self.ensure, self.topology() if self.topology is not None
                                    else {topic: []})
            await self._publish(topic, event)

    async def _publish(self, topic: str, event: Event) -> None:
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
        self.pull(spec, handler, topic=topic)

    def pull(self, spec: SubscriptionSpec | str, handler: Handler, *,
             topic: str | None = None) -> None:
        """Deliver an existing subscription's events to `handler` on this event loop; an event
        is acknowledged when the handler returns and redelivered when it raises, until its
        `max_attempts`-th delivery fails: then it goes to the dead-letter topic.

        The consumer forwards it itself: the emulator counts delivery attempts and stops
        redelivering at the policy's maximum, but drops the message instead of forwarding it
        (tests/integration/test_pubsub_bus.py). On Pub/Sub the forward happens here first, and
        the acknowledged message is not forwarded a second time.

        A pull that ends with an error (the emulator restarted, the network away) starts again
        a second later, creating the subscription again first when its `topic` is known."""
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

        pull = self.subscriber.subscribe(self.subscription_path(subscription), callback=deliver)
        self._pulls.append(pull)

        def ended(done: Any) -> None:
            if self._closing or done.cancelled() or done.exception() is None:
                return
            log.warning("pull_ended", subscription=subscription, error=str(done.exception()))
            loop.call_soon_threadsafe(loop.create_task, self._pull_again(spec, handler, topic))

        pull.add_done_callback(ended)

    async def _pull_again(self, spec: SubscriptionSpec, handler: Handler,
                          topic: str | None) -> None:
        await asyncio.sleep(RESUBSCRIBE_PAUSE_SECONDS)
        while not self._closing:
            try:
                if topic is not None:
                    await asyncio.to_thread(self.ensure, {topic: [spec]})
                self.pull(spec, handler, topic=topic)
                return
            except exceptions.GoogleAPICallError as error:
                log.warning("pull_waiting", subscription=spec.name, error=str(error))
                await asyncio.sleep(RESUBSCRIBE_PAUSE_SECONDS)

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

    def dead_letter_subscriptions(self) -> list[str]:
        """Name the project's dead-letter subscriptions (those ending in -dead)."""
        found = self.subscriber.list_subscriptions(request={"project": f"projects/{self.project}"})
        names = (str(s.name).rsplit("/", 1)[-1] for s in found)
        return sorted(name for name in names if name.endswith(DEAD_SUFFIX))

    def dead_letters(self, subscription: str, limit: int = 100) -> list[DeadLetter]:
        """List up to `limit` dead letters of `subscription` without consuming them."""
        dead = dead_letter_subscription(subscription)
        held = self._hold(dead, limit)
        self._settle(dead, held, acked=[])
        return [letter for _, letter in held]

    def replay(self, subscription: str, event_ids: Iterable[str] | None = None, *,
               dry_run: bool = False) -> Replay:
        """Publish `subscription`'s dead letters (all, or those of `event_ids`) to its topic
        again, then acknowledge them in the dead-letter subscription; `dry_run` only says
        which it would.

        The topic delivers them to each of its subscriptions, not only to the one that failed
        them: the others get them a second time, which an idempotent handler shrugs off."""
        dead = dead_letter_subscription(subscription)
        original = self.subscriber.get_subscription(
            request={"subscription": self.subscription_path(dead.removesuffix(DEAD_SUFFIX))})
        wanted = None if event_ids is None else set(event_ids)
        held = self._hold(dead, REPLAY_LIMIT, wanted)
        chosen = [(ack_id, letter) for ack_id, letter in held
                  if wanted is None or letter.event_id in wanted]
        if dry_run:
            self._settle(dead, held, acked=[])
            return Replay([letter for _, letter in chosen], [])
        acked: list[str] = []
        replay = Replay([], [])
        try:
            sent = [(ack_id, letter, self._republish(str(original.topic), dead, letter))
                    for ack_id, letter in chosen]
            for ack_id, letter, future in sent:
                try:
                    future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
                except Exception as error:
                    log.warning("dead_letter_replay_failed", subscription=dead,
                                event_id=letter.event_id, error=str(error))
                    self.publisher.resume_publish(str(original.topic), _ordering_key(letter))
                    replay.failed.append(letter)
                    continue
                acked.append(ack_id)
                replay.replayed.append(letter)
        finally:
            self._settle(dead, held, acked=acked)
        return replay

    def _republish(self, topic: str, dead: str, letter: DeadLetter) -> Any:
        # The consumer's reason and Pub/Sub's own forwarding record describe the last failure,
        # not this delivery.
        attributes = {key: value for key, value in letter.attributes.items()
                      if key != "dead_letter_reason" and not key.startswith(_PUBSUB_DEAD)}
        return self.publisher.publish(topic, letter.data, ordering_key=_ordering_key(letter),
                                      **attributes, replayed_from=dead)

    def _hold(self, dead: str, limit: int, wanted: set[str] | None = None
              ) -> list[tuple[str, DeadLetter]]:
        """Pull up to `limit` messages of a dead-letter subscription and keep their leases:
        until a pull answers nothing, since one pull may return fewer than are waiting."""
        path = self.subscription_path(dead)
        held: list[tuple[str, DeadLetter]] = []
        try:
            while len(held) < limit:
                try:
                    answer = self.subscriber.pull(
                        request={"subscription": path, "max_messages": limit - len(held)},
                        timeout=PULL_WAIT_SECONDS)
                except exceptions.DeadlineExceeded:  # nothing came within the wait
                    break
                if not answer.received_messages:
                    break
                held += [(m.ack_id, _dead_letter(dead, m)) for m in answer.received_messages]
                if wanted is not None and wanted <= {letter.event_id for _, letter in held}:
                    break
        except BaseException:
            self._settle(dead, held, acked=[])
            raise
        return held

    def _settle(self, dead: str, held: list[tuple[str, DeadLetter]], *, acked: list[str]
                ) -> None:
        """Acknowledge `acked` and hand every other held message back at once (deadline 0)."""
        path = self.subscription_path(dead)
        done = set(acked)
        released = [ack_id for ack_id, _ in held if ack_id not in done]
        for start in range(0, len(acked), 1000):
            self.subscriber.acknowledge(
                request={"subscription": path, "ack_ids": acked[start:start + 1000]})
        for start in range(0, len(released), 1000):
            self.subscriber.modify_ack_deadline(
                request={"subscription": path, "ack_ids": released[start:start + 1000],
                         "ack_deadline_seconds": 0})

    async def close(self) -> None:
        if self._closing:
            return  # closed already (the app closes its bus first, then its resources)
        self._closing = True
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



def _dead_letter(subscription: str, received: Any) -> DeadLetter:
    message = received.message
    return DeadLetter(subscription, str(message.message_id), message.publish_time,
                      bytes(message.data), dict(message.attributes))


def _ordering_key(letter: DeadLetter) -> str:
    event = letter.event
    return event.aggregate_id if event is not None else ""
