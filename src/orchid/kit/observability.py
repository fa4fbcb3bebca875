"""Request ids, JSON logs, Prometheus metrics, body-size limits and the health endpoints.

    configure_logging(json=True)                  # log lines carry trace_id/span_id in a span
    app.add_middleware(RequestContextMiddleware, max_body_bytes=1 << 20, tracer=tracer)
    app.include_router(health_router(readiness_checks, metrics_networks=[ip_network("::1/128")]))
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

import orjson
import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.trace import Span, Tracer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchid.kit.errors import PROBLEM_JSON, Forbidden
from orchid.kit.metrics import HTTP_DURATION, HTTP_REQUESTS
from orchid.kit.tracing import activated, current_ids, finish_server_span, server_span

REQUEST_ID_HEADER = "x-request-id"
# Probes and scrapes answered 2xx are counted but not logged: every pod is probed every few
# seconds, and those lines would be most of the log and none of its news.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = structlog.get_logger("orchid.http")


def add_trace_context(_: Any, __: str,
                      event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Add the current span's `trace_id` and `span_id` to a log line, inside a span."""
    ids = current_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


def log_processors(*, json: bool = True) -> list[structlog.typing.Processor]:
    """Return what every log line goes through, the renderer last."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(serializer=orjson.dumps) if json
        else structlog.dev.ConsoleRenderer())
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        add_trace_context,
        renderer,
    ]


def configure_logging(*, json: bool = True, level: int = logging.INFO) -> None:
    """Send structlog and stdlib logs to stderr, as JSON lines in production."""
    # orjson renders bytes, written as they are: half the cost of a line through json + print.
    factory: Callable[..., Any] = (structlog.BytesLoggerFactory(sys.stderr.buffer) if json
                                   else structlog.PrintLoggerFactory(sys.stderr))
    structlog.configure(
        processors=log_processors(json=json),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )


def _problem_bytes(status: int, title: str, detail: str, request_id: str) -> bytes:
    import json as _json

    return _json.dumps({"type": "about:blank", "title": title, "status": status,
                        "detail": detail, "request_id": request_id}).encode()


class RequestContextMiddleware:
    """Give each request an id, refuse oversized bodies, log and measure it.

    With a `tracer`, each request is a server span ("GET /p/{slug}", continuing an incoming
    W3C `traceparent`, see kit/tracing.py) holding the request id, and the calls to peers made
    while serving it open spans of their own with that tracer.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = 1 << 20,
                 tracer: Tracer | None = None) -> None:
        self.app, self.max_body, self.tracer = app, max_body_bytes, tracer
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        supplied = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = supplied if _VALID_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder = [500]

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        length = headers.get(b"content-length")
        too_big = False
        if length is not None:
            too_big = not length.isdigit() or int(length) > self.max_body
        elif b"chunked" in headers.get(b"transfer-encoding", b""):
            receive, too_big = await self._buffer(receive)
        with self._span(scope, headers, request_id) as span, activated(self.tracer):
            try:
                if too_big:
                    await self._reject(send_wrapped, request_id)
                else:
                    await self.app(scope, receive, send_wrapped)
            finally:
                route = getattr(scope.get("route"), "path", None)
                path = route or "unmatched"
                elapsed = time.perf_counter() - started
                status = status_holder[0]
                self._measure(scope["method"], path, status, elapsed)
                if status >= 300 or path not in QUIET_ROUTES:
                    log.info("request", method=scope["method"], route=path, status=status,
                             ms=round(elapsed * 1000, 2))
                if span is not None:
                    finish_server_span(span, method=scope["method"], route=route,
                                       status=status_holder[0])

    def _measure(self, method: str, route: str, status: int, elapsed: float) -> None:
        # labels() hashes and locks on every call; the children are looked up once per series.
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (HTTP_REQUESTS.labels(method, route, str(status)),
                                          HTTP_DURATION.labels(method, route))
        series[0].inc()
        series[1].observe(elapsed)

    def _span(self, scope: Scope, headers: Mapping[bytes, bytes],
              request_id: str) -> AbstractContextManager[Span | None]:
        if self.tracer is None:
            return nullcontext()
        return server_span(self.tracer, method=scope["method"], path=scope["path"],
                           scheme=scope.get("scheme", "http"), headers=headers,
                           request_id=request_id)

    async def _buffer(self, receive: Receive) -> tuple[Receive, bool]:
        """Read a chunked body up to the limit; return a replaying receive and if it overflowed."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                return receive, True
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay, False

    async def _reject(self, send: Send, request_id: str) -> None:
        body = _problem_bytes(413, "Payload too large",
                              f"Request bodies are limited to {self.max_body} bytes.", request_id)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", PROBLEM_JSON.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


ReadinessCheck = Callable[[], Awaitable[bool]]
Network = IPv4Network | IPv6Network
LOOPBACK: tuple[Network, ...] = (ip_network("127.0.0.0/8"), ip_network("::1/128"))
# Headers a proxy adds: a request that has passed through one is never a scrape.
FORWARDED = (b"x-forwarded-for", b"forwarded", b"x-real-ip")


def may_scrape(request: Request, networks: Sequence[Network]) -> bool:
    """True for a request straight from an address in `networks`, with no proxy on the way."""
    # uvicorn rewrites request.client from X-Forwarded-For when the edge sent the request, and
    # forged headers from anyone else are ignored, but a proxy that is trusted too widely would
    # let a client name its own address: so anything forwarded is refused outright, and the
    # client address judged is always the TCP peer's.
    if request.client is None or any(name in FORWARDED for name, _ in request.scope["headers"]):
        return False
    try:
        address = ip_address(request.client.host)
    except ValueError:  # a unix socket's peer, or a test client's made-up name
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack bind
    return any(candidate in network for candidate in (address, mapped) if candidate is not None
               for network in networks)


HEALTHY = b'{"status":"ok"}'


def health_router(checks: Mapping[str, ReadinessCheck], *,
                  metrics_networks: Sequence[Network] = LOOPBACK) -> APIRouter:
    """/healthz (the process), /readyz (its dependencies) and /metrics (for `metrics_networks`
    only, 403 for anyone else)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> Response:
        return Response(HEALTHY, media_type="application/json")  # nothing to encode

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results = {}
        for name, check in checks.items():
            try:
                results[name] = "ok" if await check() else "down"
            except Exception as exc:  # a check that crashes is a dependency that is down
                results[name] = f"down: {type(exc).__name__}"
        ready = all(v == "ok" for v in results.values())
        return JSONResponse({"status": "ready" if ready else "not_ready", "checks": results},
                            status_code=200 if ready else 503)

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        if not may_scrape(request, metrics_networks):
            raise Forbidden("Metrics are for the scrape network (ORCHID_METRICS_ALLOWED_NETWORKS).",
                            code="metrics_forbidden")
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
