"""Service placement: the same typed interface in-process or over HTTP, chosen by configuration.

A service is a class whose public coroutine methods marked `@exposed` form its interface. They
take keyword-only, typed arguments and return typed values. A caller declares the peer methods
it uses as a `Protocol`, and holds a peer object typed by it: a `LocalPeer` when the peer runs
in the same process, a `RemoteService` speaking to another process otherwise — decided when the
process is assembled, never by the calling code.

    class Catalog:
        @exposed(idempotent=True)
        async def get_product(self, *, slug: str) -> ProductRead: ...

    class CatalogPeer(Protocol):                            # in the caller's peers.py
        async def get_product(self, *, slug: str) -> ProductRead: ...

    remote = RemoteService.of(CatalogPeer, "catalog", "http://127.0.0.1:8001", client,
                              interface=Catalog, credential=Credential("search", key))
    await remote.get_product(slug="kajal")                  # POST /internal/v1/catalog/get_product

Remote calls carry the caller's credential, forward the request id and the read-your-writes
deadline, re-raise the peer's domain errors, retry idempotent calls once on a connection
failure, and trip a circuit breaker after repeated failures so a dead peer costs a fast 503, not
a timeout per request. The serving side checks every call with a `CallerGuard`.

In a traced request (kit/tracing.py) each call is a span named "<service>.<method>": a client
span whose W3C `traceparent` the remote peer continues, or an internal one for a local peer.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, TypeVar, cast, get_type_hints

import httpx
import structlog
from fastapi import APIRouter, Body, Request
from opentelemetry.trace import SpanKind, Tracer, get_current_span
from pydantic import BaseModel, TypeAdapter, create_model
from pydantic_core import to_jsonable_python

from orchid.kit import consistency, tracing
from orchid.kit.callers import CallerGuard, Credential
from orchid.kit.clock import Clock
from orchid.kit.errors import Unavailable, error_from_problem
from orchid.kit.metrics import REMOTE_CALLS
from orchid.kit.observability import REQUEST_ID_HEADER

S = TypeVar("S")
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
Method = Callable[..., Awaitable[Any]]
INTERNAL_PREFIX = "/internal/v1"
log = structlog.get_logger("orchid.placement")


def exposed(*, idempotent: bool = False) -> Callable[[F], F]:
    """Mark a service method as part of its interface (callable from other processes)."""

    def mark(fn: F) -> F:
        fn.__orchid_exposed__ = {"idempotent": idempotent}  # type: ignore[attr-defined]
        return fn

    return mark


def interface_of(cls: type) -> dict[str, Method]:
    """Return the exposed methods of a service class by name."""
    return {name: fn for name, fn in inspect.getmembers(cls, inspect.iscoroutinefunction)
            if hasattr(fn, "__orchid_exposed__")}


def declared_methods(protocol: type) -> dict[str, Method]:
    """Return the coroutine methods a peer protocol declares (its own and inherited) by name."""
    return {name: fn for name, fn in inspect.getmembers(protocol, inspect.iscoroutinefunction)
            if not name.startswith("_")}


def parameters_of(fn: Callable[..., Any]) -> frozenset[str]:
    """Return the names of a method's keyword arguments (without `self`)."""
    return frozenset(p for p in inspect.signature(fn).parameters if p != "self")


class PeerUnavailable(Unavailable):
    """A service in another process cannot be reached."""

    code, title = "peer_unavailable", "Service unavailable"


class CircuitBreaker:
    """Open after `threshold` consecutive failures; let one trial call through after `cooldown`."""

    def __init__(self, threshold: int = 5, cooldown: float = 5.0, *,
                 clock: Clock = time.monotonic) -> None:
        self.threshold, self.cooldown, self._clock = threshold, cooldown, clock
        self.failures = 0
        self.opened_at: float | None = None

    def allow(self) -> bool:
        """True when a call may be attempted."""
        if self.opened_at is None:
            return True
        return self._clock() - self.opened_at >= self.cooldown

    def record(self, ok: bool) -> None:
        """Count a call's outcome."""
        if ok:
            self.failures, self.opened_at = 0, None
        else:
            self.failures += 1
            if self.failures >= self.threshold:
                self.opened_at = self._clock()


class RemoteService:
    """A stand-in for a service that runs in another process, limited to its declared methods."""

    def __init__(self, declared: type, name: str, base_url: str, client: httpx.AsyncClient, *,
                 interface: type | None = None, credential: Credential | None = None,
                 breaker: CircuitBreaker | None = None) -> None:
        self._name, self._base = name, base_url.rstrip("/")
        self._client, self._credential = client, credential
        self._breaker = breaker or CircuitBreaker()
        url = httpx.URL(self._base)
        self._span_attributes: dict[str, str | int] = {
            "orchid.peer": name, "orchid.placement": "remote", "http.request.method": "POST",
            "server.address": url.host,
            "server.port": url.port or (443 if url.scheme == "https" else 80)}
        served = interface_of(interface or declared)
        self._methods: dict[str, tuple[TypeAdapter[Any], bool]] = {}
        for method, fn in declared_methods(declared).items():
            if method in served:
                idempotent = served[method].__orchid_exposed__["idempotent"]  # type: ignore[attr-defined]
                self._methods[method] = (TypeAdapter(get_type_hints(fn).get("return", Any)),
                                         idempotent)

    @classmethod
    def of(cls, declared: type[S], name: str, base_url: str, client: httpx.AsyncClient, *,
           interface: type | None = None, credential: Credential | None = None) -> S:
        """Build a remote stand-in typed as the peer protocol (or interface) it serves."""
        return cast(S, cls(declared, name, base_url, client, interface=interface,
                           credential=credential))

    def __getattr__(self, method: str) -> Method:
        try:
            adapter, idempotent = self._methods[method]
        except KeyError:
            raise AttributeError(f"{self._name} exposes no declared method {method!r}") from None

        async def call(**kwargs: Any) -> Any:
            return await self._call(method, adapter, idempotent, kwargs)

        return call

    async def _call(self, method: str, adapter: TypeAdapter[Any], idempotent: bool,
                    kwargs: dict[str, Any]) -> Any:
        tracer = tracing.current_tracer()
        if tracer is None:
            return await self._send(method, adapter, idempotent, kwargs)
        url = f"{self._base}{INTERNAL_PREFIX}/{self._name}/{method}"
        attributes = {**self._span_attributes, "orchid.method": method, "url.full": url}
        with tracing.call_span(tracer, f"{self._name}.{method}", kind=SpanKind.CLIENT,
                               attributes=attributes):
            return await self._send(method, adapter, idempotent, kwargs)

    async def _send(self, method: str, adapter: TypeAdapter[Any], idempotent: bool,
                    kwargs: dict[str, Any]) -> Any:
        if not self._breaker.allow():
            REMOTE_CALLS.labels(self._name, "circuit_open").inc()
            raise PeerUnavailable(f"{self._name} is unavailable (circuit open)")
        headers = self._headers()
        url = f"{self._base}{INTERNAL_PREFIX}/{self._name}/{method}"
        payload = to_jsonable_python(kwargs)
        attempts = 2 if idempotent else 1
        for attempt in range(attempts):
            try:
                response = await self._client.post(url, json=payload, headers=headers)
                break
            except httpx.TransportError as exc:
                # A request that may have reached the peer is only resent when repeating it is safe.
                if attempt + 1 < attempts:
                    get_current_span().add_event("retry", {"error.type": type(exc).__name__})
                    continue
                self._breaker.record(False)
                REMOTE_CALLS.labels(self._name, "error").inc()
                log.warning("remote_call_failed", service=self._name, method=method,
                            error=repr(exc))
                raise PeerUnavailable(f"{self._name} is unavailable") from exc
        self._breaker.record(response.status_code < 500)
        get_current_span().set_attribute("http.response.status_code", response.status_code)
        deadline = response.headers.get(consistency.HEADER)
        mark = consistency.current()
        if deadline and mark is not None:
            mark.accept(deadline)
            mark.wrote = True
        if response.status_code == 200:
            REMOTE_CALLS.labels(self._name, "ok").inc()
            return adapter.validate_python(response.json()["result"])
        REMOTE_CALLS.labels(self._name, f"http_{response.status_code}").inc()
        try:
            body = response.json()
        except ValueError:
            body = {}
        raise error_from_problem(response.status_code, body if isinstance(body, dict) else {})

    def _headers(self) -> dict[str, str]:
        headers = self._credential.headers() if self._credential else {}
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            headers[REQUEST_ID_HEADER] = str(request_id)
        deadline = consistency.header_value()
        if deadline:
            headers[consistency.HEADER] = deadline
        tracing.inject(headers)  # the client span's traceparent, when this request is traced
        return headers


class LocalPeer:
    """A peer that runs in this process, limited to the methods its caller declared.

    The peer object is looked up on first use, so two services may depend on each other.
    """

    def __init__(self, name: str, resolve: Callable[[], object], methods: Iterable[str]) -> None:
        self._name, self._resolve, self._allowed = name, resolve, frozenset(methods)
        self._target: object | None = None

    def __getattr__(self, method: str) -> Method:
        if method not in self._allowed:
            raise AttributeError(f"{method!r} of {self._name} is not a declared peer method")
        if self._target is None:
            self._target = self._resolve()
        bound: Method = getattr(self._target, method)
        tracer = tracing.current_tracer()
        if tracer is None:
            return bound
        return _traced_local(tracer, self._name, method, bound)


def _traced_local(tracer: Tracer, name: str, method: str, bound: Method) -> Method:
    attributes = {"orchid.peer": name, "orchid.method": method, "orchid.placement": "local"}

    async def call(**kwargs: Any) -> Any:
        with tracing.call_span(tracer, f"{name}.{method}", kind=SpanKind.INTERNAL,
                               attributes=attributes):
            return await bound(**kwargs)

    return call


class Unplaced:
    """Stands in for a service neither in this process nor reachable at a configured peer URL."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Method:
        async def call(**_: Any) -> Any:
            raise PeerUnavailable(f"{self._name} does not run in this process and no peer URL "
                                  f"is configured for it (ORCHID_PEER_URLS)")

        return call


def internal_router(name: str, service: object, *, methods: Iterable[str],
                    guard: CallerGuard) -> APIRouter:
    """Serve `methods` of a service at POST /internal/v1/<name>/<method>, each call guarded."""
    router = APIRouter(prefix=f"{INTERNAL_PREFIX}/{name}", include_in_schema=False)
    exposed_methods = interface_of(type(service))
    for method in sorted(methods):
        router.add_api_route(f"/{method}",
                             _endpoint(name, method, exposed_methods[method], service, guard),
                             methods=["POST"])
    return router


def _args_model(name: str, method: str, fn: Callable[..., Any]) -> type[BaseModel]:
    hints = get_type_hints(fn)
    fields: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        if param.name == "self":
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (hints.get(param.name, Any), default)
    model: type[BaseModel] = create_model(f"{name}_{method}_args", **fields)
    return model


def _endpoint(name: str, method: str, fn: Method, service: object,
              guard: CallerGuard) -> Callable[..., Awaitable[dict[str, Any]]]:
    args_model = _args_model(name, method, fn)
    bound = getattr(service, method)

    async def endpoint(request: Request, args: BaseModel) -> dict[str, Any]:
        # Only the arguments the caller sent count: one not granted to it (a client address
        # that sets a rate limit, say) is refused even when its value would be the default.
        guard.check(request.headers, method=method, arguments=set(args.model_fields_set))
        kwargs = {field: getattr(args, field) for field in args_model.model_fields}
        return {"result": to_jsonable_python(await bound(**kwargs))}

    endpoint.__name__ = f"internal_{name}_{method}"
    # The body model is built at run time, so the signature FastAPI reads is built too.
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    endpoint.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("request", kind, annotation=Request),
        inspect.Parameter("args", kind, annotation=Annotated[args_model, Body()]),
    ])
    return endpoint
