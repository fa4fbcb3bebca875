"""Assemble one Orchid process: resources, the services placed here, middleware and routes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from orchid.config import Settings
from orchid.kit.consistency import ReadYourWritesMiddleware
from orchid.kit.errors import install_error_handlers
from orchid.kit.observability import RequestContextMiddleware, health_router
from orchid.kit.placement import internal_router
from orchid.platform import Resources
from orchid.services.registry import SPECS, assemble
from orchid.sweeper import run_sweeper


def create_app(settings: Settings, *, resources: Resources | None = None) -> FastAPI:
    """Create the ASGI app serving `settings.services`."""
    resources = resources or Resources.from_settings(settings)
    services = assemble(resources, settings.services)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await resources.start()
        sweeper = None
        if "orders" in settings.services and settings.sweep_interval_seconds > 0:
            # Expired reservations and abandoned checkouts are cleaned where orders runs.
            sweeper = asyncio.create_task(run_sweeper(services, settings.sweep_interval_seconds),
                                          name="orchid-sweeper")
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            search = services.local().get("search")
            if search is not None:
                await search.close()
            await resources.close()

    app = FastAPI(title="Orchid", version="0.1.0", lifespan=lifespan,
                  description="Commerce services of the Orchid beauty shop. "
                              f"This process serves: {', '.join(settings.services)}.")
    app.state.settings, app.state.resources, app.state.services = settings, resources, services
    pages = [SPECS[n].error_page for n in settings.services if SPECS[n].error_page]
    install_error_handlers(app, html_page=pages[0] if pages else None)
    # Outermost first: the request id must exist before anything logs or fails.
    app.add_middleware(ReadYourWritesMiddleware, window=settings.read_your_writes_seconds,
                       secure_cookie=settings.cookie_secure)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)

    checks = {"main_db": resources.main_db.ping, "warehouse_db": resources.warehouse_db.ping}
    if settings.redis_url:
        checks["redis"] = resources.store.ping
    app.include_router(health_router(checks))
    token = settings.internal_token.get_secret_value() if settings.internal_token else None
    for name in settings.services:
        app.include_router(SPECS[name].router)
        app.include_router(internal_router(name, getattr(services, name), token=token))
    return app
