"""The peer methods search calls: the catalog's change feed and labels, the inventory's stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from orchid.services.catalog.schemas import BrandRead, CategoryNode, ProductChange, ProductRead
from orchid.services.inventory.schemas import Availability


class Catalog(Protocol):
    async def list_changed(self, *, since: datetime, after_id: int,
                           limit: int) -> list[ProductChange]: ...
    async def get_product(self, *, slug: str) -> ProductRead: ...
    async def list_brands(self) -> list[BrandRead]: ...
    async def list_categories(self) -> list[CategoryNode]: ...


class Inventory(Protocol):
    async def availability(self, *, skus: list[str]) -> list[Availability]: ...


@dataclass(frozen=True)
class Peers:
    """The services search calls, each typed by the methods it uses."""

    catalog: Catalog
    inventory: Inventory
