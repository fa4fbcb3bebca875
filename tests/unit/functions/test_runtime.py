"""Delivering bus events to a function: Eventarc's CloudEvent round trip, the event types it
wants, and the counts and commit-to-effect latency every function exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cloudevents.http import CloudEvent
from prometheus_client import REGISTRY

from orchid.functions.runtime import (
    PUBLISHED,
    Function,
    FunctionSpec,
    NotAnEvent,
    Trigger,
    cloud_event_of,
    delivery,
    event_of,
)
from orchid.kit.outbox import Event

TRIGGER = Trigger("orders", ("order.shipped",))


def event(kind: str = "order.shipped", *, age: float = 0.0) -> Event:
    return Event(kind, "order", "OR-1", {"number": "OR-1"},
                 occurred_at=datetime.now(UTC) - timedelta(seconds=age))


def sample(name: str, function: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"function": function, **labels}) or 0.0


def test_an_event_survives_the_cloud_event_round_trip() -> None:
    sent = event()
    carried = cloud_event_of(sent, topic="orders", project="p", subscription="s")
    assert carried["type"] == PUBLISHED
    assert carried["source"] == "//pubsub.googleapis.com/projects/p/topics/orders"
    assert event_of(carried) == sent


def test_a_cloud_event_without_an_orchid_event_is_refused() -> None:
    with pytest.raises(NotAnEvent):
        event_of(CloudEvent({"type": PUBLISHED, "source": "//x"}, {"message": {"data": "@@"}}))


async def test_delivery_counts_outcomes_and_times_the_effect() -> None:
    seen: list[Event] = []

    async def handle(cloud_event: CloudEvent) -> None:
        found = event_of(cloud_event)
        if found.payload.get("fail"):
            raise RuntimeError("broken")
        seen.append(found)

    name = "test-delivery"
    deliver = delivery(Function(FunctionSpec(name, triggers=(TRIGGER,)), handle, __name__),
                       TRIGGER)
    before = {outcome: sample("orchid_function_events_total", name, outcome=outcome)
              for outcome in ("handled", "skipped", "failed")}
    lag_count = sample("orchid_function_event_lag_seconds_count", name)
    lag_sum = sample("orchid_function_event_lag_seconds_sum", name)

    await deliver(event(age=2.0))
    await deliver(event("order.placed"))
    failing = event()
    failing.payload["fail"] = True
    with pytest.raises(RuntimeError):
        await deliver(failing)

    assert len(seen) == 1
    assert {o: sample("orchid_function_events_total", name, outcome=o) - n
            for o, n in before.items()} == {"handled": 1, "skipped": 1, "failed": 1}
    assert sample("orchid_function_event_lag_seconds_count", name) - lag_count == 1
    assert 2.0 <= sample("orchid_function_event_lag_seconds_sum", name) - lag_sum < 10.0
