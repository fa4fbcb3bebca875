"""The stack's supervisor: starts the tiers in order, restarts what crashes, stops all on SIGTERM.

Runs detached (`orchid up` spawns it); it is the parent of every process of the stack, so it
learns of a crash at once and is the one that stops them. Progress and pids go to state.json.
Tiers start in order and stop in reverse: data servers → one-off setup (replication, schema,
seed, search index) → app processes → edge, Prometheus, Alertmanager, its sinks and the probe.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from prometheus_client import start_http_server
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from orchid.ops import mysql
from orchid.ops.targets import Admin, Member
from orchid.stack.components import Component, pid_alive
from orchid.stack.plan import (
    MAIN_DB,
    REPL_USER,
    WAREHOUSE_DB,
    Layout,
    StackOptions,
    alerting_components,
    app_components,
    app_env,
    events_components,
    ops_components,
    prometheus_component,
    scheduler_components,
    server_components,
)
from orchid.stack.servers import (
    app_user_sql,
    change_master_sql,
    mariadb_sql,
    replica_status,
    replication_user_sql,
    secure_replication_sql,
)
from orchid.stack.state import ProcessTable, write_state

READY_TIMEOUT = 180.0  # Elasticsearch on two busy cores can take a minute
POLL_SECONDS = 0.5
MAX_BACKOFF = 30.0


class Stopping(Exception):
    """SIGTERM arrived while starting up."""


class Supervisor:
    """Owns every process of one stack."""

    def __init__(self, layout: Layout, options: StackOptions) -> None:
        self.layout, self.options = layout, options
        self.tiers: list[list[Component]] = []
        self.phase = "starting"
        self.error: str | None = None
        self.stopping = False
        self.started = time.monotonic()
        self.startup_seconds: float | None = None
        self.base_url: str | None = None
        self.metrics_port = layout.port("supervisor-metrics")
        self.planned_env: dict[str, dict[str, str]] = {}  # app process → its env before releases

    # --- lifecycle -------------------------------------------------------------------------

    def run(self) -> int:
        """Start, supervise until SIGTERM, stop. Returns the process exit code."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        code = 0
        try:
            busy = self.layout.busy_ports()
            if busy:
                raise RuntimeError(f"ports kept from an earlier start are taken: "
                                   f"{', '.join(busy)}")
            REGISTRY.register(StackCollector(self))
            start_http_server(self.metrics_port, addr="127.0.0.1")
            self._start()
            self.phase = "ready"
            self.startup_seconds = time.monotonic() - self.started
            self._log(f"ready in {self.startup_seconds:.1f} s at {self.base_url}")
            self._save()
            self._watch()
        except Stopping:
            pass
        except Exception as error:  # any failure: report it, then stop what started
            code = 1
            self.phase, self.error = "failed", f"{type(error).__name__}: {error}"
            self._log(f"failed: {self.error}")
            self._save()
        finally:
            self._stop_all()
        return code

    def _start(self) -> None:
        layout, options = self.layout, self.options
        first_start = not layout.initialised_marker.exists()
        if first_start:
            self._install_datadirs()
        servers = server_components(layout, options)
        for component in servers:
            self._semisync_role(component)
        self._start_tier(servers)
        env = app_env(layout, options)
        if first_start:
            self._wire_replication()
        else:
            self._secure_replication()
        self._open_primaries()
        self._task("migrate", [sys.executable, "-m", "orchid", "db", "upgrade"], env)
        self._task("seed", [sys.executable, "-m", "orchid", "seed", "--if-empty",
                            "--products", str(options.products),
                            "--customers", str(options.customers)], env)
        if options.elasticsearch and first_start:
            # Later starts keep the index: each app process catches up with the catalog in the
            # background on its first searches (7 s of a 26 s restart when done here).
            self._task("search reindex", [sys.executable, "-m", "orchid", "search", "reindex"],
                       env)
        layout.initialised_marker.write_text(datetime.now(UTC).isoformat())
        # Archiving starts at the primaries' first binlog, so it misses nothing seeded above.
        self._start_tier(ops_components(layout))
        events = events_components(layout, options)
        self._start_tier(events)
        apps = app_components(layout, options)
        self._start_tier(apps)
        front: list[Component] = []
        edge = self._edge_component() if options.edge else None
        if edge is not None:
            front.append(edge)
            self.base_url = f"http://127.0.0.1:{edge.port}"
        else:
            if options.topology == "per-service":
                raise RuntimeError("the per-service topology needs the edge to route requests")
            self.base_url = f"http://127.0.0.1:{apps[0].port}"
        front.append(prometheus_component(layout, [a.port for a in apps], self.metrics_port,
                                          [c.port for c in events if c.kind == "function"]))
        front += alerting_components(layout)
        front += scheduler_components(layout, options)
        self._start_tier(front)

    def _edge_component(self) -> Component | None:
        from orchid.stack.edge import edge_component

        return edge_component(self.layout, self.options)

    def _start_tier(self, tier: list[Component]) -> None:
        """Spawn a tier's processes together, then wait until every one is ready."""
        self.tiers.append(tier)
        for component in tier:
            self._log(f"starting {component.name} on port {component.port}")
            component.spawn()
        self._save()
        deadline = time.monotonic() + READY_TIMEOUT
        waiting = list(tier)
        while waiting:
            self._check_stopping()
            for component in list(waiting):
                if not component.alive():
                    raise RuntimeError(f"{component.name} exited while starting; its log "
                                       f"({component.log}) ends:\n{component.tail()}")
                if component.ready():
                    waiting.remove(component)
            if waiting and time.monotonic() > deadline:
                names = ", ".join(c.name for c in waiting)
                raise RuntimeError(f"not ready after {READY_TIMEOUT:.0f} s: {names}")
            if waiting:
                time.sleep(0.2)

    def _install_datadirs(self) -> None:
        """mariadb-install-db once, copied into every member (all start from the same state)."""
        from orchid.stack.servers import install_mariadb_datadir

        template = self.layout.root / "mariadb" / ".template"
        if not template.exists():
            self._log("initialising MariaDB datadirs")
            install_mariadb_datadir(template)
        for db in self.layout.databases():
            data = db.folder / "data"
            if not data.exists():
                shutil.copytree(template, data, symlinks=True)

    def _wire_replication(self) -> None:
        """Replication users and GTID wiring, then the app's databases and user on the primaries.

        Order matters: replicas start from the primary's first binlog event, so everything
        created on the primary from here on replicates to them.
        """
        layout = self.layout
        repl_password = layout.secret("mariadb_repl_password")
        app_password = layout.secret("mariadb_app_password")
        dbs = layout.databases()
        for prefix, database in (("main", MAIN_DB), ("warehouse", WAREHOUSE_DB)):
            members = [db for db in dbs if db.name.startswith(f"{prefix}-")]
            primary = next(db for db in members if db.primary)
            mariadb_sql(primary.socket, replication_user_sql(REPL_USER, repl_password))
            for replica in (db for db in members if not db.primary):
                mariadb_sql(replica.socket,
                            change_master_sql(primary.port, REPL_USER, repl_password,
                                              ca_file=layout.ca_file))
            mariadb_sql(primary.socket, ";".join(app_user_sql([database], app_password)))
        self._log("replication wired")

    def _secure_replication(self) -> None:
        """Move replicas wired before the servers required TLS onto verified TLS.

        Only the TLS options change: a replica keeps its primary (which a failover may have
        changed) and its position.
        """
        for db in self.layout.databases():
            status = replica_status(db.socket)
            if status and status.get("Master_SSL_Verify_Server_Cert") != "Yes":
                mariadb_sql(db.socket, secure_replication_sql(self.layout.ca_file))
                self._log(f"{db.name} now replicates over TLS")

    def _open_primaries(self) -> None:
        """Make each database's recorded primary writable (every member starts read-only)."""
        for database in ("main", "warehouse"):
            name = self.layout.primary_of(database)
            db = next(db for db in self.layout.databases() if db.name == name)
            mariadb_sql(db.socket, "SET GLOBAL rpl_semi_sync_slave_enabled = ON; "
                                   "SET GLOBAL read_only = 0")
            self._log(f"{name} is the {database} primary (writable)")

    def _semisync_role(self, component: Component) -> None:
        """Start the recorded primary without the semi-sync replica role, every other member
        with it. In the replica role, crash recovery rolls back what the binlog holds but no
        replica acknowledged — right for a replaced primary (the new one never had it), wrong
        for the primary itself (a replica may have received it: recovery must commit it)."""
        database = component.name.split("-", 1)[0]
        role = "OFF" if component.name == self.layout.primary_of(database) else "ON"
        flag = "--rpl-semi-sync-slave-enabled="
        component.argv = [f"{flag}{role}" if arg.startswith(flag) else arg
                          for arg in component.argv]

    def _restarted_member(self, component: Component) -> None:
        """A MariaDB member is back after a crash: the recorded primary is opened again; any
        other (a primary a failover replaced) stays read-only and rejoins as a replica of the
        primary if its GTIDs allow."""
        from orchid.ops.failover import rejoin
        from orchid.ops.targets import from_stack

        database = component.name.split("-", 1)[0]
        primary = self.layout.primary_of(database)
        db = next(db for db in self.layout.databases() if db.name == component.name)
        try:
            if component.name == primary:
                # The replica role back on (dynamic): it acknowledges if it is demoted later.
                mariadb_sql(db.socket, "SET GLOBAL rpl_semi_sync_slave_enabled = ON; "
                                       "SET GLOBAL read_only = 0")
                self._log(f"{component.name} is back as the {database} primary")
            elif not replica_status(db.socket):
                cluster = from_stack(self.layout.root).cluster(database)
                fate = rejoin(cluster, component.name, primary, say=self._log,
                              ca_file=str(self.layout.ca_file))
                self._log(f"{component.name} is back read-only: {fate}")
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            self._log(f"{component.name}: could not settle its role: {error}")

    def _released(self, component: Component) -> None:
        """Give an app process the release's settings over the ones it was planned with."""
        planned = self.planned_env.setdefault(component.name, dict(component.env or {}))
        release = self.layout.release_env()
        component.env = {**planned, **release}
        if release:
            self._log(f"{component.name} starts with the release's {', '.join(sorted(release))}")

    def _task(self, what: str, argv: list[str], env: dict[str, str]) -> None:
        """Run a one-off CLI task of the app (migrate, seed, index) with the stack's settings."""
        self._check_stopping()
        began = time.monotonic()
        log = self.layout.logs / "tasks.log"
        with log.open("ab") as out:
            done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise RuntimeError(f"{what} failed (exit {done.returncode}); see {log}")
        self._log(f"{what} done in {time.monotonic() - began:.1f} s")

    # --- supervision -----------------------------------------------------------------------

    def _watch(self) -> None:
        """Restart any process that exits, with a growing back-off, until SIGTERM."""
        settling: list[Component] = []  # restarted MariaDB members, their role to settle
        while not self.stopping:
            changed = False
            now = time.monotonic()
            for component in [c for c in settling if c.alive() and c.ready()]:
                settling.remove(component)
                self._restarted_member(component)
            for component in self.components():
                if component.alive():
                    # A process that stayed up a minute has recovered: reset its back-off.
                    if now - component.started_at > 60:
                        component.next_restart_at = 0.0
                    continue
                if component.next_restart_at == 0.0:
                    code = component.proc.returncode if component.proc else None
                    backoff = min(2.0 ** min(component.restarts, 5), MAX_BACKOFF)
                    component.next_restart_at = now + backoff
                    self._log(f"{component.name} exited ({code}); restarting in {backoff:.0f} s")
                elif now >= component.next_restart_at:
                    component.restarts += 1
                    if component.kind == "mariadb":
                        self._semisync_role(component)
                    if component.kind == "app":
                        self._released(component)
                    component.spawn()
                    component.next_restart_at = 0.0
                    self._log(f"restarted {component.name} (restart {component.restarts})")
                    if component.kind == "mariadb":
                        settling.append(component)
                    changed = True
            if changed:
                self._save()
            time.sleep(POLL_SECONDS)

    def _stop_all(self) -> None:
        """Stop tiers in reverse order; within a tier, signal all then wait for all."""
        self.phase = "stopping"
        self._save()
        for tier in reversed(self.tiers):
            for component in tier:
                component.signal_stop()
            for component in tier:
                component.reap()
        leftovers = [c.name for c in self.components()
                     if c.pid is not None and pid_alive(c.pid)]
        self.phase = "stopped"
        self._log(f"stopped{'; still alive: ' + ', '.join(leftovers) if leftovers else ''}")
        self._save()

    def components(self) -> Iterator[Component]:
        for tier in self.tiers:
            yield from tier

    # --- state -----------------------------------------------------------------------------

    def _on_signal(self, signum: int, _: FrameType | None) -> None:
        self.stopping = True

    def _check_stopping(self) -> None:
        if self.stopping:
            raise Stopping

    def _save(self) -> None:
        rows = [{"name": "supervisor", "kind": "supervisor", "port": self.metrics_port,
                 "pid": os.getpid(), "restarts": 0, "log": str(self.layout.supervisor_log)}]
        for component in self.components():
            pid = component.server_pid() or component.pid
            rows.append({"name": component.name, "kind": component.kind,
                         "port": component.port, "pid": pid, "restarts": component.restarts,
                         "log": str(component.log)})
        write_state(self.layout.state_file, {
            "version": 1, "phase": self.phase, "error": self.error,
            "supervisor_pid": os.getpid(), "topology": self.options.topology,
            "workers": self.options.replicas, "options": json.loads(self.options.to_json()),
            "base_url": self.base_url, "startup_seconds": self.startup_seconds,
            "updated_at": datetime.now(UTC).isoformat(), "components": rows,
        })

    def _log(self, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        print(f"{stamp} {message}", flush=True)


class StackCollector(Collector):
    """Per-process CPU, memory, restarts and replica lag of every component, for Prometheus."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.connections = mysql.Connections()  # scraped every 5 s: kept, not reopened

    def collect(self) -> Iterable[GaugeMetricFamily | CounterMetricFamily]:
        up = GaugeMetricFamily("orchid_stack_up", "1 while the process runs", labels=["name"])
        cpu = CounterMetricFamily("orchid_stack_cpu_seconds", "CPU time of the process tree",
                                  labels=["name", "kind"])
        rss = GaugeMetricFamily("orchid_stack_rss_bytes", "Resident memory", labels=["name"])
        restarts = CounterMetricFamily("orchid_stack_restarts", "Restarts by the supervisor",
                                       labels=["name"])
        lag = GaugeMetricFamily("orchid_stack_replica_lag_seconds",
                                "Seconds_Behind_Master of each replica", labels=["name"])
        processes = ProcessTable()
        for component in self.supervisor.components():
            pid = component.server_pid() or component.pid
            alive = component.alive()
            up.add_metric([component.name], 1.0 if alive else 0.0)
            restarts.add_metric([component.name], component.restarts)
            if pid is not None and alive:
                cpu.add_metric([component.name, component.kind], processes.cpu_seconds(pid))
                rss.add_metric([component.name], processes.rss_bytes(pid))
            if component.kind == "mariadb" and "replica" in component.name and alive:
                seconds = replica_lag(self.supervisor.layout, component.name, self.connections)
                if seconds is not None:
                    lag.add_metric([component.name], seconds)
        return [up, cpu, rss, restarts, lag]


def replica_lag(layout: Layout, name: str,
                connections: mysql.Connections | None = None) -> float | None:
    """Seconds_Behind_Master of replica `name`, or None when replication is not running
    (`connections`: on a kept connection, for a caller that asks again and again)."""
    db = next(db for db in layout.databases() if db.name == name)
    member = Member(db.name, "127.0.0.1", db.port, socket=db.socket)
    try:
        status = mysql.run(member, Admin(), "SHOW SLAVE STATUS", timeout=5, via=connections)
    except mysql.SqlFailed:
        return None
    value = status[0].get("Seconds_Behind_Master") if status else None
    return None if value is None else float(value)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the detached supervisor process."""
    parser = argparse.ArgumentParser(prog="orchid-supervisor")
    parser.add_argument("state_dir", type=Path)
    parser.add_argument("--options", default="{}")
    args = parser.parse_args(argv)
    layout = Layout(args.state_dir)
    return Supervisor(layout, StackOptions.from_json(args.options)).run()


if __name__ == "__main__":
    sys.exit(main())
