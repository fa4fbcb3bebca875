"""`orchid up`, `orchid status`, `orchid down`: the whole stack on this machine."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from orchid.ops.search import cluster_health, describe_health
from orchid.stack.components import http_ok, mariadb_ready, pid_alive
from orchid.stack.plan import TOPOLOGIES, Layout, StackOptions
from orchid.stack.servers import ServerMissing, binary, es_home, redis_ping
from orchid.stack.state import cmdline, is_ours, read_state

DEFAULT_STATE_DIR = Path(".orchid/stack")
DOWN_TIMEOUT = 120.0
# Wide enough for the status table when printing to a file or a pipe.
console = Console(width=None if sys.stdout.isatty() else 120)

StateDir = Annotated[Path, typer.Option("--state-dir", help="The stack's folder.")]


def up(
    replicas: Annotated[int, typer.Option(
        help="App processes: of the whole app (all-in-one) or of each service.")] = 2,
    topology: Annotated[str, typer.Option(help="all-in-one or per-service.")] = "all-in-one",
    products: Annotated[int, typer.Option(help="Products seeded on the first start.")] = 2000,
    customers: Annotated[int, typer.Option(help="Customers seeded on the first start.")] = 200,
    elasticsearch: Annotated[bool, typer.Option(help="Run Elasticsearch for search.")] = True,
    edge: Annotated[bool, typer.Option(help="Run the nginx edge in front.")] = True,
    waf: Annotated[bool, typer.Option(help="ModSecurity + CRS at the edge.")] = True,
    state_dir: StateDir = DEFAULT_STATE_DIR,
) -> None:
    """Start every tier on 127.0.0.1: MariaDB primaries and replicas, Redis, Elasticsearch, the
    app processes, the edge and Prometheus; migrate and seed on the first start."""
    if topology not in TOPOLOGIES:
        raise typer.BadParameter(f"topology must be one of {', '.join(TOPOLOGIES)}")
    if replicas < 1:
        raise typer.BadParameter("replicas must be at least 1")
    layout = Layout(state_dir)
    state = read_state(layout.state_file)
    if state is not None and supervisor_alive(state):
        console.print(f"the stack is already up at {state.get('base_url')}")
        _print_status(state, state_dir)
        return
    options = StackOptions(replicas=replicas, topology=topology, products=products,
                           customers=customers, elasticsearch=elasticsearch, edge=edge, waf=waf)
    _check_installed(options)
    began = time.monotonic()
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.supervisor_log.parent.mkdir(parents=True, exist_ok=True)
    layout.state_file.unlink(missing_ok=True)
    log_offset = layout.supervisor_log.stat().st_size if layout.supervisor_log.exists() else 0
    with layout.supervisor_log.open("ab") as log:
        # Its own session: the stack outlives this command and ignores the terminal's Ctrl-C.
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "orchid.stack.supervisor", str(layout.root),
             "--options", options.to_json()],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    state = _wait_for_phase(layout, supervisor, log_offset)
    if state.get("phase") != "ready":
        console.print(f"[red]the stack did not start:[/red] {state.get('error')}")
        console.print(f"supervisor log: {layout.supervisor_log}")
        raise typer.Exit(1)
    console.print(f"Orchid stack up in {time.monotonic() - began:.1f} s "
                  f"(supervisor: {state.get('startup_seconds', 0):.1f} s) at "
                  f"[bold]{state['base_url']}[/bold]")
    _print_status(state, state_dir)


def status(
    state_dir: StateDir = DEFAULT_STATE_DIR,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Component, port, pid, health and replication lag of every process of the stack."""
    state = read_state(Layout(state_dir).state_file)
    if state is None:
        console.print("no stack here (run `orchid up`)")
        raise typer.Exit(1)
    if as_json:
        rows = [{**c, "health": health(state_dir, c), "lag": lag(state_dir, c),
                 **({"cluster": cluster(c)} if c.get("kind") == "elasticsearch" else {})}
                for c in state["components"]]
        typer.echo(json.dumps({**state, "components": rows, "primaries": primaries(state_dir)},
                              indent=1))
        return
    if not supervisor_alive(state):
        console.print(f"the stack is down (last phase: {state.get('phase')})")
    _print_status(state, state_dir)


def down(
    state_dir: StateDir = DEFAULT_STATE_DIR,
    purge: Annotated[bool, typer.Option(help="Also delete the stack's data.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Purge without asking.")] = False,
) -> None:
    """Stop every process of the stack by its pid and check none is left."""
    layout = Layout(state_dir)
    if purge and layout.root.exists() and not yes:
        # Asked before anything stops: a "no" leaves the stack exactly as it was.
        typer.confirm(f"Delete {layout.root}: every database, index, key and log of the stack?",
                      abort=True)
    state = read_state(layout.state_file)
    if state is None:
        console.print("no stack here")
    else:
        began = time.monotonic()
        pid = int(state["supervisor_pid"])
        if supervisor_alive(state):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + DOWN_TIMEOUT
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
        # Whatever outlived the supervisor (it was killed, or timed out): stop by recorded pid.
        leftovers = stop_leftovers(read_state(layout.state_file) or state, layout.root)
        left = [c["name"] for c in state["components"]
                if c.get("pid") and is_ours(int(c["pid"]), c, layout.root)]
        if left:
            console.print(f"[red]still running:[/red] {', '.join(left)}")
            raise typer.Exit(1)
        extra = f" (killed {', '.join(leftovers)})" if leftovers else ""
        console.print(f"stack stopped in {time.monotonic() - began:.1f} s; "
                      f"no process left{extra}")
    if purge and layout.root.exists():
        shutil.rmtree(layout.root)
        console.print(f"deleted {layout.root}")


def supervisor_alive(state: dict[str, Any]) -> bool:
    pid = state.get("supervisor_pid")
    if not pid:
        return False
    return pid_alive(int(pid)) and "orchid.stack.supervisor" in cmdline(int(pid))


def stop_leftovers(state: dict[str, Any], root: Path) -> list[str]:
    """SIGTERM, then SIGKILL, every recorded process still alive; return their names."""
    alive = [(c["name"], int(c["pid"])) for c in state["components"]
             if c.get("pid") and is_ours(int(c["pid"]), c, root)]
    for _, pid in alive:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while any(pid_alive(pid) for _, pid in alive) and time.monotonic() < deadline:
        time.sleep(0.2)
    for _, pid in alive:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    return [name for name, _ in alive]


def health(state_dir: Path, component: dict[str, Any]) -> str:
    """A quick probe of one component: ok, down or not answering."""
    pid, port, kind = component.get("pid"), component.get("port"), component.get("kind")
    if not pid or not pid_alive(int(pid)):
        return "down"
    if kind in ("app", "edge"):
        return "ok" if http_ok(f"http://127.0.0.1:{port}/healthz") else "not answering"
    if kind == "redis":
        ca = Layout(state_dir).ca_file  # Redis takes TLS only; a stack from before, plain
        return "ok" if redis_ping(int(port or 0), ca if ca.exists() else None) else "not answering"
    if kind == "elasticsearch":
        return "ok" if http_ok(f"http://127.0.0.1:{port}/_cluster/health") else "not answering"
    if kind in ("prometheus", "alertmanager"):
        return "ok" if http_ok(f"http://127.0.0.1:{port}/-/ready") else "not answering"
    if component.get("name") == "alert-sink":
        return "ok" if http_ok(f"http://127.0.0.1:{port}/healthz") else "not answering"
    if component.get("name") == "probe":
        return "ok" if http_ok(f"http://127.0.0.1:{port}/metrics") else "not answering"
    if kind == "mariadb":
        db = next(db for db in Layout(state_dir).databases() if db.name == component["name"])
        return "ok" if mariadb_ready(db.socket)() else "not answering"
    return "running"


def cluster(component: dict[str, Any]) -> dict[str, Any]:
    """Elasticsearch's cluster status (green, yellow, red), nodes and shard counts."""
    if not component.get("pid") or not pid_alive(int(component["pid"])):
        return {"status": "down"}
    return cluster_health(f"http://127.0.0.1:{component['port']}")


def lag(state_dir: Path, component: dict[str, Any]) -> str:
    """Replication lag of a replica, as `orchid status` shows it."""
    if component.get("kind") != "mariadb" or "replica" not in component["name"]:
        return ""
    if not component.get("pid") or not pid_alive(int(component["pid"])):
        return "-"
    from orchid.stack.supervisor import replica_lag

    seconds = replica_lag(Layout(state_dir), component["name"])
    return "stopped" if seconds is None else f"{seconds:.0f} s"


def _print_status(state: dict[str, Any], state_dir: Path) -> None:
    table = Table(title=f"Orchid stack ({state.get('topology')}, {state.get('workers')} per "
                        f"group) — {state.get('phase')}")
    for column in ("component", "kind", "port", "pid", "health", "replication lag", "restarts"):
        table.add_column(column)
    for component in state["components"]:
        table.add_row(component["name"], component["kind"], str(component["port"]),
                      str(component.get("pid") or "-"), health(state_dir, component),
                      lag(state_dir, component), str(component.get("restarts", 0)))
    console.print(table)
    for component in state["components"]:
        if component["kind"] == "elasticsearch":
            console.print(describe_health(cluster(component)))
    console.print("primaries: " + ", ".join(f"{database} → {member}" for database, member
                                            in primaries(state_dir).items()), highlight=False)


def primaries(state_dir: Path) -> dict[str, str]:
    """Each database's primary as recorded (topology.json, written by `orchid ops failover`)."""
    layout = Layout(state_dir)
    return {database: layout.primary_of(database) for database in ("main", "warehouse")}


def _wait_for_phase(layout: Layout, supervisor: subprocess.Popen[bytes],
                    log_offset: int) -> dict[str, Any]:
    """Echo the supervisor's progress until the stack is ready or has failed.

    No overall time limit: a first start may seed a million customers. The supervisor bounds
    each tier's start itself.
    """
    while True:
        state = read_state(layout.state_file)
        with layout.supervisor_log.open("rb") as log:
            log.seek(log_offset)
            fresh = log.read()
        complete = fresh[:fresh.rfind(b"\n") + 1]
        log_offset += len(complete)
        for line in complete.decode(errors="replace").splitlines():
            console.print(f"  {line.split(' ', 1)[-1]}", highlight=False)
        if state is not None and state.get("phase") in ("ready", "failed", "stopped"):
            return state
        if supervisor.poll() is not None:
            return {"phase": "failed", "error": f"the supervisor exited ({supervisor.returncode})"}
        time.sleep(0.3)


def _check_installed(options: StackOptions) -> None:
    """Fail before starting anything when a server is not installed, saying how to install it."""
    names = ["mariadbd", "mariadb-install-db", "mariadb", "redis-server", "prometheus",
             "prometheus-alertmanager"]
    if options.edge:
        names.append("nginx")
    try:
        for name in names:
            binary(name)
        if options.elasticsearch:
            es_home()
    except ServerMissing as missing:
        console.print(f"[red]{missing}[/red]")
        raise typer.Exit(2) from None
