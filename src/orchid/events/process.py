"""`orchid events relay`: the outbox relay as a process of its own (the stack, GKE), publishing
the databases' outboxes to Google Pub/Sub, with /healthz, /readyz and /metrics.

At start it creates the topics and every function's subscription that do not exist yet —
Pub/Sub delivers a message only to the subscriptions that exist when it arrives, so none may
be missing when the first event goes out. Several relays may run at once (SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

import structlog
import typer
import uvicorn
from fastapi import FastAPI
from google.api_core import exceptions
from redis import asyncio as aioredis

from orchid.config import Settings, load_settings
from orchid.events.relay import Relay
from orchid.kit.db import Database
from orchid.kit.doorbell import Doorbell
from orchid.kit.errors import install_error_handlers
from orchid.kit.observability import configure_logging, health_router
from orchid.kit.outbox import MainOutbox, OutboxTable, WarehouseOutbox

log = structlog.get_logger("orchid.events.relay")
DATABASES = ("main", "warehouse")


def relay_app(settings: Settings, databases: list[str], *, workers: int = 1) -> FastAPI:
    """The relay process: `workers` relays per database, run by the app's lifespan."""
    from orchid.events.pubsub import PubSubBus
    from orchid.functions.host import bus_topology

    if not settings.pubsub_project:
        raise typer.BadParameter("a relay process publishes to Pub/Sub: set "
                                 "ORCHID_PUBSUB_PROJECT (and PUBSUB_EMULATOR_HOST on one machine)")
    urls: dict[str, tuple[str, OutboxTable]] = {
        "main": (settings.main_url(), MainOutbox),
        "warehouse": (settings.warehouse_url(), WarehouseOutbox)}
    # The writers ring through Redis (kit/doorbell.py) when the relay shares theirs.
    timeout = settings.redis_timeout_seconds
    redis = (aioredis.Redis.from_url(settings.redis_url, socket_timeout=timeout,
                                     socket_connect_timeout=timeout)
             if settings.redis_url else None)
    # The primaries only: what is unsent is read where it is written (a replica's copy lags,
    # and watching replicas costs a check per replica per second).
    dbs = {name: Database(name, urls[name][0], [], pool_size=workers + 1,
                          doorbell=Doorbell(f"orchid:outbox:{name}", redis))
           for name in databases}
    stop = asyncio.Event()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        bus = PubSubBus(settings.pubsub_project or "", topology=bus_topology)
        try:
            await asyncio.to_thread(bus.ensure, bus_topology())
        except exceptions.PermissionDenied:
            # GKE: Terraform made the topics and subscriptions; the relay may only publish.
            log.info("topology_managed_elsewhere", project=settings.pubsub_project)
        for db in dbs.values():
            await db.start()
        # Several relays per outbox may share the rows (SKIP LOCKED; each aggregate's order is
        # kept by holding back). On the stack the emulator is the limit, not the relay: more
        # relays there only add idle polling (BENCHMARKS.md, "Events").
        tasks = [asyncio.create_task(Relay(db, urls[name][1], bus).run(
            stop, idle=settings.events_relay_idle_seconds), name=f"relay-{name}-{n}")
            for name, db in dbs.items() for n in range(workers)]
        log.info("relay_started", databases=list(dbs), project=settings.pubsub_project)
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await bus.close()
            for db in dbs.values():
                await db.close()
            if redis is not None:
                await redis.aclose()

    app = FastAPI(title="Orchid events relay", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    app.include_router(health_router({name: db.ping for name, db in dbs.items()},
                                     metrics_networks=settings.metrics_allowed_networks))
    return app


def relay_command(
    database: Annotated[str, typer.Option(help="main, warehouse or all.")] = "all",
    host: Annotated[str, typer.Option(help="Bind address of /healthz and /metrics.")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of /healthz, /readyz and /metrics.")] = 9464,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Relays per database.")] = 1,
) -> None:
    """Publish the outboxes to Pub/Sub until stopped (SIGTERM), in commit order, at least once."""
    if database not in (*DATABASES, "all"):
        raise typer.BadParameter("main, warehouse or all", param_hint="--database")
    settings = load_settings()
    configure_logging(json=settings.log_json)
    chosen = list(DATABASES) if database == "all" else [database]
    typer.echo(f"Orchid events relay: {', '.join(chosen)} → Pub/Sub {settings.pubsub_project}; "
               f"metrics on http://{host}:{port}/metrics")
    uvicorn.run(relay_app(settings, chosen, workers=workers), host=host, port=port,
                access_log=False, log_level="warning")
