"""Traces: a tracer provider of the app's own, spans kept as JSON lines or sent over OTLP/HTTP.

    tracing = configure_tracing(service_name="orchid-orders", traces_dir=Path("state/traces"),
                                otlp_endpoint=None, sample_ratio=1.0)  # None: nothing traced
    # each request, in the kit's RequestContextMiddleware:
    with server_span(tracing.tracer, method="GET", path="/p/kajal", scheme="http",
                     headers=headers, request_id=request_id) as span:  # continues traceparent
        with activated(tracing.tracer):                   # what calls to peers find
            ...
        finish_server_span(span, method="GET", route="/p/{slug}", status=200)
    # each call to a peer, in kit/placement.py:
    with call_span(current_tracer(), "inventory.reserve", kind=SpanKind.CLIENT):
        inject(headers)                                   # W3C traceparent for the peer
    current_ids()                                         # ("4bf92f…", "00f067…") or None
    tracing.shutdown()                                    # the lifespan's end: flush, close

OpenTelemetry's global provider is left alone: each app holds its own provider, and a request
carries its tracer down in the OpenTelemetry context, so calls to peers find it there.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from orchid.kit.errors import OrchidError

__all__ = ["FASTAPI_TELEMETRY", "JsonLinesExporter", "Tracing", "activated", "call_span",
           "configure_tracing", "current_ids", "current_trace_id", "current_tracer",
           "finish_server_span", "inject", "otlp_traces_url", "server_span", "span_record"]

_TRACER_KEY = otel_context.create_key("orchid.tracer")
_PROPAGATOR = TraceContextTextMapPropagator()


@dataclass(frozen=True)
class Tracing:
    """An app's tracer provider and the tracer its requests and peer calls use."""

    provider: TracerProvider
    tracer: Tracer

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        """Export every finished span now; False when the exporters did not finish in time."""
        return self.provider.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Flush and close the exporters (once, at the app's end)."""
        self.provider.shutdown()


def configure_tracing(*, service_name: str, traces_dir: Path | None, otlp_endpoint: str | None,
                      sample_ratio: float = 1.0,
                      attributes: Mapping[str, str] | None = None) -> Tracing | None:
    """Build a provider writing to `traces_dir` and/or `otlp_endpoint`; None when neither."""
    if traces_dir is None and not otlp_endpoint:
        return None
    resource = Resource({"service.name": service_name, "service.namespace": "orchid",
                         "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
                         **(attributes or {})})
    # A caller's decision is followed, so a trace is kept whole or not at all.
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
                              resource=resource)
    if traces_dir is not None:
        # Written by the processor's thread, off the request's path, half a second at the most
        # after a span ends: `orchid traces` sees a request almost at once.
        provider.add_span_processor(BatchSpanProcessor(
            JsonLinesExporter(traces_dir, service_name=service_name), schedule_delay_millis=500))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # A collector that is down delays the app's shutdown by this timeout, not longer.
        provider.add_span_processor(BatchSpanProcessor(
            OTLPSpanExporter(endpoint=otlp_traces_url(otlp_endpoint), timeout=5)))
    return Tracing(provider, provider.get_tracer("orchid"))


def otlp_traces_url(endpoint: str) -> str:
    """Return the collector's traces URL for a base URL ("http://collector:4318")."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else f"{base}/v1/traces"


# FastAPI's own OpenTelemetry spans, metrics and logs stay off, even should a global provider
# appear: the kit's middleware opens the server span (at ~60 % of their cost per request, by
# the measure in docs/observability.md), Prometheus counts and structlog logs.
FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False,
                                      "auto_configure": False}


@contextmanager
def server_span(tracer: Tracer, *, method: str, path: str, scheme: str,
                headers: Mapping[bytes, bytes], request_id: str) -> Iterator[Span]:
    """Open a request's server span, continuing the caller's W3C trace when it sent one."""
    carrier = {name: headers[key].decode("latin-1")
               for name, key in (("traceparent", b"traceparent"), ("tracestate", b"tracestate"))
               if key in headers}
    parent = _PROPAGATOR.extract(carrier) if carrier else None
    with tracer.start_as_current_span(
            method, context=parent, kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path, "url.scheme": scheme,
                        "orchid.request_id": request_id},
    ) as span:
        yield span


def finish_server_span(span: Span, *, method: str, route: str | None, status: int) -> None:
    """Name a server span after its route template ("GET /p/{slug}"); a 5xx is an error."""
    if route is not None:  # unrouted (a 404 of no route): the method alone, as semconv says
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_attribute("error.type", str(status))
        span.set_status(StatusCode.ERROR)


@contextmanager
def activated(tracer: Tracer | None) -> Iterator[None]:
    """Make `tracer` the one that calls made inside this block use (no-op for None)."""
    if tracer is None:
        yield
        return
    token = otel_context.attach(otel_context.set_value(_TRACER_KEY, tracer))
    try:
        yield
    finally:
        otel_context.detach(token)


def current_tracer() -> Tracer | None:
    """Return the tracer of the request being served, or None when nothing is traced."""
    value = otel_context.get_value(_TRACER_KEY)
    return value if isinstance(value, Tracer) else None


def current_ids() -> tuple[str, str] | None:
    """Return the current span's (trace id, span id) in hex, or None outside any span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)


def current_trace_id() -> str | None:
    """Return the current trace id in hex, or None outside any span."""
    ids = current_ids()
    return ids[0] if ids else None


def inject(headers: dict[str, str]) -> None:
    """Add the current span's W3C `traceparent` (and `tracestate`) to outgoing headers."""
    _PROPAGATOR.inject(headers)


@contextmanager
def call_span(tracer: Tracer, name: str, *, kind: SpanKind,
              attributes: Mapping[str, str | int] | None = None) -> Iterator[Span]:
    """Open the current span of a call to a peer: a domain error below 500 is an answer."""
    with tracer.start_as_current_span(name, kind=kind, attributes=attributes,
                                      record_exception=False,
                                      set_status_on_exception=False) as span:
        try:
            yield span
        except OrchidError as exc:
            span.set_attribute("error.type", exc.code)
            if exc.status >= 500:
                span.set_status(StatusCode.ERROR, exc.detail)
            raise
        except Exception as exc:
            span.record_exception(exc)
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}")
            raise


def span_record(span: ReadableSpan,
                resource: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return a finished span as the JSON object one line of a traces file holds."""
    context, parent = span.get_span_context(), span.parent
    assert context is not None  # an SDK span always has one
    return {
        "trace_id": trace.format_trace_id(context.trace_id),
        "span_id": trace.format_span_id(context.span_id),
        "parent_span_id": trace.format_span_id(parent.span_id) if parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "start_time_unix_nano": span.start_time,
        "end_time_unix_nano": span.end_time,
        "status": span.status.status_code.name,
        "status_message": span.status.description,
        "attributes": dict(span.attributes or {}),
        "events": [{"name": event.name, "time_unix_nano": event.timestamp,
                    "attributes": dict(event.attributes or {})} for event in span.events],
        "resource": resource if resource is not None else dict(span.resource.attributes),
    }


class JsonLinesExporter(SpanExporter):
    """Append finished spans, one JSON object a line, to this process's file in `folder`.

        JsonLinesExporter(Path("state/traces"), service_name="orchid-cart")
        # → state/traces/orchid-cart-<host>-<pid>.jsonl, read by `orchid traces`
    """

    def __init__(self, folder: Path, *, service_name: str) -> None:
        self.path = folder / f"{service_name}-{socket.gethostname()}-{os.getpid()}.jsonl"
        self._file: IO[str] | None = None
        self._lock = threading.Lock()
        self._resource: tuple[object, dict[str, Any]] | None = None  # its provider's, as JSON

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write the spans' lines and flush them (the file is opened on first use)."""
        lines = "".join(json.dumps(span_record(span, self._resource_of(span)), default=str,
                                   ensure_ascii=False) + "\n" for span in spans)
        try:
            with self._lock:
                if self._file is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = self.path.open("a", encoding="utf-8")
                self._file.write(lines)
                self._file.flush()
        except OSError:  # a full or missing disk costs the spans, never the request
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _resource_of(self, span: ReadableSpan) -> dict[str, Any]:
        if self._resource is None or self._resource[0] is not span.resource:
            self._resource = (span.resource, dict(span.resource.attributes))
        return self._resource[1]

    def shutdown(self) -> None:
        """Close the file."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
