"""The stack's alert receivers: a Slack-compatible chat webhook and a pager webhook that keep
what Alertmanager sends, for people (`GET /messages`) and for the drills (the JSON-lines file).

    app = sink_app(Path(".orchid/stack/alerts.jsonl"))
    # POST /slack/{team}      Slack's incoming-webhook payload (text or attachments)
    # POST /pager/{tier}      Alertmanager's webhook payload (version 4), tier primary|secondary
    # GET  /messages?since=   everything received, oldest first
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Query

from orchid.kit.errors import InvalidInput, install_error_handlers
from orchid.kit.orm import utcnow

Tier = Literal["primary", "secondary"]
Payload = Annotated[dict[str, Any], Body()]


def read_messages(path: Path, *, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every message in the sink's file received at or after `since`."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        message = json.loads(line)
        if since is None or datetime.fromisoformat(message["received_at"]) >= since:
            found.append(message)
    return found


def sink_app(path: Path, *, now: Callable[[], datetime] = utcnow) -> FastAPI:
    """The receivers, appending each message as one JSON line to `path`."""
    app = FastAPI(title="Orchid alert sink", docs_url=None, redoc_url=None)
    install_error_handlers(app)
    path.parent.mkdir(parents=True, exist_ok=True)

    def keep(kind: str, channel: str, payload: dict[str, Any]) -> dict[str, str]:
        received = now().astimezone(UTC).isoformat()
        with path.open("a") as out:
            out.write(json.dumps({"received_at": received, "kind": kind, "channel": channel,
                                  "payload": payload}) + "\n")
        return {"status": "ok", "received_at": received}

    @app.post("/slack/{team}")
    async def slack(team: str, payload: Payload) -> dict[str, str]:
        if not isinstance(payload.get("text"), str) and not isinstance(
                payload.get("attachments"), list):
            raise InvalidInput("A Slack message needs `text` or `attachments`.",
                               code="not_a_slack_message")
        return keep("chat", team, payload)

    @app.post("/pager/{tier}")
    async def pager(tier: Tier, payload: Payload) -> dict[str, str]:
        alerts = payload.get("alerts")
        if payload.get("version") != "4" or not isinstance(alerts, list) or not alerts:
            raise InvalidInput("A page is Alertmanager's webhook payload (version 4) with alerts.",
                               code="not_an_alertmanager_page")
        return keep("pager", tier, payload)

    @app.get("/messages")
    async def messages(since: Annotated[datetime | None, Query()] = None) -> list[dict[str, Any]]:
        if since is not None and since.tzinfo is None:
            raise InvalidInput("`since` needs a timezone (UTC: a trailing Z).", code="naive_time")
        return read_messages(path, since=since)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
