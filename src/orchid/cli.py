"""`orchid …` — the one entry point: settings are built here and passed down."""

from __future__ import annotations

import asyncio
import getpass
import os
import socket
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from orchid.config import Settings, ensure_dev_internal_keys, ensure_dev_secret, load_settings
from orchid.deploy.cli import deploy_app
from orchid.edge.cli import edge_app
from orchid.events.cli import events_app
from orchid.events.process import relay_command
from orchid.functions.cli import functions_app
from orchid.functions.reports_cli import app as reports_app
from orchid.kit.observability import configure_logging
from orchid.loadtest.cli import bench
from orchid.monitoring.cli import drill, monitoring_app
from orchid.ops.capacity_cli import capacity
from orchid.ops.cli import ops_app
from orchid.ops.traces_cli import traces_app
from orchid.stack import cli as stack_cli

app = typer.Typer(help="Orchid e-commerce platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Staff and customer accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
search_app = typer.Typer(help="Search indexes.", no_args_is_help=True)
app.add_typer(search_app, name="search")
keys_app = typer.Typer(help="Caller keys of internal calls between processes.",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.command("up")(stack_cli.up)
app.command("status")(stack_cli.status)
app.command("down")(stack_cli.down)
app.command("bench")(bench)
app.add_typer(edge_app, name="edge")
app.add_typer(ops_app, name="ops")
app.add_typer(deploy_app, name="deploy")
app.add_typer(monitoring_app, name="monitoring")
app.command("drill")(drill)
app.add_typer(traces_app, name="traces")
events_app.command("relay")(relay_command)
app.add_typer(events_app, name="events")
app.add_typer(functions_app, name="functions")
app.add_typer(reports_app, name="reports")
app.command(name="capacity")(capacity)


def _settings(**overrides: object) -> Settings:
    settings = load_settings(**overrides)
    if settings.embedded and settings.secret_key is None:
        # The embedded demo gets a random key in a secret file; real deployments set their own.
        ensure_dev_secret(settings.data_dir)
        settings = load_settings(**overrides)
    return settings


@app.command()
def serve(
    services: Annotated[str, typer.Option(help="Comma-separated services to run here.")] = "",
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    fd: Annotated[int | None, typer.Option(
        help="Serve on this inherited, listening TCP socket instead of binding --port.")] = None,
) -> None:
    """Serve the API (all services, or the listed ones)."""
    overrides: dict[str, object] = {}
    if services:
        overrides["services"] = services
    settings = _settings(**overrides)
    configure_logging(json=settings.log_json)
    from orchid.app import create_app
    from orchid.services.registry import SERVICE_NAMES

    if settings.embedded and settings.services:
        # A laptop split over processes: every process shares the data dir's caller keys.
        ensure_dev_internal_keys(settings, list(SERVICE_NAMES))
        settings = _settings(**overrides)

    bind_host, bind_port = host or settings.host, port or settings.port
    placed = ", ".join(settings.services) or "every service"
    where = f"inherited socket {fd}" if fd is not None else f"http://{bind_host}:{bind_port}"
    typer.echo(f"Orchid serving {placed} on {where} (docs at /docs)")
    # The client address comes from X-Forwarded-For only when the edge sent it; anyone else's
    # header is ignored, so per-IP limits cannot be dodged by forging one.
    proxy: dict[str, Any] = {"proxy_headers": bool(settings.trusted_proxies),
                             "forwarded_allow_ips": ",".join(settings.trusted_proxies) or None}
    if fd is not None:
        if workers > 1:
            raise typer.BadParameter("--fd serves one worker; uvicorn's workers bind --port")
        # A socket bound by the parent leaves no moment in which another process can take the
        # port (tests on a shared machine). socket(fileno=) reads the family: uvicorn's own fd=
        # would take it for a Unix socket and lose the client addresses.
        config = uvicorn.Config(create_app(settings), access_log=False, log_level="warning",
                                **proxy)
        uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])
    elif workers > 1:
        # Each worker builds its own settings from the environment (orchid.asgi): the options
        # given here must travel there as the variables they stand for.
        os.environ["ORCHID_SERVICES"] = ",".join(settings.services)
        uvicorn.run("orchid.asgi:app", host=bind_host, port=bind_port, workers=workers,
                    access_log=False, log_level="warning", **proxy)
    else:
        uvicorn.run(create_app(settings), host=bind_host, port=bind_port, access_log=False,
                    log_level="warning", **proxy)


@db_app.command("upgrade")
def db_upgrade(
    database: Annotated[str, typer.Option(help="main, warehouse or all.")] = "all",
) -> None:
    """Apply pending migrations."""
    from orchid.migrate import DATABASES, upgrade

    settings = _settings()
    urls = {"main": settings.main_url(), "warehouse": settings.warehouse_url()}
    if settings.embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    for name in DATABASES if database == "all" else (database,):
        if name not in urls:
            raise typer.BadParameter(f"unknown database {name!r}")
        upgrade(urls[name], name, settings.migrations_dir)
        typer.echo(f"{name}: up to date")


@app.command()
def seed(
    products: Annotated[int, typer.Option(help="Products to create.")] = 2000,
    customers: Annotated[int, typer.Option(help="Customers to create.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 1,
    if_empty: Annotated[bool, typer.Option(help="Do nothing when products exist.")] = False,
) -> None:
    """Seed a demo beauty catalog and customers."""
    from orchid.seed.load import seed_demo

    settings = _settings()
    asyncio.run(seed_demo(settings, products=products, customers=customers, seed=seed,
                          if_empty=if_empty))


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "Staff",
    role: Annotated[str, typer.Option(help="customer, staff or admin.")] = "staff",
) -> None:
    """Create a user; the password is read from ORCHID_NEW_USER_PASSWORD or a prompt."""
    import os

    from orchid.kit.errors import Conflict, InvalidInput
    from orchid.platform import Resources
    from orchid.services.accounts.peers import Peers
    from orchid.services.accounts.service import build as build_accounts

    password = os.environ.get("ORCHID_NEW_USER_PASSWORD") or getpass.getpass("Password: ")
    settings = _settings()

    async def create() -> None:
        resources = Resources.from_settings(settings)
        try:
            user = await build_accounts(resources, Peers()).create_user(
                email=email, password=password, name=name, role=role)
            typer.echo(f"created {role} {user.email}")
        finally:
            await resources.close()

    try:
        asyncio.run(create())
    except (InvalidInput, Conflict) as exc:
        # The same client-safe words a sign-up form shows ("password is too common: …"),
        # not a traceback.
        typer.echo(f"not created: {exc.detail}", err=True)
        raise typer.Exit(2) from exc


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search indexes (Elasticsearch when configured, and the embedded one)."""
    from orchid.services.search.tasks import reindex_search

    asyncio.run(reindex_search(_settings()))


@search_app.command("sync")
def search_sync() -> None:
    """Apply catalog and stock changes to the search indexes once."""
    from orchid.services.search.tasks import sync_search

    asyncio.run(sync_search(_settings()))


@app.command()
def sweep() -> None:
    """Release expired reservations and cancel abandoned checkouts once."""
    from orchid.app import create_app
    from orchid.services.orders.tasks import sweep_once

    settings = _settings(sweep_interval_seconds=0)
    configure_logging(json=settings.log_json)

    async def run() -> None:
        application = create_app(settings)
        async with application.router.lifespan_context(application):
            report = await sweep_once(application.state.services.orders)
        typer.echo(str(report))

    asyncio.run(run())


@keys_app.command("generate")
def keys_generate(
    into: Annotated[Path, typer.Option(help="Secrets folder to write (ORCHID_SECRETS_DIR).")],
    callers: Annotated[str, typer.Option(help="Comma-separated calling services.")] = "",
) -> None:
    """Write a fresh key per calling service, and their digests, into a secrets folder."""
    from orchid.kit.callers import key_digest, new_key_set, write_key_files
    from orchid.services.registry import SERVICE_NAMES

    names = [c.strip() for c in callers.split(",") if c.strip()] or list(SERVICE_NAMES)
    keys = new_key_set(names)
    write_key_files(into, keys)
    # Digests are not secret: they go to every process that accepts these callers.
    for caller, key in keys.items():
        typer.echo(f"{caller}={key_digest(key)}")


def main() -> None:  # pragma: no cover
    """Run the CLI."""
    app()


__all__ = ["app", "main"]
