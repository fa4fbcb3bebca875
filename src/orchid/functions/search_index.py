"""search-index: keeps the product index current from the catalog's and inventory's events —
a product created, changed, published or repriced, or its stock moving in or out of zero —
by reading the catalog's change feed and the stock of what changed (search's `sync_once`).

Idempotent by nature: the feed is read from the index's own high-water mark, so an event
delivered twice, late or out of order costs one read and changes nothing. The periodic sync a
search triggers stays as the catch-up and repair path (a missed event, an index rebuilt)."""

from __future__ import annotations

import functions_framework.aio
from cloudevents.http import CloudEvent

from orchid.functions.runtime import FunctionSpec, Trigger, context, event_of
from orchid.services import ELASTICSEARCH

PRODUCT_EVENTS = ("product.created", "product.changed", "product.published",
                  "product.price_changed")
SPEC = FunctionSpec(
    "search-index",
    triggers=(Trigger("catalog", PRODUCT_EVENTS), Trigger("inventory", ("stock.changed",))),
    callers=("catalog",),  # a catalog bulk import asks for a sync when it is done
    stores=frozenset({ELASTICSEARCH}),
)


@functions_framework.aio.cloud_event
async def handle(cloud_event: CloudEvent) -> None:
    event_of(cloud_event)  # refuses what is not an Orchid event
    await context().services.search.sync_once()
