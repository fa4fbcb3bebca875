"""Orchid's services: one folder each, registered by the `SPEC` in its `spec.py`.

A service's spec says everything the platform needs to place it: its interface (what others
may call), its peers (a dataclass in its `peers.py` whose fields name the services it calls,
each typed by a Protocol of the methods it uses), how to build it, its routes, and its
background work. The registry (`orchid.services.registry`) derives from the specs which
services exist, what each process wires, which peer URLs a split process needs, and which
caller may call which method.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from fastapi import APIRouter

if TYPE_CHECKING:
    from orchid.config import Settings
    from orchid.kit.errors import HtmlErrorPage
    from orchid.kit.outbox import Event
    from orchid.platform import Resources

# The stores a service keeps its data in (or its cache and sessions): what a process placing it
# must be able to reach, what its /readyz checks, and what its Deployment is given.
MAIN_DB, WAREHOUSE_DB, REDIS, ELASTICSEARCH = "main_db", "warehouse_db", "redis", "elasticsearch"
STORES = (MAIN_DB, WAREHOUSE_DB, REDIS, ELASTICSEARCH)

Service = TypeVar("Service")
Peers = TypeVar("Peers")


@dataclass(frozen=True)
class ServiceSpec(Generic[Service, Peers]):
    """What the platform needs to place one service.

    `interface` is None for a service that nothing calls across processes (the storefront's
    pages). `stores` names what it reads and writes itself (of `STORES`), never its peers'.
    A service that serves pages gives `error_page`, which answers a browser's unknown address
    in its process. `background` runs for the life of a process that places the
    service (cancelled at shutdown); `close` releases what the service holds.
    `subscriptions` are the events it reacts to: (topic, subscription name, handler), the
    handler called with the service and each event (docs/events.md).
    """

    name: str
    interface: type[Service] | None
    peers: type[Peers]
    build: Callable[[Resources, Peers], Service]
    router: APIRouter
    stores: frozenset[str]
    error_page: HtmlErrorPage | None = None
    background: Callable[[Service, Settings], Awaitable[None]] | None = None
    close: Callable[[Service], Awaitable[None]] | None = None
    subscriptions: tuple[tuple[str, str, Callable[[Service, Event], Coroutine[Any, Any, None]]],
                         ...] = ()


AnySpec = ServiceSpec[Any, Any]
