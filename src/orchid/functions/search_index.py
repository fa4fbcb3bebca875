"""search-index: keeps the product index current from the catalog's and inventory's events —
a product created, changed, published or repriced: read the catalog's change feed (search's
`sync_once`); a SKU's stock at a warehouse moving in or out of zero: index its product again,
with its stock as it is now.

Idempotent by nature: the feed is read from the index's own high-water mark, so an event
delivered twice, late or out of order costs one read and changes nothing. The periodic sync a
search triggers stays as the catch-up and repair path (a missed event, an index rebuilt)."""

from __future__ import annotations

from typing import Any

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


def crossed_zero(payload: dict[str, Any]) -> bool:
    """Whether a stock change took the row's availability in or out of stock."""
    now = int(payload["available"])
    before = now - int(payload["delta_on_hand"]) + int(payload["delta_reserved"])
    return (before > 0) != (now > 0)


@functions_framework.aio.cloud_event
async def handle(cloud_event: CloudEvent) -> None:
    event = event_of(cloud_event)
    services = context().services
    if event.type != "stock.changed":
        await services.search.sync_once()
    elif crossed_zero(event.payload):
        for variant in await services.catalog.get_variants(skus=[event.payload["sku"]]):
            await services.search.index_product(slug=variant.product_slug)
