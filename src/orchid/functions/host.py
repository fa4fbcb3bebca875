"""Hosts of the background functions: a function's own process, or the app process (embedded).

Own process (`orchid functions serve NAME`, what `orchid up` and GKE run): functions-framework's
ASGI app for the function behind an identity check — a call needs a service-account identity
token for this function's URL (401 without a valid one) of an allowed caller (403) — beside
/healthz, /readyz and /metrics; with Pub/Sub configured it also pulls its subscriptions and
delivers each event as a CloudEvent (on GCP, Eventarc pushes them as the trigger's identity).

Embedded: `subscribe_in_process` puts every function on the app's in-process bus.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import FastAPI
from functions_framework import _function_registry
from functions_framework.aio import _create_asgi_app_with_function
from starlette.types import ASGIApp, Receive, Scope, Send

from orchid.config import Settings
from orchid.events.bus import Bus
from orchid.functions import FUNCTION_MODULES
from orchid.functions.runtime import (
    DEFAULT_PROJECT,
    EVENTS_CALLER,
    Function,
    FunctionContext,
    delivery,
    hosting,
    load,
    service_account_email,
)
from orchid.kit.errors import OrchidError, install_error_handlers, problem
from orchid.kit.identity import Verifier, read_public_keys
from orchid.kit.observability import health_router
from orchid.platform import Resources

if TYPE_CHECKING:
    from orchid.events.pubsub import SubscriptionSpec

log = structlog.get_logger("orchid.functions")


def functions(names: Iterable[str] | None = None) -> list[Function]:
    """The named functions (all of them by default), loaded."""
    chosen = list(FUNCTION_MODULES) if names is None else list(names)
    unknown = sorted(set(chosen) - set(FUNCTION_MODULES))
    if unknown:
        raise ValueError(f"no such function: {', '.join(unknown)} "
                         f"(there are: {', '.join(FUNCTION_MODULES)})")
    return [load(FUNCTION_MODULES[name]) for name in chosen]


def subscribe_in_process(bus: Bus, hosted: Iterable[Function], *,
                         project: str = DEFAULT_PROJECT) -> None:
    """Every trigger of every function, subscribed on `bus`."""
    for function in hosted:
        for trigger in function.spec.triggers:
            bus.subscribe(trigger.topic, function.spec.subscription(trigger),
                          delivery(function, trigger, project=project),
                          max_attempts=trigger.max_attempts)


def verifier_for(function: Function, settings: Settings) -> Verifier:
    """Who may call `function`: its listed callers and the bus's deliverer, with tokens for
    its own URL signed by a key the settings trust."""
    if settings.function_url is None or settings.identity_keys_file is None:
        raise RuntimeError("a function's process needs ORCHID_FUNCTION_URL and "
                           "ORCHID_IDENTITY_KEYS_FILE")
    project = settings.pubsub_project or DEFAULT_PROJECT
    allowed = {service_account_email(name, project)
               for name in (*function.spec.callers, EVENTS_CALLER)}
    return Verifier(read_public_keys(settings.identity_keys_file),
                    audience=settings.function_url, allowed=allowed)


class IdentityGuard:
    """Admits a call to the function only with a valid identity token of an allowed caller;
    answers anything else with problem+json (401/403) before the function sees it."""

    def __init__(self, app: ASGIApp, verifier: Verifier) -> None:
        self.app, self.verifier = app, verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            try:
                caller = self.verifier.check(headers.get("authorization"))
            except OrchidError as error:
                response = problem(error.status, error.title, detail=str(error),
                                   code=error.code,
                                   headers={"WWW-Authenticate": "Bearer"}
                                   if error.status == 401 else None)
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)


def function_asgi(function: Function) -> Any:
    """functions-framework's own ASGI app for a CloudEvent function."""
    return _create_asgi_app_with_function(  # type: ignore[no-untyped-call]
        function.handle, _function_registry.CLOUDEVENT_SIGNATURE_TYPE, False)


def function_app(function: Function, settings: Settings, *,
                 resources: Resources | None = None) -> FastAPI:
    """The process of one function: its calls behind the identity check, its subscriptions
    pulled when the bus is Pub/Sub, and the health and metrics endpoints."""
    resources = resources or Resources.from_settings(settings)
    guarded = IdentityGuard(function_asgi(function), verifier_for(function, settings))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await resources.start()
        try:
            async with hosting(FunctionContext(resources)):
                if settings.pubsub_project:
                    subscribe_in_process(resources.bus, [function],
                                         project=settings.pubsub_project)
                log.info("function_started", function=function.spec.name,
                         subscriptions=[function.spec.subscription(t)
                                        for t in function.spec.triggers])
                yield
        finally:
            await resources.close()

    app = FastAPI(title=f"Orchid function {function.spec.name}", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    app.include_router(health_router({}, metrics_networks=settings.metrics_allowed_networks))
    app.mount("/", guarded)
    return app


def bus_topology(hosted: Iterable[Function] | None = None) -> dict[str, list[SubscriptionSpec]]:
    """Every topic and the functions' subscriptions of it: what a relay ensures exists before
    it publishes (Pub/Sub delivers only to subscriptions that exist when a message arrives)."""
    from orchid.events.pubsub import SubscriptionSpec  # gRPC: only where Pub/Sub is used
    from orchid.events.topics import TOPICS

    topology: dict[str, list[SubscriptionSpec]] = {topic: [] for topic in TOPICS.values()}
    for function in functions() if hosted is None else hosted:
        for trigger in function.spec.triggers:
            topology.setdefault(trigger.topic, []).append(SubscriptionSpec(
                function.spec.subscription(trigger), trigger.max_attempts))
    return topology
