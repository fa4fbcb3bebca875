"""`orchid monitoring …`: generate deploy/monitoring, run the stores' probe and the alert sinks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from orchid.monitoring.probe import StoreProbe

monitoring_app = typer.Typer(help="Rules, alerts, dashboards; the probe and the alert sinks.",
                             no_args_is_help=True)
MONITORING = Path(__file__).resolve().parents[3] / "deploy" / "monitoring"
Port = Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free one).")]


@monitoring_app.command("generate")
def generate(root: Annotated[Path, typer.Option(help="The deploy/monitoring folder.")] = MONITORING,
             check: Annotated[bool, typer.Option(
                 help="Change nothing; exit 1 listing what differs.")] = False) -> None:
    """Write deploy/monitoring from src/orchid/monitoring."""
    from orchid.deploy.cli import write_or_check
    from orchid.monitoring.tree import differences, write

    write_or_check(root, check=check, write=write, differences=differences,
                   what="deploy/monitoring")


@monitoring_app.command("probe")
def probe(
    port: Port,
    state_dir: Annotated[Path | None, typer.Option(
        help="A stack's folder; without it, the deployment's ORCHID_OPS_* settings.")] = None,
    disk: Annotated[list[Path] | None, typer.Option(
        help="A folder whose filesystem to watch; repeatable.")] = None,
    edge_log: Annotated[Path | None, typer.Option(help="The edge's JSON access log.")] = None,
    waf_log: Annotated[Path | None, typer.Option(
        help="ModSecurity's JSON audit log (the rules behind the WAF's blocks).")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between readings.")] = 5.0,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    cloud_sql: Annotated[Path | None, typer.Option(
        help="The mounted cloud-sql ConfigMap: read the databases as Cloud SQL instances "
             "through Google's APIs (GKE), Redis and Elasticsearch by the settings' URLs."),
    ] = None,
) -> None:
    """Export the stores' health for Prometheus on /metrics until SIGTERM."""
    import signal
    import threading

    from prometheus_client import REGISTRY, start_http_server

    from orchid.config import load_settings
    from orchid.kit.observability import configure_logging
    from orchid.monitoring.probe import StoreProbe
    from orchid.ops.targets import resolve

    configure_logging(json=True)
    if cloud_sql is None:
        store_probe = StoreProbe(resolve(state_dir, load_settings()), disks=disk or (),
                                 edge_log=edge_log, waf_log=waf_log)
    else:
        store_probe = _cloud_probe(cloud_sql, disks=disk or [])
    REGISTRY.register(store_probe)
    server, thread = start_http_server(port, addr=host)
    store_probe.start(interval=interval)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    typer.echo(f"probe listening on {host}:{server.server_port}", err=True)
    stop.wait()
    store_probe.stop()
    server.shutdown()
    thread.join()


def _cloud_probe(folder: Path, *, disks: list[Path]) -> StoreProbe:
    """The probe of a GKE deploy: Cloud SQL, and the dead letters Pub/Sub keeps, through
    Google's APIs as the workload's identity."""
    import httpx

    from orchid.config import load_settings
    from orchid.monitoring.cloud import (
        MONITORING_SCOPE,
        CloudMonitoring,
        members_from,
        read_cloud_backups,
        read_cloud_sql,
        read_dead_letters,
    )
    from orchid.monitoring.probe import StoreProbe
    from orchid.ops.cloud_sql import SCOPE, CloudSqlAdmin, google_token
    from orchid.ops.targets import Targets

    settings = load_settings()
    members = members_from(folder)
    token = google_token((SCOPE, MONITORING_SCOPE))
    client = httpx.Client(timeout=10)  # lives as long as the process
    admin, monitoring = CloudSqlAdmin(client, token), CloudMonitoring(client, token)
    targets = Targets({}, backup_dir=settings.backup_dir, redis_url=settings.redis_url,
                      elasticsearch_url=settings.elasticsearch_url)
    projects = {member.instance.project for member in members}  # Pub/Sub's too
    return StoreProbe(targets, disks=disks, extra={
        "cloud-sql": lambda: read_cloud_sql(members, admin, monitoring),
        "cloud-backups": lambda: read_cloud_backups(members, admin),
        "dead-letters": lambda: read_dead_letters(projects, monitoring)})


@monitoring_app.command("sink")
def sink(port: Port, messages: Annotated[Path, typer.Option(
             help="The JSON-lines file every received message is appended to.")],
         host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1") -> None:
    """Receive Alertmanager's chat and pager webhooks, keeping every message."""
    import uvicorn

    from orchid.monitoring.sink import sink_app

    uvicorn.run(sink_app(messages), host=host, port=port, log_level="warning")


def drill(
    kind: Annotated[str, typer.Argument(help="primary-down, replica-down, redis-down, "
                                             "search-down, slow-disk or bad-deploy.")],
    state_dir: Annotated[Path, typer.Option(help="The running stack's folder.")] = Path(
        ".orchid/stack"),
    timeout: Annotated[float, typer.Option(help="Give up waiting for the alert after this.")
                       ] = 600.0,
    clear_timeout: Annotated[float, typer.Option(
        help="Give up waiting for the all-clear after this (once the fault is undone).")] = 300.0,
) -> None:
    """Inject a fault into the running stack; time detection, delivery and the all-clear."""
    from datetime import UTC, datetime

    from orchid.monitoring.drill import FAULTS, run_drill

    if kind not in FAULTS:
        typer.echo(f"no drill {kind!r}: one of {', '.join(FAULTS)}", err=True)
        raise typer.Exit(2)
    result = run_drill(state_dir, kind, timeout=timeout, clear_timeout=clear_timeout,
                       say=typer.echo)
    folder = state_dir / "drills"
    folder.mkdir(exist_ok=True)
    path = folder / f"{kind}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(result.to_json())
    typer.echo(result.to_json())
    raise typer.Exit(1 if result.error else 0)
