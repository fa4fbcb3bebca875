"""Orchid's background functions as Cloud Functions (2nd gen) run them: the entry points of
deploy/functions/main.py.

    search_index = entry_point("search-index")   # registered with functions-framework

Each subscription pushes its messages raw (`{"message": …, "subscription": …}`) to
`<function URL>/projects/<project>/topics/<topic>`; functions-framework's Flask flavour turns
that into the messagePublished CloudEvent Eventarc would deliver, its source naming the topic
(the ASGI flavour takes only CloudEvents, so the handlers are not registered as themselves).
Cloud Scheduler posts a structured CloudEvent whose id is fixed in the job; its run is named
after the job and the scheduled minute (X-CloudScheduler-ScheduleTime), as the stack's
scheduler names it (functions/client.scheduled), so a retried run is recognisable.

An instance runs the handlers — coroutines — on one event loop of its own in a background
thread, inside one FunctionContext built from its environment's settings, so the pools and
clients a function builds live as long as the instance, whichever request thread calls. It
places every service in its own process (ORCHID_SERVICES and ORCHID_PEER_URLS are ignored): a
function reads the stores directly, as Terraform's secrets let it
(orchid.deploy.function_settings), and calls no service over HTTP. A setting it was meant to
be given and was not fails its first event by name, rather than the embedded default (a SQLite
file, mail kept in memory) standing in for a store.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cache
from typing import TypeVar

import flask
import functions_framework
from cloudevents.http import CloudEvent

from orchid.config import Settings, load_settings
from orchid.deploy import function_settings
from orchid.deploy.events import entry_point_of
from orchid.functions import FUNCTION_MODULES
from orchid.functions.client import SCHEDULED
from orchid.functions.runtime import (
    PUBLISHED,
    Function,
    FunctionContext,
    load,
    pop_host,
    push_host,
)
from orchid.platform import Resources

SCHEDULE_HEADER = "X-CloudScheduler-ScheduleTime"
T = TypeVar("T")


class ConfigurationMissing(RuntimeError):
    """A setting the function's deploy gives it is not in its environment."""


class Instance:
    """One Cloud Functions instance: an event loop in a thread, and the functions' host."""

    def __init__(self, build: Callable[[], FunctionContext]) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="orchid-functions",
                                       daemon=True)
        self.thread.start()
        self.host = self.run(self._start(build))

    async def _start(self, build: Callable[[], FunctionContext]) -> FunctionContext:
        host = build()
        await host.resources.start()
        push_host(host)
        return host

    def run(self, work: Awaitable[T]) -> T:
        """Run `work` on the instance's loop; its result, or its exception raised here."""
        async def awaited() -> T:
            return await work

        return asyncio.run_coroutine_threadsafe(awaited(), self.loop).result()

    def close(self) -> None:
        """Close what the functions built and the resources, then stop the loop (Cloud
        Functions never does: the instance just ends)."""
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

    async def _stop(self) -> None:
        pop_host(self.host)
        await self.host.close()
        await self.host.resources.close()


@cache
def instance(name: str) -> Instance:
    """This process's instance, hosting function `name`, started on its first event."""
    settings = settings_for(load(FUNCTION_MODULES[name]))  # before a thread is started
    return Instance(lambda: FunctionContext(Resources.from_settings(settings)))


def settings_for(function: Function) -> Settings:
    """The instance's settings: every service placed here, and what the deploy gives the
    function present (ConfigurationMissing otherwise)."""
    settings = load_settings(services=[], peer_urls={})
    missing = [f"ORCHID_{name.upper()}" for name in function_settings.settings(function)
               if not getattr(settings, name)]
    if missing:
        raise ConfigurationMissing(f"{function.spec.name}: {', '.join(missing)} not set "
                                   "(its secrets: deploy/terraform/modules/workloads/events.tf)")
    return settings


def wanted(function: Function, cloud_event: CloudEvent) -> bool:
    """Whether the function acts on this event: a pushed message of a type one of its triggers
    takes (the subscription filters already, unless the types overflow its filter), or a
    call."""
    if cloud_event["type"] != PUBLISHED:
        return True
    source = str(cloud_event["source"])
    data = cloud_event.get_data() or {}
    kind = data.get("message", {}).get("attributes", {}).get("type", "")
    triggers = [t for t in function.spec.triggers if source.endswith(f"/topics/{t.topic}")]
    return any(t.wants(kind) for t in triggers or function.spec.triggers)


def scheduled_run(function: Function, cloud_event: CloudEvent) -> CloudEvent:
    """A Cloud Scheduler call, its id and time made the run's own (others unchanged)."""
    at = flask.request.headers.get(SCHEDULE_HEADER) if flask.has_request_context() else None
    if cloud_event["type"] != SCHEDULED or not at:
        return cloud_event
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return cloud_event
    attributes = {**cloud_event.get_attributes(), "time": when.isoformat(),
                  "id": f"{function.spec.name}@{when.strftime('%Y-%m-%dT%H:%M')}"}
    return CloudEvent(attributes, cloud_event.get_data())


def cloud_function(function: Function, name: str,
                   running: Callable[[], Instance] | None = None
                   ) -> Callable[[CloudEvent], None]:
    """`function` as a functions-framework CloudEvent function registered as `name`, run by
    `running` (default: this process's instance for it)."""
    host = running or (lambda: instance(function.spec.name))

    def run(cloud_event: CloudEvent) -> None:
        if wanted(function, cloud_event):
            host().run(function.handle(scheduled_run(function, cloud_event)))

    run.__name__ = run.__qualname__ = name
    return functions_framework.cloud_event(run)


def entry_point(name: str) -> Callable[[CloudEvent], None]:
    """The entry point of registered function `name`, named after its module."""
    function = load(FUNCTION_MODULES[name])
    return cloud_function(function, entry_point_of(function.module))
