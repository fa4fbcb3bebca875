"""The search's registration: the product index, suggestions and facets."""

from __future__ import annotations

from orchid.services import ELASTICSEARCH, ServiceSpec
from orchid.services.search import api
from orchid.services.search.peers import Peers
from orchid.services.search.service import SearchService, build

SPEC = ServiceSpec(name="search", interface=SearchService, peers=Peers, build=build,
                   router=api.router, stores=frozenset({ELASTICSEARCH}), close=SearchService.close)
