"""The events and background functions on Google Cloud, derived from the registries: the
Pub/Sub topics the relay publishes to (orchid.events.topics.TOPICS), a subscription per function
trigger and a Cloud Function per registered function (orchid.functions.FUNCTION_MODULES and
each module's SPEC).

    orchid deploy events              # rewrite the two files below from the code
    orchid deploy events --check      # exit 1 naming what differs (the tests run it)

    deploy/terraform/modules/workloads/events.tf   the event_topics and functions tables
    deploy/functions/main.py                       the functions' entry points

The names are the code's (docs/events.md): topics as TOPICS names them, a subscription per
trigger named `FunctionSpec.subscription()`, its dead letters in `<subscription>-dead` (a topic,
and a subscription of the same name that keeps them for `orchid events dlq`). Each subscription
pushes to its function as the bus's deliverer (`orchid-events`, runtime.EVENTS_CALLER), takes
only its trigger's event types (a filter on the message's `type` attribute) and gives an event
up after the trigger's `max_attempts`. A function's invokers are the workloads of its callers;
a `scheduler` caller is a Cloud Scheduler job on SCHEDULES' cron instead. What a function reads
(its secrets as ORCHID_* variables, its CA files) and its VPC egress come from
orchid.deploy.function_settings, which also names the CA files, the secrets Terraform writes the
functions' URLs to (modules/cloudsql, modules/memorystore) and their plain settings: each a
table beside `functions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from orchid.deploy import function_settings, hcl
from orchid.deploy.workloads import RELAY, groups
from orchid.events.topics import TOPICS
from orchid.functions import FUNCTION_MODULES
from orchid.functions.runtime import Function, Trigger, load

REPO = Path(__file__).resolve().parents[3]
EVENTS_TF = "deploy/terraform/modules/workloads/events.tf"
FUNCTIONS_MAIN = "deploy/functions/main.py"
SCHEDULER = "scheduler"  # the caller Cloud Scheduler's jobs call as (orchid-scheduler)
# Cron (Asia/Kolkata, the functions module's time_zone) of the functions the scheduler calls;
# the stack's scheduler calls them as often (orchid.stack.plan.SCHEDULED, in seconds).
SCHEDULES: dict[str, str] = {"abandoned-cart": "*/30 * * * *"}
FILTER_BYTES = 256  # Pub/Sub's limit on a subscription's filter
ATTEMPTS = range(5, 101)  # Pub/Sub's bounds on max_delivery_attempts


@cache
def registered() -> tuple[Function, ...]:
    """Every registered function, loaded, in the registry's order."""
    loaded = tuple(load(module) for module in FUNCTION_MODULES.values())
    for name, function in zip(FUNCTION_MODULES, loaded, strict=True):
        if function.spec.name != name:
            raise ValueError(f"{function.module}: SPEC names {function.spec.name!r}, "
                             f"registered as {name!r}")
    return loaded


def topics() -> list[str]:
    """Every topic, in TOPICS' order."""
    return list(dict.fromkeys(TOPICS.values()))


@dataclass(frozen=True)
class Subscription:
    """A function's subscription of one topic: pushed to it, filtered, dead-lettered."""

    name: str
    topic: str
    function: str
    max_attempts: int
    types: tuple[str, ...]  # none: every event of the topic

    @property
    def dead_letter(self) -> str:
        return f"{self.name}-dead"  # orchid.events.pubsub.SubscriptionSpec's

    @property
    def filter(self) -> str | None:
        """Pub/Sub's filter on the message's `type` attribute (what the relay publishes), or
        None — every event — when the types would not fit its 256 bytes (the function then
        acknowledges the others unread, as Trigger.wants says)."""
        if not self.types:
            return None
        text = " OR ".join(f'attributes.type = "{t}"' for t in self.types)
        return text if len(text.encode()) <= FILTER_BYTES else None


def subscriptions() -> list[Subscription]:
    """One per trigger of every function."""
    made = []
    for function in registered():
        spec = function.spec
        for trigger in spec.triggers:
            _check(spec.name, trigger)
            made.append(Subscription(spec.subscription(trigger), trigger.topic, spec.name,
                                     trigger.max_attempts, trigger.types))
    return made


def _check(function: str, trigger: Trigger) -> None:
    if trigger.topic not in topics():
        raise ValueError(f"{function}: no topic {trigger.topic!r} (topics.TOPICS)")
    if trigger.max_attempts not in ATTEMPTS:
        raise ValueError(f"{function}: max_attempts {trigger.max_attempts} is outside "
                         "Pub/Sub's 5-100")


def event_topics() -> dict[str, dict[str, Any]]:
    """Terraform's event_topics: topic → its publishers (the relay) and its subscriptions."""
    table: dict[str, dict[str, Any]] = {
        topic: {"publishers": [RELAY], "subscriptions": {}} for topic in topics()}
    for sub in subscriptions():
        entry: dict[str, Any] = {"push_to": sub.function,
                                 "max_delivery_attempts": sub.max_attempts}
        if sub.filter is not None:
            entry["filter"] = sub.filter
        table[sub.topic]["subscriptions"][sub.name] = entry
    return table


def entry_point_of(module: str) -> str:
    """A function's entry point in deploy/functions/main.py: its module's own name."""
    return module.rsplit(".", 1)[-1]


def invokers(function: Function) -> list[str]:
    """The workloads that may call the function over HTTP: its callers' groups."""
    placed = {service: g.name for g in groups() for service in g.services}
    unknown = sorted(set(function.spec.callers) - set(placed) - {SCHEDULER})
    if unknown:
        raise ValueError(f"{function.spec.name}: callers {unknown} are no service")
    return sorted({placed[c] for c in function.spec.callers if c != SCHEDULER})


def cloud_function(function: Function) -> dict[str, Any]:
    """One function's entry of Terraform's functions."""
    spec = function.spec
    callers = invokers(function)
    if SCHEDULER in spec.callers and spec.name not in SCHEDULES:
        raise ValueError(f"{spec.name}: the scheduler calls it: give it a cron in "
                         "orchid.deploy.events.SCHEDULES")
    entry: dict[str, Any] = {
        "entry_point": entry_point_of(function.module),
        "trigger_topics": list(dict.fromkeys(t.topic for t in spec.triggers)),
        "invokers": callers,
        "egress": function_settings.egress(function),
        "ca_files": function_settings.ca_files(function),
        "secrets": function_settings.secrets(function)}
    if SCHEDULER in spec.callers:
        entry["schedule"] = SCHEDULES[spec.name]
    return entry


def cloud_functions() -> dict[str, dict[str, Any]]:
    """Terraform's functions: name → entry point, trigger topics, invokers, what it reads and
    its schedule."""
    return {function.spec.name: cloud_function(function) for function in registered()}


def function_ca_files() -> dict[str, dict[str, str]]:
    """Terraform's function_ca_files: CA → its secret and where a function finds it."""
    return {name: {"secret": ca.secret, "path": ca.path}
            for name, ca in function_settings.CA_FILES.items()}


HEADER_TF = """\
# Written by `orchid deploy events` from the function registry (orchid.functions.FUNCTION_MODULES
# and each module's SPEC) and orchid.events.topics.TOPICS: edit those and regenerate.
# tests/deploy/test_events.py compares (src/orchid/deploy/events.py says how each entry is made).
"""
EVENT_TOPICS_NOTE = """\
  # Topic → its publishers (the relay publishes both outboxes) and its subscriptions: one per
  # function trigger, pushed to that function (push_to) as orchid-events, taking the trigger's
  # event types (filter), dead-lettered to <subscription>-dead after max_delivery_attempts.
"""
FUNCTIONS_NOTE = """\
  # Cloud Function → its entry point in deploy/functions/main.py, the topics whose
  # subscriptions push to it, the workloads that may invoke it over HTTP, what it sends through
  # the VPC (egress: everything when it texts, to leave by Cloud NAT), the CA files it mounts,
  # its secrets by environment variable, and the cron of the Cloud Scheduler job that calls it
  # (functions the scheduler calls).
"""
CA_FILES_NOTE = """\
  # The server CAs a function verifies Cloud SQL and Memorystore with: the secret Terraform
  # writes each to, mounted at this path (the URLs below name it).
"""
PLAIN_SETTINGS_NOTE = """\
  # What every function gets as plain environment variables (the platform adds ORCHID_ENV).
"""
URL_SECRETS_NOTE = """\
  # Where Terraform writes the functions' own store URLs (the instances' private addresses,
  # TLS verified with the CA files): Cloud SQL's by url_secrets key, and Redis's.
"""


def events_tf() -> str:
    """deploy/terraform/modules/workloads/events.tf."""
    return (HEADER_TF + "\nlocals {\n" + EVENT_TOPICS_NOTE
            + "\n".join(hcl.attribute("event_topics", event_topics(), indent=1)) + "\n\n"
            + FUNCTIONS_NOTE
            + "\n".join(hcl.attribute("functions", cloud_functions(), indent=1)) + "\n\n"
            + CA_FILES_NOTE
            + "\n".join(hcl.attribute("function_ca_files", function_ca_files(), indent=1))
            + "\n\n" + URL_SECRETS_NOTE
            + "\n".join(hcl.attribute("function_url_secrets", function_settings.url_secrets(),
                                       indent=1))
            + "\n\n" + PLAIN_SETTINGS_NOTE
            + "\n".join(hcl.attribute("function_settings", function_settings.PLAIN_SETTINGS,
                                       indent=1)) + "\n}\n")


MAIN_HEADER = '''\
"""Entry points of Orchid's background functions on Cloud Functions (2nd gen): one per
function of orchid.functions.FUNCTION_MODULES, named after its module (Terraform's entry_point).

Written by `orchid deploy events`; tests/deploy/test_events.py compares.
"""

from orchid.deploy.cloud_functions import entry_point

'''


def functions_main() -> str:
    """deploy/functions/main.py: an entry point per registered function."""
    return MAIN_HEADER + "".join(f'{entry_point_of(f.module)} = entry_point("{f.spec.name}")\n'
                                 for f in registered())


def generated() -> dict[str, str]:
    """Repository path → content of each file written from here."""
    return {EVENTS_TF: events_tf(), FUNCTIONS_MAIN: functions_main()}


def write(root: Path = REPO) -> list[str]:
    """Write the files under `root` (the repository); nothing is ever stale."""
    for relative, text in generated().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return []


def differences(root: Path = REPO) -> list[str]:
    """The files missing or changed under `root`."""
    found = []
    for relative, text in generated().items():
        path = root / relative
        if not path.exists():
            found.append(f"missing: {relative}")
        elif path.read_text() != text:
            found.append(f"changed: {relative}")
    return found
