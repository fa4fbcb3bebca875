"""The alert sinks keep what Alertmanager sends and refuse what it would not send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from orchid.monitoring.sink import read_messages, sink_app

PAGE = {"version": "4", "status": "firing", "receiver": "pager",
        "alerts": [{"status": "firing", "labels": {"alertname": "RedisDown"}}]}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def sink(tmp_path: Path, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = sink_app(tmp_path / "alerts" / "messages.jsonl", now=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sink") as client:
        yield client


async def test_pages_and_chat_messages_are_kept_in_order(sink: httpx.AsyncClient, clock: Clock,
                                                         tmp_path: Path) -> None:
    assert (await sink.post("/pager/primary", json=PAGE)).status_code == 200
    clock.now = clock.now.replace(minute=10)
    chat = {"channel": "#orchid-data", "attachments": [{"title": "[FIRING] RedisDown"}]}
    assert (await sink.post("/slack/data", json=chat)).status_code == 200
    kept = (await sink.get("/messages")).json()
    assert [(m["kind"], m["channel"]) for m in kept] == [("pager", "primary"), ("chat", "data")]
    assert kept[0]["payload"] == PAGE and kept[1]["received_at"] == "2026-12-07T10:10:00+00:00"
    later = (await sink.get("/messages", params={"since": "2026-12-07T10:05:00Z"})).json()
    assert [m["kind"] for m in later] == ["chat"]
    assert read_messages(tmp_path / "alerts" / "messages.jsonl") == kept


@pytest.mark.parametrize(("path", "body"), [
    ("/slack/data", {"channel": "#x"}),  # neither text nor attachments
    ("/pager/primary", {"version": "3", "alerts": [{}]}),
    ("/pager/primary", {"version": "4", "alerts": []}),
    ("/pager/tertiary", PAGE),  # no such tier
])
async def test_what_alertmanager_would_not_send_is_refused(sink: httpx.AsyncClient, path: str,
                                                           body: dict[str, object]) -> None:
    answer = await sink.post(path, json=body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert (await sink.get("/messages")).json() == []


async def test_a_naive_since_is_refused(sink: httpx.AsyncClient) -> None:
    answer = await sink.get("/messages", params={"since": "2026-12-07T10:05:00"})
    assert answer.status_code == 422
    assert answer.json()["code"] == "naive_time"
