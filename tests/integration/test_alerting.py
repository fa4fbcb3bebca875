"""Alertmanager with the shop's routing, notifying the real sinks: pages reach the pager and the
team's channel, a page still firing after the escalation wait reaches the second pager and one
resolved before it does not, and a dead primary silences its replicas' alerts."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from orchid.monitoring.alertmanager import Receivers, config
from orchid.monitoring.sink import read_messages
from orchid.stack.servers import free_port
from tests.support.monitoring import Alertmanager
from tests.support.servers import _spawn, _terminate
from tests.support.waiting import until

DEADLINE = 30.0


class Sink:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port, self.file = free_port(), folder / "messages.jsonl"
        self.proc = _spawn([sys.executable, "-m", "orchid", "monitoring", "sink", "--port",
                            str(self.port), "--messages", str(self.file)], folder / "sink.log")
        self.url = f"http://127.0.0.1:{self.port}"

        def answers() -> bool:
            assert self.proc.poll() is None, (folder / "sink.log").read_text()
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        until(answers, timeout=DEADLINE, what="the sink answering")

    def messages(self) -> list[dict[str, Any]]:
        return read_messages(self.file)

    def wait_for(self, kind: str, channel: str, alertname: str) -> dict[str, Any]:
        """The first message of `kind` to `channel` naming `alertname`."""
        def found() -> dict[str, Any] | None:
            return next((m for m in self.messages() if (m["kind"], m["channel"]) == (kind, channel)
                         and alertname in names(m)), None)

        until(lambda: found() is not None, timeout=DEADLINE,
              what=f"a {kind}/{channel} message for {alertname}")
        message = found()
        assert message is not None
        return message


def names(message: dict[str, Any]) -> set[str]:
    """The alert names a sink message carries (a page's alerts, or a chat message's title)."""
    payload = message["payload"]
    if message["kind"] == "pager":
        return {a["labels"]["alertname"] for a in payload["alerts"]}
    return {a["title"].split("] ", 1)[-1] for a in payload["attachments"]}


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[Sink]:
    running = Sink(tmp_path / "sink")
    yield running
    _terminate(running.proc, signal.SIGTERM)


@pytest.fixture
def alertmanager(tmp_path: Path, sink: Sink) -> Iterator[Alertmanager]:
    text = yaml.safe_dump(config(Receivers.sinks(sink.url), escalate_after="3s",
                                 group_wait="1s"))
    server = Alertmanager.start(tmp_path / "alertmanager", text)
    yield server
    server.stop()


def post(alertmanager: Alertmanager, *alerts: dict[str, Any]) -> None:
    answer = httpx.post(f"{alertmanager.url}/api/v2/alerts", json=list(alerts), timeout=5)
    assert answer.status_code == 200, answer.text


def alert(name: str, *, resolved: bool = False, labels: dict[str, str] | None = None,
          **more: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {"labels": {"alertname": name, **(labels or {}), **more},
                            "annotations": {"summary": f"{name} summary"},
                            # As Prometheus sends it: since it fired (an alert older than a
                            # route's group_wait would be flushed at once).
                            "startsAt": now.isoformat()}
    if resolved:
        body["endsAt"] = now.isoformat()
    return body


def test_a_page_goes_to_the_pager_and_the_team_and_escalates_while_it_fires(
        alertmanager: Alertmanager, sink: Sink) -> None:
    # The short page is resolved before any group flushes; the long one keeps firing.
    short = {"severity": "page", "team": "data", "database": "warehouse"}
    post(alertmanager, alert("RedisDown", labels=short))
    post(alertmanager, alert("RedisDown", resolved=True, labels=short))
    post(alertmanager, alert("DatabasePrimaryDown", severity="page", team="data",
                             database="main"))
    sink.wait_for("pager", "primary", "DatabasePrimaryDown")
    sink.wait_for("chat", "data", "DatabasePrimaryDown")
    escalated = sink.wait_for("pager", "secondary", "DatabasePrimaryDown")
    # Both groups were created together and flush together: by the time the long page has
    # escalated, the short one has had its chance too — and nothing was sent for it.
    assert escalated["payload"]["status"] == "firing"
    assert all("RedisDown" not in names(m) for m in sink.messages())


def test_tickets_go_to_the_team_channel_only(alertmanager: Alertmanager, sink: Sink) -> None:
    post(alertmanager, alert("WafBlockSurge", severity="ticket", team="security"))
    post(alertmanager, alert("ElasticsearchRed", severity="page", team="search"))
    sink.wait_for("pager", "primary", "ElasticsearchRed")
    sink.wait_for("chat", "security", "WafBlockSurge")
    assert all(m["kind"] == "chat" for m in sink.messages() if "WafBlockSurge" in names(m))


def test_a_dead_primary_silences_its_replicas(alertmanager: Alertmanager, sink: Sink) -> None:
    post(alertmanager,
         alert("DatabasePrimaryDown", severity="page", team="data", database="main"),
         alert("DatabaseReplicationStopped", severity="page", team="data", database="main",
               member="main-replica-1"),
         alert("DatabaseReplicationStopped", severity="page", team="data",
               database="warehouse", member="warehouse-replica-1"))
    sink.wait_for("chat", "data", "DatabasePrimaryDown")
    # The other database's replica is not inhibited: its page arrives, the main one's never.
    other = sink.wait_for("pager", "primary", "DatabaseReplicationStopped")
    assert {a["labels"]["database"] for a in other["payload"]["alerts"]} == {"warehouse"}
    sink.wait_for("pager", "secondary", "DatabasePrimaryDown")
    stopped = [a for m in sink.messages() if m["kind"] == "pager"
               for a in m["payload"]["alerts"]
               if a["labels"]["alertname"] == "DatabaseReplicationStopped"]
    assert stopped and all(a["labels"]["database"] == "warehouse" for a in stopped)
