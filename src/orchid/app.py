"""Assemble one Orchid process: resources, the services placed here, middleware and routes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from orchid.config import Settings
from orchid.events.relay import relays
from orchid.functions.host import functions, subscribe_in_process
from orchid.functions.runtime import DEFAULT_PROJECT, FunctionContext, pop_host, push_host
from orchid.kit.consistency import ReadYourWritesMiddleware
from orchid.kit.docs import docs_router
from orchid.kit.errors import install_error_handlers
from orchid.kit.headers import SecurityHeadersMiddleware
from orchid.kit.observability import RequestContextMiddleware, health_router
from orchid.kit.openapi import install_problem_docs
from orchid.kit.tracing import FASTAPI_TELEMETRY, configure_tracing
from orchid.platform import Resources
from orchid.services import MAIN_DB, REDIS, WAREHOUSE_DB
from orchid.services.registry import SERVICE_NAMES, assemble, check_placement, specs


def create_app(settings: Settings, *, resources: Resources | None = None) -> FastAPI:
    """Create the ASGI app serving the services `settings` places here."""
    check_placement(settings)
    resources = resources or Resources.from_settings(settings)
    assembly = assemble(resources)
    placed = list(assembly.local)
    if settings.events_relay:
        assembly.background += relays(resources, {s for name in placed
                                                  for s in specs()[name].stores})
    tracing = configure_tracing(
        service_name="-".join(["orchid", *placed]) if len(placed) < len(SERVICE_NAMES)
        else "orchid",
        traces_dir=settings.traces_dir, otlp_endpoint=settings.otlp_endpoint,
        sample_ratio=settings.trace_sample_ratio,
        attributes={"deployment.environment.name": settings.env})

    # The background functions ride along in a process that runs every service (embedded);
    # elsewhere they have processes of their own (`orchid functions serve`).
    hosts_functions = settings.functions_in_process and len(placed) == len(SERVICE_NAMES)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await resources.start()
        host = FunctionContext(resources, services_of=lambda: assembly.services)
        if hosts_functions:
            push_host(host)
            subscribe_in_process(resources.bus, functions(),
                                 project=settings.pubsub_project or DEFAULT_PROJECT)
        for topic, subscription, handler in assembly.subscriptions:
            resources.bus.subscribe(topic, subscription, handler)
        tasks = [asyncio.create_task(work(), name=f"orchid-background-{i}")
                 for i, work in enumerate(assembly.background)]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            # The bus before the services: no subscriber (a function) may still be using a
            # service its closer is tearing down.
            await resources.bus.close()
            for close in assembly.closers:
                await close()
            await resources.close()
            if hosts_functions:
                pop_host(host)
                await host.close()
            if tracing is not None:
                tracing.shutdown()  # the last spans: written, or sent to the collector

    # The documentation pages come from docs_router, with a policy that lets them run.
    # FastAPI's own telemetry stays off: RequestContextMiddleware opens the server spans.
    app = FastAPI(title="Orchid", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None, telemetry=FASTAPI_TELEMETRY,
                  description="Commerce services of the Orchid beauty shop. "
                              f"This process serves: {', '.join(placed)}.")
    app.state.settings, app.state.resources = settings, resources
    app.state.assembly, app.state.services = assembly, assembly.services
    app.state.authenticator = assembly.authenticator
    app.state.tracing = tracing
    pages = [page for name in placed if (page := specs()[name].error_page) is not None]
    install_error_handlers(app, html_page=pages[0] if pages else None)
    install_problem_docs(app)
    # Outermost first: the request id must exist before anything logs or fails.
    app.add_middleware(ReadYourWritesMiddleware, window=settings.read_your_writes_seconds,
                       secure_cookie=settings.cookie_secure)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes,
                       tracer=tracing.tracer if tracing is not None else None)
    app.add_middleware(SecurityHeadersMiddleware)  # outside even the 413 the one above sends

    # Ready when the stores of the services placed here answer: a storefront process is not
    # taken out of its balancer because the warehouse database it never uses is down.
    stores = {store for name in placed for store in specs()[name].stores}
    known = {MAIN_DB: resources.main_db.ping, WAREHOUSE_DB: resources.warehouse_db.ping}
    if settings.redis_url:
        known[REDIS] = resources.store.ping
    checks = {store: check for store, check in known.items() if store in stores}
    # A request is matched against the routes in order, one regular expression each (FastAPI
    # does not skip a router by its prefix): the busiest routers go first, the docs last.
    app.include_router(health_router(checks, metrics_networks=settings.metrics_allowed_networks))
    for router in sorted(assembly.routers, key=_by_traffic):
        app.include_router(router)
    app.include_router(docs_router(title=app.title))
    return app


BUSIEST = ("/api/v1/catalog", "/api/v1/search", "", "/api/v1/cart")  # "": the storefront's pages


def _by_traffic(router: APIRouter) -> int:
    return BUSIEST.index(router.prefix) if router.prefix in BUSIEST else len(BUSIEST)
