"""The services Orchid knows, and how one process assembles them from their specs.

Each service registers once: its name below, and the `SPEC` in its `spec.py`. From the specs'
peer declarations the registry derives everything else — the peers each placed service gets (the
real service when it runs here, a `RemoteService` when a peer URL is configured, an `Unplaced`
stand-in otherwise), which caller may call which method with which arguments, and which peer
URLs a split process needs.

    assembly = assemble(resources)          # the services `settings.services` places here
    assembly.local["catalog"]               # a service running in this process
    assembly.routers                        # public routes, and the guarded internal ones
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field, fields
from functools import cache, partial
from importlib import import_module
from typing import Any, get_type_hints

from fastapi import APIRouter

from orchid.config import Settings
from orchid.kit.callers import CallerGuard, Credential, Grants
from orchid.kit.placement import (
    LocalPeer,
    RemoteService,
    Unplaced,
    declared_methods,
    internal_router,
    parameters_of,
)
from orchid.platform import Resources
from orchid.services import AnySpec

# The one list of services: each name is a package with a spec.py. Order is the build order.
SERVICE_NAMES: tuple[str, ...] = ("catalog", "accounts", "cart", "inventory", "payments",
                                  "orders", "search", "storefront")


class PlacementError(RuntimeError):
    """The settings place services in a way that cannot work; the message says what to set."""


@cache
def specs() -> dict[str, AnySpec]:
    """Return every service's spec by name."""
    found: dict[str, AnySpec] = {}
    for name in SERVICE_NAMES:
        spec = import_module(f"orchid.services.{name}.spec").SPEC
        if spec.name != name:
            raise PlacementError(f"orchid.services.{name}.spec registers {spec.name!r}")
        found[name] = spec
    return found


@cache
def declared_peers(name: str) -> dict[str, type]:
    """Return the peer protocol of each service that `name` calls, by peer name."""
    peers_type = specs()[name].peers
    hints = get_type_hints(peers_type)
    return {f.name: hints[f.name] for f in fields(peers_type)}


@cache
def grants(callee: str) -> Grants:
    """Return who may call `callee`: caller → method → the arguments it may pass."""
    granted: dict[str, dict[str, frozenset[str]]] = {}
    for caller in SERVICE_NAMES:
        protocol = declared_peers(caller).get(callee)
        if protocol is not None:
            granted[caller] = {method: parameters_of(fn)
                               for method, fn in declared_methods(protocol).items()}
    return granted


def placed_services(settings: Settings) -> list[str]:
    """Return the services `settings` places in this process (all when none are named)."""
    unknown = sorted(set(settings.services) - set(SERVICE_NAMES))
    if unknown:
        raise PlacementError(f"ORCHID_SERVICES names unknown services {unknown}; "
                             f"known: {', '.join(SERVICE_NAMES)}")
    return [name for name in SERVICE_NAMES if not settings.services or name in settings.services]


def remote_peers(placed: Iterable[str]) -> list[str]:
    """Return the services that those `placed` call but that run elsewhere (peer URLs needed)."""
    here = set(placed)
    return [name for name in SERVICE_NAMES if name not in here
            and any(name in declared_peers(p) for p in here)]


class Services:
    """The services that run in this process, by attribute: `services.catalog`."""

    def __init__(self, local: dict[str, Any]) -> None:
        self._local = local

    def __getattr__(self, name: str) -> Any:
        try:
            return self._local[name]
        except KeyError:
            raise AttributeError(f"{name} does not run in this process") from None


@dataclass
class Assembly:
    """One process's services, their routes and their background work."""

    local: dict[str, Any]
    peers: dict[str, Any]  # the peers each local service was built with
    authenticator: Any  # accounts' `authenticate` as this process reaches it
    routers: list[APIRouter] = field(default_factory=list)
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    closers: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    # (topic, subscription, handler of one event): subscribed on the process's bus at start.
    subscriptions: list[tuple[str, str, Callable[[Any], Coroutine[Any, Any, None]]]] = field(
        default_factory=list)

    @property
    def services(self) -> Services:
        """The local services, by attribute."""
        return Services(self.local)


def check_placement(settings: Settings) -> None:
    """Refuse, naming what to set, a placement that cannot work (before anything connects)."""
    placed = placed_services(settings)
    if len(placed) == len(SERVICE_NAMES):
        return  # one process: every call is local, no internal route is mounted
    for name in placed:
        for peer in declared_peers(name):
            if peer not in placed and peer in settings.peer_urls:
                _credential(name, peer, settings)
    served = [name for name in placed if specs()[name].interface is not None and grants(name)]
    if served and not settings.internal_callers:
        callers = sorted({c for name in served for c in grants(name)})
        raise PlacementError(
            f"{', '.join(served)} serve other processes but know no caller: set "
            f"ORCHID_INTERNAL_CALLERS to <caller>=<sha256 of its key> for {', '.join(callers)}"
            f"; `orchid keys generate` makes a set")


def assemble(resources: Resources) -> Assembly:
    """Build the services placed here, each with its peers, and the routes that serve them."""
    settings = resources.settings
    check_placement(settings)
    placed = placed_services(settings)
    split = len(placed) < len(SERVICE_NAMES)
    local: dict[str, Any] = {}
    peers = {name: _peers_of(name, placed, local, resources) for name in placed}
    for name in placed:
        local[name] = specs()[name].build(resources, peers[name])
    assembly = Assembly(local=local, peers=peers, authenticator=_authenticator(local, peers))
    for name in placed:
        spec = specs()[name]
        assembly.routers.append(spec.router)
        if split and spec.interface is not None and grants(name):
            assembly.routers.append(_internal_routes(name, local[name], settings))
        if spec.background is not None:
            assembly.background.append(_bind(spec.background, local[name], settings))
        if spec.close is not None:
            assembly.closers.append(_bind(spec.close, local[name]))
        for topic, subscription, handler in spec.subscriptions:
            assembly.subscriptions.append((topic, subscription, partial(handler, local[name])))
    return assembly


def _peers_of(name: str, placed: list[str], local: dict[str, Any], resources: Resources) -> Any:
    settings = resources.settings
    wired: dict[str, Any] = {}
    for peer, protocol in declared_peers(name).items():
        methods = declared_methods(protocol)
        url = settings.peer_urls.get(peer)
        if peer in placed:
            # Looked up on first call: the peer may be built after this service.
            wired[peer] = LocalPeer(peer, partial(local.__getitem__, peer), methods)
        elif url:
            wired[peer] = RemoteService.of(protocol, peer, url, resources.http,
                                           interface=specs()[peer].interface,
                                           credential=_credential(name, peer, settings))
        else:
            wired[peer] = Unplaced(peer)
    return specs()[name].peers(**wired)


def _credential(caller: str, peer: str, settings: Settings) -> Credential:
    key = settings.internal_keys.get(caller)
    if key is None:
        raise PlacementError(
            f"{caller} calls {peer} in another process but has no caller key: set "
            f"ORCHID_INTERNAL_KEYS (or the secret file orchid_internal_keys) to include "
            f"{caller}=<key>; `orchid keys generate` makes a set")
    return Credential(caller, key.get_secret_value())


def _internal_routes(name: str, service: Any, settings: Settings) -> APIRouter:
    callers = grants(name)
    methods = {method for granted in callers.values() for method in granted}
    guard = CallerGuard(name, digests=dict(settings.internal_callers), grants=callers)
    return internal_router(name, service, methods=methods, guard=guard)


def _authenticator(local: dict[str, Any], peers: dict[str, Any]) -> Any:
    # Any local service's accounts peer will do: every one declaring it may call authenticate.
    if "accounts" in local:
        return local["accounts"]
    for declared in peers.values():
        if hasattr(declared, "accounts"):
            return declared.accounts
    return Unplaced("accounts")


def _bind(fn: Callable[..., Awaitable[None]],
          *args: Any) -> Callable[[], Coroutine[Any, Any, None]]:
    async def run() -> None:
        await fn(*args)

    return run


def public_path_prefixes() -> dict[str, str]:
    """URL path prefix → the service that answers it, for routing at the edge.

    Taken from the routers, so a new route is routed without editing the edge: the first three
    path segments (`/api/v1/cart`), or four under `/api/v1/admin/…`; pages outside /api (the
    storefront's) by their first segment (`/p/`, `/cart`). The home page `/` is left to the
    edge's fallback route.
    """
    prefixes: dict[str, str] = {}
    for name, spec in specs().items():
        for route in spec.router.routes:
            segments = getattr(route, "path", "").strip("/").split("/")
            if segments[0] != "api":
                if segments[0]:
                    prefixes["/" + segments[0] + ("/" if len(segments) > 1 else "")] = name
                continue
            depth = 4 if len(segments) > 3 and segments[2] == "admin" else 3
            prefixes["/" + "/".join(segments[:depth])] = name
    return prefixes
