"""The cart's registration: guest and customer carts in the key-value store."""

from __future__ import annotations

from orchid.services import REDIS, ServiceSpec
from orchid.services.cart import api
from orchid.services.cart.peers import Peers
from orchid.services.cart.service import CartService, build

SPEC = ServiceSpec(name="cart", interface=CartService, peers=Peers, build=build,
                   router=api.router, stores=frozenset({REDIS}))
