"""What runs on the cluster, derived from the service registry: a group of services per
Deployment, and the Jobs and CronJobs beside them.

A service group is what one Deployment runs (`ORCHID_SERVICES`). Today each service is its own
group, as `orchid up --topology per-service` places them; the edges between groups (who calls
whom), the stores each group needs and the public paths each group answers all come from the
services' specs, so a new service in `SERVICE_NAMES` gets its objects without anyone editing
YAML (tests/deploy/test_manifests.py regenerates and compares).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from orchid.edge.plan import Hosts
from orchid.services import ELASTICSEARCH, MAIN_DB, REDIS, WAREHOUSE_DB
from orchid.services.registry import SERVICE_NAMES, declared_peers, public_path_prefixes, specs

PORT = 8000  # every Orchid process serves HTTP here in its pod
IMAGE = "orchid"  # the one image; overlays pin it by digest


@dataclass(frozen=True)
class Sizing:
    """A group's pods in prod: what each asks for, and how many run by day and by night."""

    cpu: str = "250m"  # request
    cpu_limit: str = "1"
    memory: str = "384Mi"  # request and limit (memory is not compressible)
    floor: int = 2  # HPA minReplicas by day
    ceiling: int = 12  # HPA maxReplicas
    night_floor: int = 2  # HPA minReplicas from 01:00 to 07:00 Asia/Kolkata
    requests_per_pod: int = 100  # HPA target: requests per second per pod


# Sized for 150 k daily shoppers on prod's day floors, up to the sale day's 600 k at the
# ceilings (docs/deploy.md, "Sizing"); two per zone stay up at night.
SIZING: dict[str, Sizing] = {
    "storefront": Sizing(cpu="500m", memory="512Mi", floor=6, ceiling=40,
                         requests_per_pod=60),
    "catalog": Sizing(floor=4, ceiling=30, requests_per_pod=150),
    "search": Sizing(cpu="500m", memory="512Mi", floor=4, ceiling=30, requests_per_pod=80),
    "accounts": Sizing(floor=3, ceiling=20),
    "cart": Sizing(floor=3, ceiling=20, requests_per_pod=150),
    "orders": Sizing(cpu="500m", floor=3, ceiling=20, requests_per_pod=40),
    "payments": Sizing(floor=2, ceiling=12, requests_per_pod=40),
    "inventory": Sizing(floor=3, ceiling=20),
}
SALE_DAY_FACTOR = 4  # the sale day's floors: 600 k shoppers against 150 k


@dataclass(frozen=True)
class Group:
    """One Deployment: its services, what it calls, who calls it, what it stores in."""

    name: str
    services: tuple[str, ...]
    sizing: Sizing
    stores: frozenset[str]
    calls: tuple[str, ...]  # groups this one calls over HTTP
    callers: tuple[str, ...]  # groups that call this one
    paths: tuple[str, ...]  # public URL prefixes it answers (the Ingress routes them here)
    internet: bool  # reaches an outside provider (SMS gateway, payment provider)


# The staff API's prefixes: on the management host only (the local edge's rule too).
ADMIN_PREFIXES = Hosts().manage_prefixes
# Services that call a provider outside Google's network through Cloud NAT.
INTERNET = frozenset({"accounts", "payments"})


@cache
def groups() -> tuple[Group, ...]:
    """Every service group, in the registry's order."""
    placement = {name: name for name in SERVICE_NAMES}  # service → its group
    prefixes = public_path_prefixes()
    made = []
    for name in SERVICE_NAMES:
        calls = sorted({placement[p] for p in declared_peers(name)} - {name})
        callers = sorted({placement[c] for c in SERVICE_NAMES
                          if name in declared_peers(c) and placement[c] != name})
        made.append(Group(
            name=name, services=(name,), sizing=SIZING.get(name, Sizing()),
            stores=specs()[name].stores, calls=tuple(calls), callers=tuple(callers),
            paths=tuple(sorted(p for p, owner in prefixes.items() if owner == name)),
            internet=name in INTERNET))
    return tuple(made)


@dataclass(frozen=True)
class Task:
    """A Job or CronJob of the app's image: `orchid <args>`.

    A task that `runs_as` a group places that group's services, with its peers, stores and
    caller keys (the sweeper is the orders service, run once a minute); otherwise it names the
    stores it touches itself.
    """

    name: str
    args: tuple[str, ...]
    schedule: str | None  # cron in Asia/Kolkata; None for a Job the pipeline runs
    deadline_seconds: int
    summary: str
    runs_as: str | None = None
    own_stores: frozenset[str] = frozenset()

    @property
    def group(self) -> Group | None:
        """The group whose services this task places, if any."""
        return next((g for g in groups() if g.name == self.runs_as), None)

    @property
    def stores(self) -> frozenset[str]:
        group = self.group
        return self.own_stores | (group.stores if group is not None else frozenset())


TASKS: tuple[Task, ...] = (
    Task("migrate", ("db", "upgrade"), None, 900,
         "Alembic migrations of both databases, run by the pipeline before each rollout",
         own_stores=frozenset({MAIN_DB, WAREHOUSE_DB})),
    Task("sweeper", ("sweep",), "* * * * *", 120,
         "Release expired reservations and cancel abandoned checkouts", runs_as="orders"),
    Task("backup", ("ops", "cloud-backup"), "0 2 * * *", 3600,
         "Nightly on-demand Cloud SQL backups of both primaries, and their retention"),
)


def task_callers(group: Group) -> list[str]:
    """The tasks that call `group` (they run as a group that calls it)."""
    return [t.name for t in TASKS if t.group is not None and group.name in t.group.calls]


PROBE = "probe"  # the stores' probe (deploy/probe.py): reads Cloud SQL through Google's APIs
PROBE_STORES = frozenset({REDIS, ELASTICSEARCH})  # what it reads by URL, from its secrets
RELAY = "relay"  # the events relay (deploy/relay.py): both outboxes to Pub/Sub
# Redis: the writers ring the relay awake through it as they commit (kit/doorbell.py).
RELAY_STORES = frozenset({MAIN_DB, WAREHOUSE_DB, REDIS})


def google_identities() -> list[str]:
    """Every workload that runs as its own Google service account (Workload Identity)."""
    return [g.name for g in groups()] + [t.name for t in TASKS] + [PROBE, RELAY]
