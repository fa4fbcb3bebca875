"""The services Orchid knows, and how one process assembles them: local, remote or absent.

Services call each other through the `Services` directory they receive when built; an entry is
the real service when it runs in this process, a `RemoteService` when a peer URL is configured,
and an `Unplaced` stand-in otherwise. Peers are looked up at call time, so two services may
depend on each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter

from orchid.kit.errors import HtmlErrorPage
from orchid.kit.placement import RemoteService, Unplaced
from orchid.platform import Resources
from orchid.services.accounts import api as accounts_api
from orchid.services.accounts import service as accounts_service
from orchid.services.accounts.service import AccountsService
from orchid.services.cart import api as cart_api
from orchid.services.cart import service as cart_service
from orchid.services.cart.service import CartService
from orchid.services.catalog import api as catalog_api
from orchid.services.catalog import service as catalog_service
from orchid.services.catalog.service import CatalogService
from orchid.services.inventory import api as inventory_api
from orchid.services.inventory import service as inventory_service
from orchid.services.inventory.service import InventoryService
from orchid.services.orders import api as orders_api
from orchid.services.orders import service as orders_service
from orchid.services.orders.service import OrdersService
from orchid.services.payments import api as payments_api
from orchid.services.payments import service as payments_service
from orchid.services.payments.service import PaymentsService
from orchid.services.search import api as search_api
from orchid.services.search import service as search_service
from orchid.services.search.service import SearchService
from orchid.services.storefront import api as storefront_api
from orchid.services.storefront import render as storefront_render
from orchid.services.storefront import service as storefront_service
from orchid.services.storefront.service import Storefront


class Services:
    """Every service as seen from this process; the calling code never knows where it runs."""

    catalog: CatalogService
    accounts: AccountsService
    cart: CartService
    inventory: InventoryService
    payments: PaymentsService
    orders: OrdersService
    search: SearchService
    storefront: Storefront

    def local(self) -> dict[str, Any]:
        """The services that run in this process, by name."""
        return {name: getattr(self, name) for name in SPECS
                if not isinstance(getattr(self, name), RemoteService | Unplaced)}


@dataclass(frozen=True)
class ServiceSpec:
    """What the platform needs to place one service.

    `interface` is None for a service that nothing calls across processes (the storefront's
    pages): it runs where it is placed, and is never a remote stand-in elsewhere. A service that
    serves pages gives `error_page`, which answers a browser's unknown address in its process.
    """

    interface: type | None
    build: Callable[[Resources, Services], Any]
    router: APIRouter
    error_page: HtmlErrorPage | None = None


SPECS: dict[str, ServiceSpec] = {
    "catalog": ServiceSpec(CatalogService, lambda r, _: catalog_service.build(r),
                           catalog_api.router),
    "accounts": ServiceSpec(AccountsService, lambda r, _: accounts_service.build(r),
                            accounts_api.router),
    "cart": ServiceSpec(CartService, cart_service.build, cart_api.router),
    "inventory": ServiceSpec(InventoryService, inventory_service.build, inventory_api.router),
    "payments": ServiceSpec(PaymentsService, payments_service.build, payments_api.router),
    "orders": ServiceSpec(OrdersService, orders_service.build, orders_api.router),
    "search": ServiceSpec(SearchService, search_service.build, search_api.router),
    "storefront": ServiceSpec(None, storefront_service.build, storefront_api.router,
                              error_page=storefront_render.error_page),
}


def assemble(resources: Resources, placed: list[str]) -> Services:
    """Build local services for `placed` and remote stand-ins for the rest."""
    settings = resources.settings
    token = settings.internal_token.get_secret_value() if settings.internal_token else None
    services = Services()
    for name, spec in SPECS.items():
        peer = settings.peer_url(name)
        if name in placed:
            built = spec.build(resources, services)
        elif peer and spec.interface is not None:
            built = RemoteService.of(spec.interface, name, peer, resources.http, token=token)
        else:
            built = Unplaced(name)
        setattr(services, name, built)
    return services


def public_path_prefixes() -> dict[str, str]:
    """URL path prefix → the service that answers it, for routing at the edge.

    Taken from the routers, so a new route is routed without editing the edge: the first three
    path segments (`/api/v1/cart`), or four under `/api/v1/admin/…`; pages outside /api (the
    storefront's) by their first segment (`/p/`, `/cart`). The home page `/` is left to the
    edge's fallback route.
    """
    prefixes: dict[str, str] = {}
    for name, spec in SPECS.items():
        for route in spec.router.routes:
            segments = getattr(route, "path", "").strip("/").split("/")
            if segments[0] != "api":
                if segments[0]:
                    prefixes["/" + segments[0] + ("/" if len(segments) > 1 else "")] = name
                continue
            depth = 4 if len(segments) > 3 and segments[2] == "admin" else 3
            prefixes["/" + "/".join(segments[:depth])] = name
    return prefixes
