"""`orchid events dlq` on the real Pub/Sub emulator: an event that keeps failing waits in the
dead letters, listing it does not consume it, a dry run changes nothing, and a replay hands it
to the fixed handler — and to the topic's other subscriptions — and empties the dead letters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from orchid.cli import app
from orchid.events.pubsub import PubSubBus, SubscriptionSpec
from orchid.kit.outbox import Event
from tests.support.servers import PubSubEmulator
from tests.support.waiting import until_async

pytestmark = pytest.mark.integration
PROJECT = "orchid-dlq"
runner = CliRunner()


@pytest.fixture
async def bus(emulator: PubSubEmulator, monkeypatch: pytest.MonkeyPatch
              ) -> AsyncIterator[PubSubBus]:
    monkeypatch.setenv("ORCHID_PUBSUB_PROJECT", PROJECT)  # what the CLI reads
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator.host)
    bus = PubSubBus(PROJECT)
    yield bus
    await bus.close()


async def dlq(*args: str) -> Result:
    """Run `orchid events dlq ...` off the event loop, which keeps delivering meanwhile."""
    return await asyncio.to_thread(runner.invoke, app, ["events", "dlq", *args])


async def listed(*args: str) -> list[dict[str, Any]]:
    result = await dlq("list", "--json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def pull_all(bus: PubSubBus, subscription: str) -> list[Any]:
    """Take (and acknowledge) what waits in `subscription`: the raw messages, attributes too."""
    path = bus.subscription_path(subscription)
    answer = bus.subscriber.pull(request={"subscription": path, "max_messages": 100},
                                 timeout=2)
    if answer.received_messages:
        bus.subscriber.acknowledge(request={"subscription": path, "ack_ids": [
            m.ack_id for m in answer.received_messages]})
    return [m.message for m in answer.received_messages]


async def test_a_dead_letter_is_listed_kept_and_replayed_to_the_fixed_handler(
        bus: PubSubBus) -> None:
    failing = SubscriptionSpec("refund-emails", max_attempts=5)
    bus.ensure({"refunds": [failing, SubscriptionSpec("refund-ledger"),
                            SubscriptionSpec("refund-audit")]})  # audit: read raw, below
    event = Event("refund.issued", "refund", "RF-1", {"amount": 500}, datetime.now(UTC))
    broken = True
    handled: list[str] = []
    ledger: list[str] = []

    async def email(received: Event) -> None:
        if broken and received.id == event.id:
            raise RuntimeError("the refund template is missing")
        handled.append(received.id)

    async def keep(received: Event) -> None:
        ledger.append(received.id)

    bus.pull(failing, email)
    bus.pull("refund-ledger", keep)
    await bus.publish("refunds", event)

    async def dead_lettered() -> bool:
        return bool(await asyncio.to_thread(bus.dead_letters, "refund-emails"))

    await until_async(dead_lettered, timeout=60, what="the event in refund-emails-dead")
    every = await listed()  # every -dead subscription of the project
    assert [(row["subscription"], row["event_id"], row["type"], row["aggregate"])
            for row in every] == [("refund-emails-dead", event.id, "refund.issued", "refund:RF-1")]
    assert every[0]["reason"] == "RuntimeError: the refund template is missing"
    assert every[0]["occurred_at"] == event.occurred_at.isoformat()
    assert every[0]["attempts"] is None  # the consumer forwarded it: Pub/Sub did not count
    assert await listed("--subscription", "refund-emails-dead") == every  # not consumed
    text = await dlq("list", "--subscription", "refund-emails")
    assert text.exit_code == 0 and "refund-emails-dead: 1 waiting" in text.stdout
    assert event.id in text.stdout

    dry = await dlq("replay", "--subscription", "refund-emails", "--all", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith(f"would replay {event.id}")
    unknown = await dlq("replay", "--subscription", "refund-emails", "--event-id", "nope",
                        "--dry-run")
    assert unknown.exit_code == 1 and "not among the dead letters: nope" in unknown.output
    # Nothing was published: a replay would reach the ledger before this later event of the
    # same aggregate (same ordering key).
    later = Event("refund.noted", "refund", "RF-1", {}, datetime.now(UTC))
    await bus.publish("refunds", later)

    async def ledger_has_later() -> bool:
        return later.id in ledger

    await until_async(ledger_has_later, timeout=30, what="the later event in the ledger")
    assert ledger == [event.id, later.id]
    assert await listed("--subscription", "refund-emails") == every  # nor acknowledged

    broken = False
    replay = await dlq("replay", "--subscription", "refund-emails-dead", "--event-id", event.id)
    assert replay.exit_code == 0, replay.output
    assert replay.stdout.startswith(f"replayed {event.id}")

    async def handled_and_in_ledger() -> bool:
        return event.id in handled and len(ledger) == 3

    await until_async(handled_and_in_ledger, timeout=30, what="the replayed event handled")
    assert ledger == [event.id, later.id, event.id]  # every subscription gets a replay
    assert await listed("--subscription", "refund-emails") == []
    audit: list[Any] = []

    async def audit_has_all() -> bool:
        audit.extend(await asyncio.to_thread(pull_all, bus, "refund-audit"))
        return len(audit) >= 3

    await until_async(audit_has_all, timeout=30, what="three messages in refund-audit")
    replayed = audit[-1]
    assert Event.from_json(replayed.data) == event and replayed.ordering_key == "RF-1"
    assert dict(replayed.attributes) == {"event_id": event.id, "type": "refund.issued",
                                         "version": str(event.version),
                                         "replayed_from": "refund-emails-dead"}


async def test_an_unknown_subscription_is_named(bus: PubSubBus) -> None:
    for args in (["list", "--subscription", "no-such"],
                 ["replay", "--subscription", "no-such", "--all"]):
        result = await dlq(*args)
        assert result.exit_code == 1 and f"not in project {PROJECT}" in result.output, args


def test_without_a_project_the_dead_letters_are_in_the_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCHID_PUBSUB_PROJECT", raising=False)
    result = runner.invoke(app, ["events", "dlq", "list"])
    assert result.exit_code == 2 and "in-process bus" in result.output
    monkeypatch.setenv("ORCHID_PUBSUB_PROJECT", PROJECT)
    vague = runner.invoke(app, ["events", "dlq", "replay", "--subscription", "refund-emails"])
    assert vague.exit_code == 2 and "--event-id ID (repeatable) or --all" in vague.output
