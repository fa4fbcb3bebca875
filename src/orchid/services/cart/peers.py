"""The peer methods the cart calls: prices from the catalog, stock from the inventory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from orchid.services.accounts.deps import Authenticator
from orchid.services.catalog.schemas import VariantRead
from orchid.services.inventory.schemas import Availability


class Catalog(Protocol):
    async def get_variants(self, *, skus: list[str], fresh: bool = False) -> list[VariantRead]: ...


class Inventory(Protocol):
    async def availability(self, *, skus: list[str]) -> list[Availability]: ...


@dataclass(frozen=True)
class Peers:
    """The services the cart calls, each typed by the methods it uses."""

    accounts: Authenticator
    catalog: Catalog
    inventory: Inventory
