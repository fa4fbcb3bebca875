"""What search reacts to (docs/events.md): a product created, changed, published or repriced
makes it read the catalog's change feed now, instead of at the next sync a search triggers
(every 5 s at most, and only when someone searches). Reading the feed is idempotent, so an
event delivered twice, late or out of order costs a read and changes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchid.kit.outbox import Event

if TYPE_CHECKING:
    from orchid.services.search.service import SearchService

CATALOG_TOPIC, SUBSCRIPTION = "catalog", "search-index"


async def on_catalog_event(search: SearchService, event: Event) -> None:
    if event.type.startswith("product."):
        await search.sync_once()
