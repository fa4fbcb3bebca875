"""`orchid edge render|start|stop|check`: the edge on its own, in front of running app processes.

    orchid edge start --upstream app=127.0.0.1:8000 --https-port 8443
    orchid edge start --upstream catalog=127.0.0.1:8101 --upstream orders=127.0.0.1:8105 \
                      --route /=catalog --route /api/v1/checkout=orders
    orchid edge stop
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchid.edge.config import render
from orchid.edge.plan import EdgePlan, Geo, Hosts, Tls
from orchid.edge.process import EdgeError, check, start, stop

edge_app = typer.Typer(help="The nginx + ModSecurity edge.", no_args_is_help=True)

Prefix = Annotated[Path, typer.Option(help="Folder of this nginx instance.")]
DEFAULT_PREFIX = Path(".orchid/edge")


def _pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left or not right:
            raise typer.BadParameter(f"{what} {value!r} is not NAME=VALUE")
        pairs.append((left, right))
    return pairs


def _build(prefix: Path, http_port: int, https_port: int | None, upstream: list[str],
           route: list[str], waf: bool, countries: str, allow: list[str],
           manage_allow: list[str], cert: Path | None, key: Path | None) -> EdgePlan:
    """The plan the options describe; bad values are the user's error, not a traceback."""
    groups: dict[str, list[str]] = {}
    for group, address in _pairs(upstream or ["app=127.0.0.1:8000"], "--upstream"):
        groups.setdefault(group, []).append(address)
    routes = dict(_pairs(route, "--route")) or {"/": next(iter(groups))}
    geo = Geo(countries=tuple(c.strip().upper() for c in countries.split(",") if c.strip()),
              allow=Geo().allow + tuple(allow))
    hosts = Hosts(manage_allow=tuple(manage_allow)) if manage_allow else Hosts()
    try:
        return EdgePlan(prefix=prefix.resolve(), http_port=http_port, https_port=https_port,
                        upstreams=groups, routes=routes, waf=waf, geo=geo, hosts=hosts,
                        tls=Tls(cert=cert, key=key))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


UpstreamOpt = Annotated[list[str], typer.Option(
    "--upstream", help="GROUP=HOST:PORT, repeatable (default app=127.0.0.1:8000).")]
RouteOpt = Annotated[list[str], typer.Option(
    "--route", help="PATH_PREFIX=GROUP, repeatable (default /=first group).")]
WafOpt = Annotated[bool, typer.Option(help="ModSecurity + OWASP CRS on dynamic requests.")]
CountriesOpt = Annotated[str, typer.Option(help="Comma-separated ISO country codes let in.")]
AllowOpt = Annotated[list[str], typer.Option("--allow", help="CIDR let in from anywhere.")]
ManageOpt = Annotated[list[str], typer.Option(
    "--manage-allow", help="CIDR that may reach the management host (default loopback).")]
CertOpt = Annotated[Path | None, typer.Option(help="TLS certificate (default self-signed).")]
KeyOpt = Annotated[Path | None, typer.Option(help="TLS private key.")]


@edge_app.command("render")
def render_command(prefix: Prefix = DEFAULT_PREFIX, http_port: int = 8080,
                   https_port: int | None = None, upstream: UpstreamOpt = [],  # noqa: B006
                   route: RouteOpt = [], waf: WafOpt = True,  # noqa: B006
                   countries: CountriesOpt = "IN", allow: AllowOpt = [],  # noqa: B006
                   manage_allow: ManageOpt = [], cert: CertOpt = None,  # noqa: B006
                   key: KeyOpt = None) -> None:
    """Write the nginx configuration into the prefix and check it with nginx -t."""
    plan = _build(prefix, http_port, https_port, upstream, route, waf, countries, allow,
                  manage_allow, cert, key)
    path = render(plan)
    try:
        check(plan)
    except EdgeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"rendered {path}")


@edge_app.command("start")
def start_command(prefix: Prefix = DEFAULT_PREFIX, http_port: int = 8080,
                  https_port: int | None = None, upstream: UpstreamOpt = [],  # noqa: B006
                  route: RouteOpt = [], waf: WafOpt = True,  # noqa: B006
                  countries: CountriesOpt = "IN", allow: AllowOpt = [],  # noqa: B006
                  manage_allow: ManageOpt = [], cert: CertOpt = None,  # noqa: B006
                  key: KeyOpt = None) -> None:
    """Render, check and start the edge as a daemon with its own pid file."""
    plan = _build(prefix, http_port, https_port, upstream, route, waf, countries, allow,
                  manage_allow, cert, key)
    try:
        pid = start(plan)
    except EdgeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    scheme, port = ("https", https_port) if https_port else ("http", http_port)
    typer.echo(f"edge running (pid {pid}) on {scheme}://127.0.0.1:{port}")


@edge_app.command("stop")
def stop_command(prefix: Prefix = DEFAULT_PREFIX) -> None:
    """Stop the edge started on this prefix (by its own pid file only)."""
    pid = stop(prefix.resolve())
    typer.echo(f"edge stopped (pid {pid})" if pid else f"no edge running on {prefix.resolve()}")
