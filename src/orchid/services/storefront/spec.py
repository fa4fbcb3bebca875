"""The storefront's registration: the shop's pages; nothing calls it from another process."""

from __future__ import annotations

from orchid.services import ServiceSpec
from orchid.services.storefront import api, render
from orchid.services.storefront.peers import Peers
from orchid.services.storefront.service import build

SPEC = ServiceSpec(name="storefront", interface=None, peers=Peers, build=build,
                   router=api.router, stores=frozenset(), error_page=render.error_page)
