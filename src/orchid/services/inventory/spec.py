"""The inventory's registration: stock, reservations and warehouses, on the warehouse DB."""

from __future__ import annotations

from orchid.services import WAREHOUSE_DB, ServiceSpec
from orchid.services.inventory import api
from orchid.services.inventory.peers import Peers
from orchid.services.inventory.service import InventoryService, build

SPEC = ServiceSpec(name="inventory", interface=InventoryService, peers=Peers, build=build,
                   router=api.router, stores=frozenset({WAREHOUSE_DB}))
