"""low-stock: emails the stock team (ORCHID_STAFF_ALERTS_EMAIL) when a change takes a SKU's
available quantity at a warehouse from above LOW_STOCK_AT to at or below it.

The stock.changed payload has the row's state after the change (`available` = on hand −
reserved) and the change's deltas, so the state before it is `available − delta_on_hand +
delta_reserved`: one alert per crossing, none while the stock stays low, another once it was
restocked above the line and falls again. Moves that leave `available` unchanged (allocating
a reservation) never alert.

Once per event: the send runs in a main-DB transaction that first records the event under
`low-stock` (kit/inbox.first_time; the processed_events table is in the main DB while stock is
in the warehouse DB, which is fine — the record guards the email, not a stock write) and
commits after the mail server accepted the alert. A failed send rolls the record back and the
bus retries; a crash between acceptance and commit sends the alert again on redelivery (at
least once, deduplicated otherwise), as in order_notifications.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import functions_framework.aio
import structlog
from cloudevents.http import CloudEvent
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from orchid.functions.runtime import FunctionSpec, Trigger, context, event_of, mailer_of
from orchid.kit.db import Database
from orchid.kit.inbox import first_time
from orchid.kit.mail import Mailer
from orchid.kit.outbox import Event
from orchid.services import MAIN_DB

SPEC = FunctionSpec(
    "low-stock",
    triggers=(Trigger("inventory", ("stock.changed",)),),
    stores=frozenset({MAIN_DB}),
)
LOW_STOCK_AT = 5  # units available at one warehouse: at or below this, the team restocks
TEMPLATES = Path(__file__).parent / "templates"
log = structlog.get_logger("orchid.functions.low_stock")


def available_before(payload: dict[str, Any]) -> int:
    """Units available at the warehouse before the change the payload describes."""
    return (int(payload["available"]) - int(payload.get("delta_on_hand", 0))
            + int(payload.get("delta_reserved", 0)))


def crossed(payload: dict[str, Any], threshold: int = LOW_STOCK_AT) -> bool:
    """True when the change took availability from above `threshold` to at or below it."""
    return available_before(payload) > threshold >= int(payload["available"])


@cache
def templates() -> Environment:
    """The alert's template (plain text)."""
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                       keep_trailing_newline=True, autoescape=False)


def alert(payload: dict[str, Any], threshold: int = LOW_STOCK_AT) -> tuple[str, str]:
    """The alert's subject and text."""
    subject = (f"Low stock: {payload['sku']} at warehouse {payload['warehouse_id']} "
               f"({payload['available']} left)")
    text = templates().get_template("low_stock.txt").render(
        sku=payload["sku"], warehouse_id=payload["warehouse_id"],
        available=payload["available"], on_hand=payload.get("on_hand", "?"),
        reserved=payload.get("reserved", "?"), kind=payload.get("kind", "?"),
        previous=available_before(payload), threshold=threshold)
    return subject, text


async def send_once(db: Database, event: Event, mail: Mailer, *, to: str) -> bool:
    """Send the event's alert unless it was sent; the record commits after the send."""
    subject, text = alert(event.payload)
    async with db.write() as session:
        if not await first_time(session, SPEC.name, event):
            return False
        await mail.send(to=to, subject=subject, text=text)
    return True


@functions_framework.aio.cloud_event
async def handle(cloud_event: CloudEvent) -> None:
    event = event_of(cloud_event)
    if event.type != "stock.changed" or not crossed(event.payload):
        return
    ctx = context()
    settings = ctx.resources.settings
    mail = mailer_of(ctx)
    if await send_once(ctx.resources.main_db, event, mail, to=settings.staff_alerts_email):
        log.info("low_stock_alerted", sku=event.payload["sku"],
                 warehouse_id=event.payload["warehouse_id"],
                 available=event.payload["available"])
