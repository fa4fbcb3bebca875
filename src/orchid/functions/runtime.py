"""How a background function runs: in the style of Cloud Functions, a module with one
CloudEvent handler (functions-framework's ASGI flavour) and a spec saying what triggers it and
who may call it.

    SPEC = FunctionSpec("order-notifications", triggers=(Trigger("orders", ("order.shipped",)),),
                        callers=("orders",))

    @functions_framework.aio.cloud_event
    async def handle(cloud_event: CloudEvent) -> None:
        event = event_of(cloud_event)         # the outbox event the bus carried
        ctx = context()                        # the host's resources, clock, mail, SMS
        ...

A function is reached two ways, as on GCP: by event — a subscription per function and topic,
delivering each event as the CloudEvent Eventarc would (`google.cloud.pubsub.topic.v1.
messagePublished`) — and over HTTP by a service holding a service-account identity token for
the function's URL (functions/host.py checks it). Hosts: its own process (`orchid functions
serve NAME`, what `orchid up` and GKE run) or, embedded, the app process, which subscribes the
handlers to its in-process bus.

A handler is idempotent (kit/inbox.first_time, or an effect that is the same when repeated):
every delivery path is at least once.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from cloudevents.http import CloudEvent

from orchid.kit.metrics import FUNCTION_EVENT_LAG, FUNCTION_EVENTS
from orchid.kit.orm import utcnow
from orchid.kit.outbox import Event

if TYPE_CHECKING:
    from orchid.events.bus import Handler
    from orchid.kit.mail import Mailer
    from orchid.platform import Resources

PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"  # what Eventarc delivers
EVENTS_CALLER = "events"  # the service account the bus's deliveries run as (Eventarc's trigger)
DEFAULT_PROJECT = "orchid-local"
T = TypeVar("T")
CloudEventHandler = Callable[[CloudEvent], Awaitable[None]]


@dataclass(frozen=True)
class Trigger:
    """A topic a function subscribes to, and the event types it acts on (others are
    acknowledged unread; none listed: all of them)."""

    topic: str
    types: tuple[str, ...] = ()
    max_attempts: int = 5

    def wants(self, event_type: str) -> bool:
        return not self.types or event_type in self.types


@dataclass(frozen=True)
class FunctionSpec:
    """A function: its name (also its subscriptions', process's and service account's),
    what triggers it, the services allowed to call it over HTTP and the stores it uses."""

    name: str
    triggers: tuple[Trigger, ...] = ()
    callers: tuple[str, ...] = ()
    stores: frozenset[str] = frozenset()

    def subscription(self, trigger: Trigger) -> str:
        """One subscription per function and topic: each function gets every event once."""
        return self.name if len(self.triggers) == 1 else f"{self.name}-{trigger.topic}"


@dataclass(frozen=True)
class Function:
    """A loaded function: its spec and its CloudEvent handler."""

    spec: FunctionSpec
    handle: CloudEventHandler
    module: str


def service_account_email(name: str, project: str = DEFAULT_PROJECT) -> str:
    """The service account of a service, function or job `name` (as Terraform names them)."""
    return f"orchid-{name}@{project}.iam.gserviceaccount.com"


# --- CloudEvents ------------------------------------------------------------------------------


def cloud_event_of(event: Event, *, topic: str, project: str = DEFAULT_PROJECT,
                   subscription: str = "", message_id: str = "",
                   attributes: dict[str, str] | None = None) -> CloudEvent:
    """The CloudEvent Eventarc delivers for a Pub/Sub message carrying `event`."""
    message = {
        "data": base64.b64encode(event.to_json()).decode(),
        "attributes": {"event_id": event.id, "type": event.type, "version": str(event.version),
                       **(attributes or {})},
        "messageId": message_id or event.id,
        "publishTime": event.occurred_at.isoformat(),
    }
    return CloudEvent({
        "type": PUBLISHED,
        "source": f"//pubsub.googleapis.com/projects/{project}/topics/{topic}",
        "id": message_id or event.id,
        "time": event.occurred_at.isoformat(),
        "datacontenttype": "application/json",
    }, {"message": message,
        "subscription": f"projects/{project}/subscriptions/{subscription}"})


class NotAnEvent(ValueError):
    """A CloudEvent that does not carry an Orchid event."""


def event_of(cloud_event: CloudEvent) -> Event:
    """The outbox event inside a messagePublished CloudEvent."""
    try:
        data: Any = cloud_event.get_data()
        raw = base64.b64decode(data["message"]["data"], validate=True)
        return Event.from_json(raw)
    except (TypeError, KeyError, ValueError) as error:
        raise NotAnEvent(f"not an Orchid event: {type(error).__name__}: {error}") from None


# --- the host's context -------------------------------------------------------------------------


@dataclass
class FunctionContext:
    """What a function may use: the host's resources, its services (the app's own when
    embedded; in a function's process, built on first use as ORCHID_SERVICES places them, their
    peers remote), its clock, and objects built once per host (a mailer …), closed with it."""

    resources: Resources
    clock: Callable[[], datetime] = utcnow
    services_of: Callable[[], Any] | None = None
    _shared: dict[str, Any] = field(default_factory=dict)

    @property
    def services(self) -> Any:
        """The services by attribute (`ctx.services.search`)."""
        def build() -> Any:
            if self.services_of is not None:
                return self.services_of()
            from orchid.services.registry import assemble

            assembly = assemble(self.resources)
            self._closers.extend(assembly.closers)
            return assembly.services
        return self.shared("services", build)

    @property
    def _closers(self) -> list[Callable[[], Awaitable[None]]]:
        return self.shared("closers", list)

    def shared(self, key: str, build: Callable[[], T]) -> T:
        """The host's one `key` object, built by `build` on first use."""
        if key not in self._shared:
            self._shared[key] = build()
        value: T = self._shared[key]
        return value

    async def close(self) -> None:
        for closer in self._shared.pop("closers", []):
            await closer()
        for value in self._shared.values():
            closer = getattr(value, "aclose", None) or getattr(value, "close", None)
            if closer is not None:
                result = closer()
                if hasattr(result, "__await__"):
                    await result
        self._shared.clear()


def mailer_of(ctx: FunctionContext) -> Mailer:
    """The host's one mailer (ORCHID_SMTP_URL, or in memory), shared by its functions."""
    from orchid.kit.mail import mailer

    return ctx.shared("mailer", lambda: mailer(ctx.resources.settings))


_hosted: list[FunctionContext] = []


def context() -> FunctionContext:
    """The context of the host running this function."""
    if not _hosted:
        raise RuntimeError("no function host is running (functions.runtime.hosting)")
    return _hosted[-1]


def push_host(ctx: FunctionContext) -> None:
    """Make `ctx` the functions' context (until `pop_host`)."""
    _hosted.append(ctx)


def pop_host(ctx: FunctionContext) -> None:
    _hosted.remove(ctx)


@contextlib.asynccontextmanager
async def hosting(ctx: FunctionContext) -> AsyncIterator[FunctionContext]:
    """Make `ctx` the functions' context while the host runs; close what they built."""
    push_host(ctx)
    try:
        yield ctx
    finally:
        pop_host(ctx)
        await ctx.close()


# --- loading and delivering -------------------------------------------------------------------


def load(module: str) -> Function:
    """Import a function's module: its SPEC and its `handle`."""
    loaded = importlib.import_module(module)
    return Function(loaded.SPEC, loaded.handle, module)


def delivery(function: Function, trigger: Trigger, *, project: str = DEFAULT_PROJECT
             ) -> Handler:
    """A bus handler giving `trigger`'s events to the function as Eventarc's CloudEvents;
    events of other types are acknowledged without a call."""
    subscription = function.spec.subscription(trigger)

    name = function.spec.name

    async def deliver(event: Event) -> None:
        if not trigger.wants(event.type):
            FUNCTION_EVENTS.labels(name, "skipped").inc()
            return
        try:
            await function.handle(cloud_event_of(event, topic=trigger.topic, project=project,
                                                 subscription=subscription))
        except BaseException:
            FUNCTION_EVENTS.labels(name, "failed").inc()
            raise
        FUNCTION_EVENTS.labels(name, "handled").inc()
        FUNCTION_EVENT_LAG.labels(name).observe(
            max(0.0, (utcnow() - event.occurred_at).total_seconds()))

    return deliver
