"""What `orchid up` runs: the servers of the data layer, the app processes and the edge, in tiers.

Everything lives under one state folder (default `.orchid/stack`): each server's files, the
logs, the ports chosen on the first start (kept, because replicas remember their primary's
port), generated passwords and keys, the local CA and the servers' certificates (MariaDB and
Redis take TLS only on TCP, see stack/ca.py), and `state.json` for `orchid status` and the bench.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from orchid.kit.callers import as_pairs, write_key_files
from orchid.services.registry import SERVICE_NAMES, remote_peers
from orchid.stack.ca import ServerTls, ensure_server_tls
from orchid.stack.components import (
    Component,
    Probe,
    elasticsearch_ready,
    http_ready,
    mariadb_ready,
    redis_ready,
)
from orchid.stack.servers import (
    alertmanager_argv,
    elasticsearch_command,
    free_port,
    mariadb_socket,
    mariadbd_argv,
    port_is_free,
    prometheus_argv,
    pubsub_emulator_argv,
    redis_argv,
    redis_url,
)

TOPOLOGIES = ("all-in-one", "per-service")
PUBSUB_PROJECT = "orchid-local"  # the emulator's project: any name will do
# The scheduler's jobs (function → seconds between calls), as Cloud Scheduler runs them on GKE.
SCHEDULED = {"abandoned-cart": 30 * 60}
MAIN_REPLICAS, WAREHOUSE_REPLICAS = 3, 1  # the architecture's topology
MAIN_DB, WAREHOUSE_DB = "orchid_main", "orchid_warehouse"
REPL_USER = "repl"


@dataclass(frozen=True)
class StackOptions:
    """The choices of one `orchid up`."""

    replicas: int = 2  # app processes: of the whole app (all-in-one) or of each service
    topology: str = "all-in-one"
    products: int = 2000  # seeded on the first start only
    customers: int = 200
    elasticsearch: bool = True
    edge: bool = True
    waf: bool = True  # ModSecurity + CRS at the edge

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> StackOptions:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Database:
    """One MariaDB member: its name in the stack, its folder, port and server id."""

    name: str
    folder: Path
    port: int
    server_id: int
    primary: bool

    @property
    def socket(self) -> Path:
        return mariadb_socket(self.folder, self.port)


class Layout:
    """Paths, ports and secrets under the state folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.logs = self.root / "logs"
        self.state_file = self.root / "state.json"
        self.supervisor_log = self.root / "logs" / "supervisor.log"
        self.secrets = self.root / "secrets"
        self.app_data = self.root / "app"  # the app processes' ORCHID_DATA_DIR
        self._ports_file = self.root / "ports.json"
        self._ports: dict[str, int] = (json.loads(self._ports_file.read_text())
                                       if self._ports_file.exists() else {})

    def port(self, name: str) -> int:
        """The port of component `name`: the one it had before, or a new free one."""
        if name not in self._ports:
            taken = set(self._ports.values())
            port = free_port()
            while port in taken:
                port = free_port()
            self._ports[name] = port
            self.root.mkdir(parents=True, exist_ok=True)
            # Replaced whole: the ops processes of the stack read it while one of them writes
            # (elasticsearch's port, asked by each when Elasticsearch does not run).
            temporary = self._ports_file.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(self._ports, indent=1, sort_keys=True))
            temporary.replace(self._ports_file)
        return self._ports[name]

    def busy_ports(self) -> list[str]:
        """Components whose kept port is now taken by something else."""
        return [f"{name}:{port}" for name, port in sorted(self._ports.items())
                if not port_is_free(port)]

    def secret(self, name: str, folder: Path | None = None) -> str:
        """A generated secret kept in a 0600 file (created on first use)."""
        path = (folder or self.secrets) / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def ca_file(self) -> Path:
        """The local CA's certificate: what every client of the stack's servers trusts."""
        return self.secrets / "tls" / "ca.pem"

    def server_tls(self, name: str) -> ServerTls:
        """Server `name`'s certificate and key, signed by the local CA (both made on first use)."""
        return ensure_server_tls(self.ca_file.parent, name)

    @property
    def topology_file(self) -> Path:
        """Which member is each database's primary now (written by `orchid ops failover`)."""
        return self.root / "topology.json"

    def primary_of(self, database: str) -> str:
        """The member `database` (main, warehouse) writes to: the recorded one, or the first."""
        if self.topology_file.exists():
            recorded = json.loads(self.topology_file.read_text()).get(database, {})
            if recorded.get("primary"):
                return str(recorded["primary"])
        return f"{database}-primary"

    def record_primary(self, database: str, member: str, **details: str) -> None:
        """Remember `member` as the primary of `database` (the supervisor reads it)."""
        recorded = (json.loads(self.topology_file.read_text())
                    if self.topology_file.exists() else {})
        recorded[database] = {"primary": member, **details}
        temporary = self.topology_file.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(recorded, indent=1, sort_keys=True))
        temporary.replace(self.topology_file)

    @property
    def release_file(self) -> Path:
        """Settings a release changes for the app processes (`{"env": {...}}`): applied to each
        app process the supervisor (re)starts — how `orchid drill bad-deploy` ships a bad one."""
        return self.root / "release.json"

    def release_env(self) -> dict[str, str]:
        """The release's settings, or none."""
        if not self.release_file.exists():
            return {}
        env: dict[str, str] = json.loads(self.release_file.read_text()).get("env", {})
        return env

    @property
    def initialised_marker(self) -> Path:
        return self.root / "initialised"

    def databases(self) -> list[Database]:
        """Main primary + 3 replicas, warehouse primary + 1 replica; server ids unique."""
        members = [("main-primary", True)]
        members += [(f"main-replica-{i}", False) for i in range(1, MAIN_REPLICAS + 1)]
        members += [("warehouse-primary", True)]
        members += [(f"warehouse-replica-{i}", False) for i in range(1, WAREHOUSE_REPLICAS + 1)]
        return [Database(name, self.root / "mariadb" / name, self.port(name), server_id, primary)
                for server_id, (name, primary) in enumerate(members, start=1)]

    def db_url(self, db: Database, database: str) -> str:
        password = self.secret("mariadb_app_password")
        return (f"mysql+asyncmy://orchid:{password}@127.0.0.1:{db.port}/{database}"
                f"?charset=utf8mb4&ssl_ca={self.ca_file}")


def server_components(layout: Layout, options: StackOptions) -> list[Component]:
    """The data tier: every MariaDB, Redis (append-only file) and Elasticsearch; MariaDB and
    Redis with certificates from the local CA (made on the first start), TLS only on TCP."""
    components = []
    db_tls, redis_tls = layout.server_tls("mariadb"), layout.server_tls("redis")
    for db in layout.databases():
        # Every member starts read-only, the primary too: a crashed primary that a failover
        # replaced must never come back writable. The supervisor opens the recorded primary
        # (topology.json) once it runs; semi-synchronous replication loses no acknowledged
        # commit when a primary dies.
        argv = mariadbd_argv(db.folder, port=db.port, server_id=db.server_id, read_only=True,
                             buffer_pool="256M" if db.primary else "128M", durable=True,
                             tls=db_tls, semisync=True)
        components.append(Component(db.name, "mariadb", db.port, argv, mariadb_ready(db.socket),
                                    db.folder / "error.log", stop_timeout=60))
    redis_dir = layout.root / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port = layout.port("redis")
    components.append(Component("redis", "redis", port,
                                redis_argv(redis_dir, port=port, appendonly=True,
                                           tls=redis_tls),
                                redis_ready(port, redis_tls.ca), layout.logs / "redis.log"))
    port = layout.port("pubsub-emulator")
    folder = layout.root / "pubsub"
    folder.mkdir(parents=True, exist_ok=True)
    components.append(Component("pubsub-emulator", "pubsub", port,
                                pubsub_emulator_argv(folder, port=port),
                                http_ready(f"http://127.0.0.1:{port}/"),
                                layout.logs / "pubsub-emulator.log", stop_timeout=20))
    if options.elasticsearch:
        port = layout.port("elasticsearch")
        folder = layout.root / "elasticsearch"
        folder.mkdir(parents=True, exist_ok=True)
        argv, env = elasticsearch_command(folder, port=port,
                                          transport_port=layout.port("elasticsearch-transport"),
                                          heap="512m", cluster="orchid-stack")
        components.append(Component("elasticsearch", "elasticsearch", port, argv,
                                    elasticsearch_ready(port), layout.logs / "elasticsearch.log",
                                    env=env, server_pidfile=folder / "es.pid"))
    return components


def app_env(layout: Layout, options: StackOptions) -> dict[str, str]:
    """The environment every Orchid process of the stack shares (CLI tasks included)."""
    dbs = {db.name: db for db in layout.databases()}
    main = [db for name, db in dbs.items() if name.startswith("main-replica")]
    warehouse = [db for name, db in dbs.items() if name.startswith("warehouse-replica")]
    layout.secret("orchid_secret_key", layout.app_data / "secrets")
    env = {
        **os.environ,
        "ORCHID_ENV": "stack",
        "ORCHID_DATA_DIR": str(layout.app_data),
        "ORCHID_MAIN_PRIMARY_URL": layout.db_url(dbs["main-primary"], MAIN_DB),
        "ORCHID_MAIN_REPLICA_URLS": ",".join(layout.db_url(db, MAIN_DB) for db in main),
        "ORCHID_WAREHOUSE_PRIMARY_URL": layout.db_url(dbs["warehouse-primary"], WAREHOUSE_DB),
        "ORCHID_WAREHOUSE_REPLICA_URLS": ",".join(layout.db_url(db, WAREHOUSE_DB)
                                                  for db in warehouse),
        "ORCHID_REDIS_URL": redis_url(layout.port("redis"), ca_file=layout.ca_file),
        "ORCHID_LOG_JSON": "true",
        # Traces as JSON lines, read with `orchid traces` (kit/tracing.py). One request in ten
        # unless the caller says otherwise: spans cost ≈ 0.1 ms of CPU each and nothing rotates
        # the files; a request sent with a sampled `traceparent` is always traced.
        "ORCHID_TRACES_DIR": str(layout.root / "traces"),
        "ORCHID_TRACE_SAMPLE_RATIO": os.environ.get("ORCHID_TRACE_SAMPLE_RATIO", "0.1"),
        # No ORCHID_COOKIE_SECURE: this edge listens on plain http, where the bench's and the
        # tests' cookie jars never send a Secure cookie back (guest carts would be lost). Each
        # cookie is Secure whenever the edge says TLS carried the request (kit/cookies.py).
    }
    if options.elasticsearch:
        env["ORCHID_ELASTICSEARCH_URL"] = f"http://127.0.0.1:{layout.port('elasticsearch')}"
    # Events: the emulator is the bus; the relay and the functions are processes of their own.
    env |= {
        "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{layout.port('pubsub-emulator')}",
        "ORCHID_PUBSUB_PROJECT": PUBSUB_PROJECT,
        "ORCHID_EVENTS_RELAY": "false",
        "ORCHID_FUNCTIONS_IN_PROCESS": "false",
        "ORCHID_SMTP_URL": f"smtp://127.0.0.1:{layout.port('mail-sink')}",
        "ORCHID_FUNCTION_URLS": as_pairs({name: function_url(layout, name)
                                          for name in function_names()}),
        "ORCHID_IDENTITY_KEYS_FILE": str(identity(layout)),
        # The search-index function keeps the index current; a search's own read of the
        # change feed is only the catch-up path.
        "ORCHID_SEARCH_AUTO_SYNC_SECONDS": "300",
    }
    return env


def function_names() -> list[str]:
    from orchid.functions import FUNCTION_MODULES

    return list(FUNCTION_MODULES)


def function_url(layout: Layout, name: str) -> str:
    """Where function `name` listens: also the audience of its callers' tokens."""
    return f"http://127.0.0.1:{layout.port(f'fn-{name}')}/"


def identity(layout: Layout) -> Path:
    """The stack's service accounts — one per service, the bus's deliverer and the scheduler —
    each key in secrets/identity/<name>.json (made on first use), and the file of their public
    keys that the functions trust (what IAM publishes on GCP)."""
    from orchid.functions.runtime import EVENTS_CALLER, service_account_email
    from orchid.kit.identity import ServiceAccount, write_public_keys

    folder = layout.secrets / "identity"
    accounts = []
    for name in (*SERVICE_NAMES, EVENTS_CALLER, "scheduler"):
        path = folder / f"{name}.json"
        if not path.exists():
            ServiceAccount.generate(service_account_email(name, PUBSUB_PROJECT)).write(path)
        accounts.append(ServiceAccount.read(path))
    public = folder / "public-keys.json"
    write_public_keys(public, accounts)
    return public


def events_components(layout: Layout, options: StackOptions) -> list[Component]:
    """The events tier: the outbox relay, a process per function and the mail sink the
    notifications reach."""
    base = {**app_env(layout, options), "ORCHID_LOG_JSON": "true"}
    orchid = [sys.executable, "-m", "orchid"]
    relay, sink = layout.port("events-relay"), layout.port("mail-sink")
    components = [
        Component("events-relay", "events", relay,
                  [*orchid, "events", "relay", "--database", "all", "--port", str(relay)],
                  http_ready(f"http://127.0.0.1:{relay}/healthz"),
                  layout.logs / "events-relay.log", env=base, stop_timeout=15),
        Component("mail-sink", "events", sink,
                  [*orchid, "functions", "mail-sink", "--port", str(sink),
                   "--messages", str(mail_messages(layout))],
                  _listening(sink), layout.logs / "mail-sink.log", env=base, stop_timeout=10),
    ]
    for name in function_names():
        port = layout.port(f"fn-{name}")
        components.append(Component(
            f"fn-{name}", "function", port,
            [*orchid, "functions", "serve", name, "--port", str(port)],
            http_ready(f"http://127.0.0.1:{port}/healthz"), layout.logs / f"fn-{name}.log",
            env={**base, "ORCHID_FUNCTION_URL": function_url(layout, name)}, stop_timeout=15))
    return components


def scheduler_components(layout: Layout, options: StackOptions) -> list[Component]:
    """The scheduler calling the scheduled functions (started once they are ready: its first
    round of calls is at its start)."""
    jobs = [f"--job={name}={seconds}" for name, seconds in SCHEDULED.items()
            if name in function_names()]
    if not jobs:
        return []
    env = {**app_env(layout, options), "ORCHID_LOG_JSON": "true",
           "ORCHID_SERVICE_ACCOUNT_FILE": str(layout.secrets / "identity" / "scheduler.json")}
    return [Component("scheduler", "events", 0,
                      [sys.executable, "-m", "orchid", "functions", "scheduler", *jobs],
                      _announced(layout.logs / "scheduler.log", "scheduler_started"),
                      layout.logs / "scheduler.log", env=env, stop_timeout=10)]


def mail_messages(layout: Layout) -> Path:
    """Where the stack's mail sink keeps every message it receives (JSON lines)."""
    return layout.root / "mail" / "messages.jsonl"


def _listening(port: int) -> Probe:
    """Ready once something accepts connections on the port."""
    import socket

    def probe() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False
    return probe


def app_groups(options: StackOptions) -> dict[str, list[str]]:
    """Process group → the services each of its processes runs."""
    if options.topology == "all-in-one":
        return {"app": list(SERVICE_NAMES)}
    return {name: [name] for name in SERVICE_NAMES}


def group_env(layout: Layout, options: StackOptions, services: list[str]) -> dict[str, str]:
    """What a process group adds to the shared environment: its services, the peers they call
    elsewhere, and a secrets folder of its own holding only its own caller keys."""
    env = {"ORCHID_SERVICES": ",".join(services)}
    elsewhere = remote_peers(services)
    if not elsewhere and len(services) == len(SERVICE_NAMES):
        return env  # every service in one process: no internal calls, no keys
    env["ORCHID_PEER_URLS"] = as_pairs({p: peer_url(layout, options, p) for p in elsewhere})
    folder = layout.secrets / "groups" / "-".join(services)
    keys = {name: layout.secret(f"caller_key_{name}") for name in SERVICE_NAMES}
    write_key_files(folder, {name: keys[name] for name in services}, accepted=keys)
    shared = layout.app_data / "secrets" / "orchid_secret_key"
    (folder / "orchid_secret_key").write_text(shared.read_text())
    (folder / "orchid_secret_key").chmod(0o600)
    env["ORCHID_SECRETS_DIR"] = str(folder)
    return env


def app_components(layout: Layout, options: StackOptions) -> list[Component]:
    """The app tier: `replicas` processes per group, each `orchid serve` on its own port."""
    base = app_env(layout, options)
    components = []
    for group, services in app_groups(options).items():
        grouped = group_env(layout, options, services)
        for i in range(1, options.replicas + 1):
            name = f"{group}-{i}"
            port = layout.port(name)
            env = {**base, **grouped}
            if options.edge:
                env["ORCHID_TRUSTED_PROXIES"] = "127.0.0.1"  # the edge's address
            argv = [sys.executable, "-m", "orchid", "serve", "--host", "127.0.0.1",
                    "--port", str(port)]
            components.append(Component(name, "app", port, argv,
                                        http_ready(f"http://127.0.0.1:{port}/healthz"),
                                        layout.logs / f"{name}.log", env=env, stop_timeout=15))
    return components


def peer_url(layout: Layout, options: StackOptions, service: str) -> str:
    """Where the other processes reach `service`: its one process, or the edge's balancer."""
    if options.replicas == 1 or not options.edge:
        return f"http://127.0.0.1:{layout.port(f'{service}-1')}"
    return f"http://127.0.0.1:{layout.port('edge-internal')}"


def upstreams(layout: Layout, options: StackOptions) -> dict[str, list[str]]:
    """Process group → its processes' addresses, for the edge."""
    return {group: [f"127.0.0.1:{layout.port(f'{group}-{i}')}"
                    for i in range(1, options.replicas + 1)]
            for group in app_groups(options)}


def prometheus_component(layout: Layout, app_ports: list[int], supervisor_port: int,
                         function_ports: list[int] | None = None) -> Component:
    """Prometheus scraping every app process, the supervisor (which reports every server), the
    stores' probe and Alertmanager; evaluating the shop's rules and alerting Alertmanager."""
    from orchid.monitoring.rules import rule_files

    folder = layout.root / "prometheus"
    folder.mkdir(parents=True, exist_ok=True)
    port = layout.port("prometheus")
    config = folder / "prometheus.yml"
    jobs = {
        "orchid-app": [f"127.0.0.1:{p}" for p in app_ports],
        "orchid-stack": [f"127.0.0.1:{supervisor_port}"],
        "orchid-probe": [f"127.0.0.1:{layout.port('probe')}"],
        "orchid-relay": [f"127.0.0.1:{layout.port('events-relay')}"],
        "orchid-functions": [f"127.0.0.1:{p}" for p in function_ports or []],
        "prometheus": [f"127.0.0.1:{port}"],
        "alertmanager": [f"127.0.0.1:{layout.port('alertmanager')}"],
    }
    rules = []
    for name, content in rule_files().items():
        (folder / name).write_text(json.dumps(content, indent=1))
        rules.append(str(folder / name))
    # JSON is YAML; no YAML writer needed. Rules every 5 s: a page-worthy fault must reach the
    # pager within two minutes (the drills measure it).
    config.write_text(json.dumps({
        "global": {"scrape_interval": "5s", "evaluation_interval": "5s"},
        "rule_files": rules,
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [f"127.0.0.1:{layout.port('alertmanager')}"]}]}]},
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": targets}]}
                           for job, targets in jobs.items()],
    }, indent=1))
    return Component("prometheus", "prometheus", port,
                     prometheus_argv(folder, port=port, config=config),
                     http_ready(f"http://127.0.0.1:{port}/-/ready"), layout.logs / "prometheus.log")


def alerting_components(layout: Layout) -> list[Component]:
    """Alertmanager, the sinks it notifies (chat and pager webhooks whose messages are kept in
    alerts/messages.jsonl) and the stores' probe."""
    import yaml

    from orchid.monitoring.alertmanager import Receivers, config

    env = {**os.environ, "ORCHID_LOG_JSON": "true"}
    folder = layout.root / "alertmanager"
    folder.mkdir(parents=True, exist_ok=True)
    sink_port, port, probe_port = (layout.port("alert-sink"), layout.port("alertmanager"),
                                   layout.port("probe"))
    receivers = Receivers.sinks(f"http://127.0.0.1:{sink_port}")
    (folder / "alertmanager.yml").write_text(yaml.safe_dump(config(receivers), sort_keys=False))
    orchid = [sys.executable, "-m", "orchid", "monitoring"]
    return [
        Component("alert-sink", "monitoring", sink_port,
                  [*orchid, "sink", "--port", str(sink_port), "--messages",
                   str(alert_messages(layout))],
                  http_ready(f"http://127.0.0.1:{sink_port}/healthz"),
                  layout.logs / "alert-sink.log", env=env, stop_timeout=10),
        Component("alertmanager", "alertmanager", port,
                  alertmanager_argv(folder, port=port, config=folder / "alertmanager.yml"),
                  http_ready(f"http://127.0.0.1:{port}/-/ready"), layout.logs / "alertmanager.log"),
        Component("probe", "monitoring", probe_port,
                  [*orchid, "probe", "--port", str(probe_port), "--state-dir", str(layout.root),
                   "--disk", str(layout.root),
                   "--edge-log", str(layout.root / "edge" / "logs" / "access.log"),
                   "--waf-log", str(layout.root / "edge" / "logs" / "modsec_audit.log")],
                  http_ready(f"http://127.0.0.1:{probe_port}/metrics"),
                  layout.logs / "probe.log", env=env, stop_timeout=10),
    ]


def alert_messages(layout: Layout) -> Path:
    """Where the stack's alert sinks keep every message they receive."""
    return layout.root / "alerts" / "messages.jsonl"


def ops_components(layout: Layout) -> list[Component]:
    """The data tier's keepers: a binlog archiver per database and the nightly backup."""
    root = str(layout.root)
    env = {**os.environ, "ORCHID_LOG_JSON": "true"}
    components = []
    for database in ("main", "warehouse"):
        name = f"binlog-archiver-{database}"
        folder = layout.root / "backups" / database / "binlogs"
        components.append(Component(
            name, "ops", 0,
            [sys.executable, "-m", "orchid", "ops", "binlogs", "archive", "--database", database,
             "--state-dir", root],
            _archiving(folder), layout.logs / f"{name}.log", env=env, stop_timeout=10))
    components.append(Component(
        "backup-scheduler", "ops", 0,
        [sys.executable, "-m", "orchid", "ops", "schedule", "--at", "02:00",
         "--zone", "Asia/Kolkata", "--state-dir", root],
        _announced(layout.logs / "backup-scheduler.log"), layout.logs / "backup-scheduler.log",
        env=env, stop_timeout=10))
    return components


def _archiving(folder: Path) -> Probe:
    """Ready once the archive holds a binlog file of the primary."""
    return lambda: any(folder.glob("*/*.[0-9]*"))


def _announced(log: Path, words: str = "next backup at") -> Probe:
    """Ready once the scheduler has said it runs (when it runs next)."""
    def probe() -> bool:
        try:
            return words in log.read_text(errors="replace")
        except OSError:
            return False
    return probe
