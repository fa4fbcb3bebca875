"""The orders' registration: checkout, history and the status machine; the sweeper runs beside."""

from __future__ import annotations

from orchid.services import MAIN_DB, ServiceSpec
from orchid.services.orders import api
from orchid.services.orders.peers import Peers
from orchid.services.orders.service import OrdersService, build
from orchid.services.orders.tasks import run_sweeper

# Expired reservations and abandoned checkouts are cleaned up wherever orders runs.
SPEC = ServiceSpec(name="orders", interface=OrdersService, peers=Peers, build=build,
                   router=api.router, stores=frozenset({MAIN_DB}), background=run_sweeper)
