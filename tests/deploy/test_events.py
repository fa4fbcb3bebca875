"""The events and functions on Google Cloud (orchid.deploy.events, orchid.deploy.cloud_functions):
Terraform's tables and the functions' entry points are the registries', every trigger has the
pushed, filtered, dead-lettered subscription the code names, the identities are the code's, and
a Cloud Functions instance hands a pushed message or a scheduled call to the function the way
the code's own hosts do."""

from __future__ import annotations

import ast
import base64
import importlib.util
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import flask
import pytest
from cloudevents.http import CloudEvent, from_http
from functions_framework import _function_registry
from functions_framework.event_conversion import background_event_to_cloud_event

from orchid.deploy import events
from orchid.deploy.cloud_functions import (
    ConfigurationMissing,
    Instance,
    cloud_function,
    settings_for,
)
from orchid.deploy.workloads import RELAY, google_identities
from orchid.events.pubsub import SubscriptionSpec
from orchid.events.topics import TOPICS
from orchid.functions import FUNCTION_MODULES
from orchid.functions.client import scheduled
from orchid.functions.host import bus_topology
from orchid.functions.runtime import (
    EVENTS_CALLER,
    Function,
    FunctionContext,
    FunctionSpec,
    Trigger,
    context,
    event_of,
    service_account_email,
)
from orchid.kit.outbox import Event
from orchid.platform import Resources
from tests.conftest import embedded_settings
from tests.support.terraform import (
    REPO,
    TERRAFORM_ROOT,
    blocks,
    load_hcl,
    module_locals,
    module_resources,
    module_variables,
)

MODULES = TERRAFORM_ROOT / "modules"
PRODUCT_TYPES = ("product.created", "product.price_changed")


def test_the_written_files_are_the_codes() -> None:
    assert events.differences() == [], "run `orchid deploy events`"


def test_terraform_holds_the_registries_tables() -> None:
    tables = module_locals(MODULES / "workloads")
    assert tables["event_topics"] == events.event_topics()
    assert tables["functions"] == events.cloud_functions()
    assert list(tables["functions"]) == list(FUNCTION_MODULES)


def test_every_trigger_has_the_subscription_the_relay_ensures() -> None:
    # What Terraform creates is what a relay's start would create (functions.host.bus_topology):
    # the same topics, subscriptions and attempts, so nothing is missing on GKE, where it may not.
    declared = {topic: {(name, sub["max_delivery_attempts"])
                        for name, sub in spec["subscriptions"].items()}
                for topic, spec in events.event_topics().items()}
    ensured = {topic: {(s.name, s.max_attempts) for s in specs}
               for topic, specs in bus_topology().items()}
    assert declared == ensured
    for function in events.registered():
        for trigger in function.spec.triggers:
            name = function.spec.subscription(trigger)
            sub = events.event_topics()[trigger.topic]["subscriptions"][name]
            assert sub["push_to"] == function.spec.name


def test_dead_letters_go_where_the_code_reads_them() -> None:
    # <subscription>-dead, a topic and a subscription of the same name, without a prefix: the
    # names SubscriptionSpec gives and `orchid events dlq` lists.
    pubsub = MODULES / "pubsub"
    assert module_variables(pubsub)["name_prefix"]["default"] == ""
    found = module_resources(pubsub)
    for kind in ("google_pubsub_topic", "google_pubsub_subscription"):
        assert found[(kind, "dead_letter")]["name"] == "${var.name_prefix}${each.key}-dead"
        assert found[(kind, "dead_letter")]["for_each"] == "${local.subscriptions}"
    policy = found[("google_pubsub_subscription", "this")]["dead_letter_policy"][0]
    assert policy["dead_letter_topic"] == "${google_pubsub_topic.dead_letter[each.key].id}"
    for sub in events.subscriptions():
        assert sub.dead_letter == SubscriptionSpec(sub.name).dead_letter_topic


def test_subscriptions_take_only_their_triggers_types() -> None:
    for sub in events.subscriptions():
        assert sub.filter is not None, sub.name  # every trigger today names its types
        assert re.findall(r'attributes\.type = "([^"]+)"', sub.filter) == list(sub.types)
        assert len(sub.filter.encode()) <= events.FILTER_BYTES
    every = events.Subscription("s", "orders", "f", 5, ())
    assert every.filter is None
    many = events.Subscription("s", "orders", "f", 5, tuple(f"order.t{i}" for i in range(20)))
    assert many.filter is None, "over 256 bytes: the function filters (Trigger.wants)"


def test_only_the_relay_publishes() -> None:
    topics = events.event_topics()
    assert list(topics) == list(dict.fromkeys(TOPICS.values()))
    assert all(spec["publishers"] == [RELAY] for spec in topics.values())
    assert RELAY in google_identities()
    roles = module_locals(MODULES / "workloads")["workload_roles"]
    assert roles[RELAY] == ["roles/cloudsql.client"]


def test_a_functions_invokers_are_its_callers_workloads() -> None:
    from orchid.stack.plan import SCHEDULED

    for function in events.registered():
        entry = events.cloud_function(function)
        assert set(entry["invokers"]) <= set(google_identities()), function.spec.name
        assert set(entry["invokers"]) == set(function.spec.callers) - {events.SCHEDULER}
        assert ("schedule" in entry) == (events.SCHEDULER in function.spec.callers)
    # Cloud Scheduler calls them as often as the stack's scheduler does.
    assert {name: f"*/{seconds // 60} * * * *" for name, seconds in SCHEDULED.items()} == \
        events.SCHEDULES


def spec_of(name: str, *, callers: tuple[str, ...] = (),
            triggers: tuple[Trigger, ...] = (), module: str | None = None) -> Function:
    """A function of a test's own, its handler a no-op (read from `module` when given)."""
    async def handle(cloud_event: CloudEvent) -> None:
        return None

    return Function(FunctionSpec(name, triggers=triggers, callers=callers), handle,
                    module or f"tests.{name.replace('-', '_')}")


def test_a_scheduled_function_gets_its_job_and_an_unknown_caller_is_refused() -> None:
    cart = events.cloud_function(spec_of("abandoned-cart", callers=("scheduler",),
                                         module="orchid.functions.abandoned_cart"))
    assert {k: v for k, v in cart.items() if k not in ("egress", "ca_files", "secrets")} == {
        "entry_point": "abandoned_cart", "trigger_topics": [], "invokers": [],
        "schedule": "*/30 * * * *"}
    with pytest.raises(ValueError, match="give it a cron"):
        events.cloud_function(spec_of("nightly", callers=("scheduler",)))
    with pytest.raises(ValueError, match=r"callers \['nobody'\] are no service"):
        events.cloud_function(spec_of("odd", callers=("nobody",)))


def test_main_py_has_an_entry_point_per_registered_function() -> None:
    tree = ast.parse((REPO / events.FUNCTIONS_MAIN).read_text())
    entries = {node.targets[0].id: node.value.args[0].value  # type: ignore[attr-defined]
               for node in tree.body if isinstance(node, ast.Assign)}
    assert entries == {events.entry_point_of(module): name
                       for name, module in FUNCTION_MODULES.items()}
    named = {fn["entry_point"] for fn in module_locals(MODULES / "workloads")["functions"].values()}
    assert named == set(entries)


def test_main_py_registers_cloud_event_functions() -> None:
    # Cloud Functions finds the signature by the entry point's name in functions-framework's
    # registry: every handler is `handle`, so each entry point registers under its own name.
    spec = importlib.util.spec_from_file_location("orchid_functions_main",
                                                  REPO / events.FUNCTIONS_MAIN)
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    for module in FUNCTION_MODULES.values():
        name = events.entry_point_of(module)
        assert _function_registry.REGISTRY_MAP[name] == "cloudevent", name


def test_the_identities_are_the_codes() -> None:
    prefix = module_variables(MODULES / "functions")["account_prefix"]["default"]
    for name in [*FUNCTION_MODULES, EVENTS_CALLER, events.SCHEDULER]:
        assert f"{prefix}{name}@p.iam.gserviceaccount.com" == service_account_email(name, "p")
    callers = module_resources(MODULES / "functions")[("google_service_account", "caller")]
    assert set(re.findall(r'"(\w+)"', callers["for_each"])) == {EVENTS_CALLER, events.SCHEDULER}
    # The pushes are the events caller's: the platform gives the pubsub module its account.
    pubsub = blocks(load_hcl(MODULES / "platform" / "stores.tf"), "module")["pubsub"]
    assert pubsub["push_service_account"] == "${module.functions.events_service_account}"
    assert pubsub["push_endpoints"] == "${module.functions.urls}"


# --- a Cloud Functions instance -----------------------------------------------------------


@pytest.fixture
def instance(data_dir: Path) -> Iterator[Instance]:
    running = Instance(lambda: FunctionContext(Resources.from_settings(
        embedded_settings(data_dir))))
    yield running
    running.close()


def receiving(seen: list[tuple[CloudEvent, FunctionContext]]) -> Function:
    """A function on the catalog's product events that records what it gets, and its host."""
    async def handle(cloud_event: CloudEvent) -> None:
        seen.append((cloud_event, context()))

    spec = FunctionSpec("fake", triggers=(Trigger("catalog", PRODUCT_TYPES),),
                        callers=("scheduler",))
    return Function(spec, handle, "tests.fake")


def pushed(event: Event, topic: str) -> CloudEvent:
    """What functions-framework makes of a push subscription's raw message to
    <url>/projects/p/topics/<topic> (Flask's request, as Cloud Functions serves it)."""
    body = {"message": {"data": base64.b64encode(event.to_json()).decode(), "messageId": "7",
                        "attributes": {"type": event.type, "event_id": event.id},
                        "publishTime": "2025-05-01T10:30:00Z"},
            "subscription": "projects/p/subscriptions/fake", "deliveryAttempt": 1}
    with flask.Flask("push").test_request_context(f"/projects/p/topics/{topic}", method="POST",
                                                   json=body):
        return background_event_to_cloud_event(flask.request)


def product_event(kind: str) -> Event:
    return Event(kind, "product", "42", {"product_id": 42, "slug": "rose-serum"},
                 occurred_at=datetime.now(UTC))


def test_a_pushed_message_reaches_the_function_in_its_host(instance: Instance) -> None:
    seen: list[tuple[CloudEvent, FunctionContext]] = []
    run = cloud_function(receiving(seen), "fake_entry", running=lambda: instance)
    assert _function_registry.REGISTRY_MAP["fake_entry"] == "cloudevent"
    event = product_event("product.created")
    run(pushed(event, "catalog"))
    run(pushed(product_event("product.deleted"), "catalog"))  # acknowledged unread
    assert [(event_of(got), host) for got, host in seen] == [(event, instance.host)]


def test_a_scheduled_run_is_named_after_its_minute(instance: Instance) -> None:
    seen: list[tuple[CloudEvent, FunctionContext]] = []
    run = cloud_function(receiving(seen), "fake_scheduled", running=lambda: instance)
    # The body Cloud Scheduler posts is the same every run (deploy/terraform/modules/functions).
    body = json.dumps({"specversion": "1.0", "type": "google.cloud.scheduler.job.v1.executed",
                       "source": "//orchid/scheduler/fake", "id": "fake",
                       "datacontenttype": "application/json", "data": {}})
    headers = {"Content-Type": "application/cloudevents+json",
               "X-CloudScheduler-ScheduleTime": "2025-05-01T10:30:00.412Z"}
    with flask.Flask("scheduler").test_request_context("/", method="POST", data=body,
                                                        headers=headers):
        run(from_http(dict(flask.request.headers), flask.request.get_data()))
    ((got, _),) = seen
    # As the stack's scheduler names that run (functions/client.scheduled).
    expected = scheduled("fake", datetime.fromisoformat("2025-05-01T10:30:00.412+00:00"))
    assert got["id"] == expected["id"] == "fake@2025-05-01T10:30"
    assert got["time"] == expected["time"]


def test_an_instance_places_every_service_and_refuses_a_missing_setting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A function reads the stores itself: a placement or peers in its environment are ignored.
    monkeypatch.setenv("ORCHID_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ORCHID_SERVICES", "catalog")
    monkeypatch.setenv("ORCHID_PEER_URLS", "accounts=http://accounts:8000")
    cache = next(f for f in events.registered() if f.spec.name == "cache-invalidation")
    with pytest.raises(ConfigurationMissing, match="cache-invalidation: ORCHID_REDIS_URL not set"):
        settings_for(cache)  # not a process-local cache standing in for Redis
    monkeypatch.setenv("ORCHID_REDIS_URL", "rediss://:a@10.9.0.4:6378/0")
    settings = settings_for(cache)
    assert settings.services == [] and settings.peer_urls == {}
