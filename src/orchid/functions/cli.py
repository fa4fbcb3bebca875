"""`orchid functions …`: list the background functions, serve one as its own process, call one
as a service would (identity token and all), run the stack's mail sink and its scheduler."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import structlog
import typer
import uvicorn

from orchid.config import load_settings
from orchid.kit.observability import configure_logging

functions_app = typer.Typer(help="The background functions (docs/events.md).",
                            no_args_is_help=True)
log = structlog.get_logger("orchid.functions")
RETRY_SECONDS = 60.0  # a scheduled call that failed is made again this much later


@functions_app.command("list")
def list_functions() -> None:
    """Each function: its triggers and subscriptions, and who may call it over HTTP."""
    from orchid.functions.host import functions

    for function in functions():
        spec = function.spec
        typer.echo(json.dumps({
            "name": spec.name, "module": function.module,
            "triggers": [{"topic": t.topic, "types": list(t.types),
                          "subscription": spec.subscription(t)} for t in spec.triggers],
            "callers": list(spec.callers)}))


@functions_app.command("serve")
def serve(
    name: Annotated[str, typer.Argument(help="The function (see `orchid functions list`).")],
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
) -> None:
    """Serve one function: its HTTP calls (identity token required) and, with Pub/Sub
    configured, its subscriptions."""
    from orchid.functions.host import function_app, functions

    settings = load_settings()
    configure_logging(json=settings.log_json)
    if settings.function_url is None:
        settings = settings.model_copy(update={"function_url": f"http://{host}:{port}/"})
    (function,) = functions([name])
    typer.echo(f"Orchid function {name} on {settings.function_url}")
    uvicorn.run(function_app(function, settings), host=host, port=port, access_log=False,
                log_level="warning")


@functions_app.command("call")
def call(
    name: Annotated[str, typer.Argument(help="The function.")],
    key: Annotated[Path, typer.Option("--as", help="The caller's service-account key file.")],
    data: Annotated[str, typer.Option(help="The CloudEvent's data, JSON.")] = "{}",
) -> None:
    """Call a function over HTTP as the service whose key is given (ORCHID_FUNCTION_URLS)."""
    from orchid.functions.client import FunctionClient, ad_hoc
    from orchid.kit.identity import ServiceAccount

    settings = load_settings()

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(timeout=60) as http:
            client = FunctionClient(http, ServiceAccount.read(key), settings.function_urls)
            return await client.call(name, ad_hoc("//orchid/cli", json.loads(data)))

    response = asyncio.run(run())
    typer.echo(f"{response.status_code} {response.text}")
    raise typer.Exit(0 if response.is_success else 1)


@functions_app.command("mail-sink")
def mail_sink(
    port: Annotated[int, typer.Option(help="SMTP port on 127.0.0.1.")],
    messages: Annotated[Path, typer.Option(help="JSON-lines file of the messages received.")],
) -> None:
    """A real SMTP server keeping what it receives (the stack's outbox of emails)."""
    from orchid.functions.mail_sink import serve_sink

    serve_sink("127.0.0.1", port, messages)


@functions_app.command("scheduler")
def scheduler(
    job: Annotated[list[str], typer.Option(help="function=seconds between calls; repeatable.")],
) -> None:
    """Call functions on a schedule, as Cloud Scheduler does: a CloudEvent per run, with the
    identity token of this process's service account (ORCHID_SERVICE_ACCOUNT_FILE)."""
    from orchid.functions.client import FunctionClient, scheduled
    from orchid.kit.identity import ServiceAccount

    settings = load_settings()
    configure_logging(json=settings.log_json)
    if settings.service_account_file is None:
        raise typer.BadParameter("the scheduler calls as its service account: set "
                                 "ORCHID_SERVICE_ACCOUNT_FILE")
    every: dict[str, float] = {}
    for entry in job:
        name, _, seconds = entry.partition("=")
        try:
            every[name] = float(seconds)
        except ValueError:
            raise typer.BadParameter(f"{entry}: expected function=seconds") from None
    account = ServiceAccount.read(settings.service_account_file)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with httpx.AsyncClient(timeout=120) as http:
            client = FunctionClient(http, account, settings.function_urls)
            due = dict.fromkeys(every, loop.time())
            log.info("scheduler_started", jobs=every)
            while not stop.is_set():
                now = loop.time()
                for name in [n for n, at in due.items() if at <= now]:
                    due[name] = now + every[name]
                    try:
                        answer = await client.call(name, scheduled(name, datetime.now(UTC)))
                        log.info("scheduled_call", function=name, status=answer.status_code)
                        failed = answer.status_code >= 500
                    except httpx.HTTPError as error:
                        log.warning("scheduled_call_failed", function=name, error=str(error))
                        failed = True
                    if failed:  # as Cloud Scheduler's retry: soon, not a whole period later
                        due[name] = now + min(every[name], RETRY_SECONDS)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=max(0.0, min(due.values())
                                                                    - loop.time()))
                except TimeoutError:
                    pass

    asyncio.run(run())
