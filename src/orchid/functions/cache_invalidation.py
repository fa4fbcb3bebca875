"""cache-invalidation: drops the catalog's cached entries a product event makes stale — the
product's page data under its slug (and its old slug when renamed), the generation of listing
pages, the storefront's rendered shelves and, when the set of listed products changes, the
brand list — in the cache every process reads (Redis on the
stack and GKE; the process's own memory embedded).

The writer already invalidates what it changed; this covers the processes and paths that did
not write (a bulk import, a change made from another region's process, a writer that died
between its commit and its invalidation). Deleting a key twice is harmless, so duplicates
and reordering need no bookkeeping."""

from __future__ import annotations

import functions_framework.aio
from cloudevents.http import CloudEvent

from orchid.functions.runtime import FunctionSpec, Trigger, context, event_of
from orchid.services import REDIS
from orchid.services.catalog.service import BRANDS_KEY, LISTINGS_KEY, product_key
from orchid.services.storefront.service import SHELVES_KEY

SPEC = FunctionSpec(
    "cache-invalidation",
    triggers=(Trigger("catalog", ("product.created", "product.changed", "product.published",
                                  "product.price_changed")),),
    callers=("catalog",),  # a change made outside the catalog's writes (an import) may ask
    stores=frozenset({REDIS}),
)


def stale_keys(event_type: str, payload: dict[str, object]) -> list[str]:
    """The catalog cache keys an event makes stale."""
    keys = [product_key(str(payload["slug"])), LISTINGS_KEY]
    old = payload.get("old_slug")
    if old and old != payload["slug"]:
        keys.append(product_key(str(old)))
    if event_type in ("product.created", "product.published"):
        keys.append(BRANDS_KEY)  # a brand's first listed product shows it in the list
    return keys


@functions_framework.aio.cloud_event
async def handle(cloud_event: CloudEvent) -> None:
    event = event_of(cloud_event)
    resources = context().resources
    await resources.cache("catalog").invalidate(*stale_keys(event.type, event.payload))
    await resources.cache("storefront").invalidate(SHELVES_KEY)
