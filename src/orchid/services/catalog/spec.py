"""The catalog's registration: products, brands, categories and prices, on the main DB."""

from __future__ import annotations

from orchid.services import MAIN_DB, REDIS, ServiceSpec
from orchid.services.catalog import api
from orchid.services.catalog.peers import Peers
from orchid.services.catalog.service import CatalogService, build

SPEC = ServiceSpec(name="catalog", interface=CatalogService, peers=Peers, build=build,
                   router=api.router, stores=frozenset({MAIN_DB, REDIS}))
