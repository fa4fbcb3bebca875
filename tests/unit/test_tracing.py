"""Traces: server spans per request, client spans and `traceparent` on calls between processes,
trace ids in log lines, the JSON lines files, `orchid traces`, and the OTLP exporter."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send
from structlog.testing import capture_logs
from typer.testing import CliRunner

from orchid.app import create_app
from orchid.cli import app as cli
from orchid.config import Settings
from orchid.kit.errors import NotFound
from orchid.kit.observability import log_processors
from orchid.kit.placement import LocalPeer, PeerUnavailable, RemoteService, exposed
from orchid.kit.tracing import activated, configure_tracing
from orchid.ops.traces import SpanLine, read_spans, summarize, tree
from orchid.platform import Resources
from orchid.services.registry import SERVICE_NAMES
from tests.conftest import embedded_settings
from tests.support.stack import split_overrides
from tests.unit.cart_factories import KAJAL, stock_kajal

TRACE_ID, PARENT_ID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
runner = CliRunner()


Serving = tuple[FastAPI, httpx.AsyncClient]


@contextlib.asynccontextmanager
async def serving(settings: Settings, *,
                  resources: Resources | None = None) -> AsyncIterator[Serving]:
    """The app started, and a client of it; leaving it shuts tracing down (every span out)."""
    app = create_app(settings, resources=resources)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield app, client


def spans_named(folder: Path, name: str) -> list[SpanLine]:
    """Return the written spans called `name`."""
    return [span for span in read_spans(folder) if span.name == name]


async def test_a_request_is_a_server_span_named_by_its_route(data_dir: Path,
                                                             tmp_path: Path) -> None:
    traces = tmp_path / "traces"
    async with serving(embedded_settings(data_dir, traces_dir=traces)) as (_, client):
        missing = await client.get("/api/v1/catalog/products/no-such-kajal")
        assert missing.status_code == 404
    [span] = spans_named(traces, "GET /api/v1/catalog/products/{slug}")
    assert span.kind == "SERVER" and span.status == "UNSET"  # a 404 is an answer
    assert span.parent_span_id is None and span.service == "orchid"
    assert span.attributes["http.route"] == "/api/v1/catalog/products/{slug}"
    assert span.attributes["url.path"] == "/api/v1/catalog/products/no-such-kajal"
    assert span.attributes["http.response.status_code"] == 404
    assert span.attributes["orchid.request_id"] == missing.headers["x-request-id"]
    assert 0 < span.duration_ms


async def test_an_incoming_traceparent_is_continued(data_dir: Path, tmp_path: Path) -> None:
    traces = tmp_path / "traces"
    async with serving(embedded_settings(data_dir, traces_dir=traces)) as (_, client):
        sampled = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
        assert (await client.get("/healthz", headers=sampled)).status_code == 200
        # The caller decided not to keep this trace: the process follows it.
        unsampled = {"traceparent": f"00-{'1' * 32}-{PARENT_ID}-00"}
        assert (await client.get("/readyz", headers=unsampled)).status_code == 200
    [span] = read_spans(traces)
    assert (span.name, span.trace_id, span.parent_span_id) == ("GET /healthz", TRACE_ID,
                                                               PARENT_ID)


async def test_a_server_error_marks_the_span_failed(data_dir: Path, tmp_path: Path) -> None:
    traces = tmp_path / "traces"
    async with serving(embedded_settings(data_dir, traces_dir=traces)) as (app, _):

        async def boom() -> None:
            raise RuntimeError("the kajal pot broke")

        app.add_api_route("/boom/{pot}", boom)
        # As a server answers: the 500 goes out, the error is not raised into the client.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/boom/1")).status_code == 500
    [span] = spans_named(traces, "GET /boom/{pot}")
    assert span.failed and span.attributes["http.response.status_code"] == 500


async def test_log_lines_carry_the_trace_id(data_dir: Path, tmp_path: Path) -> None:
    settings = embedded_settings(data_dir, traces_dir=tmp_path / "traces")
    # What configure_logging installs, without its renderer: the events as dicts.
    with capture_logs(processors=log_processors(json=True)[:-1]) as logs:
        async with serving(settings) as (_, client):
            await client.get("/healthz")  # a probe answered 200: counted, not logged
            await client.get("/api/v1/catalog/brands",
                             headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    [line] = [event for event in logs if event["event"] == "request"]
    assert line["route"] == "/api/v1/catalog/brands"
    [span] = [s for s in read_spans(tmp_path / "traces") if s.trace_id == TRACE_ID]
    assert line["trace_id"] == TRACE_ID and line["span_id"] == span.span_id
    with capture_logs(processors=log_processors(json=True)[:-1]) as outside:
        structlog.get_logger("test").info("outside any span")
    assert "trace_id" not in outside[0]


@contextlib.asynccontextmanager
async def split_shop(data_dir: Path, traces: Path,
                     seen: list[dict[str, str]]) -> AsyncIterator[httpx.AsyncClient]:
    """The cart in one process, every other service in another one reached over HTTP (in
    memory), both tracing into `traces`; `seen` gets the headers of each internal call."""
    others = [name for name in SERVICE_NAMES if name != "cart"]
    async with serving(embedded_settings(data_dir, traces_dir=traces, services=others,
                                         **split_overrides())) as (far, _):
        await stock_kajal(far.state.services, quantity=5)

        async def recording(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
            await far(scope, receive, send)

        settings = embedded_settings(data_dir, traces_dir=traces, services=["cart"],
                                     peer_urls={name: "http://far.internal" for name in others},
                                     **split_overrides(own=["cart"]))
        resources = Resources.from_settings(settings)
        await resources.http.aclose()
        resources.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=recording))
        async with serving(settings, resources=resources) as (_, client):
            yield client


async def test_calls_to_another_process_carry_the_trace(data_dir: Path, tmp_path: Path) -> None:
    traces, seen = tmp_path / "traces", list[dict[str, str]]()
    async with split_shop(data_dir, traces, seen) as cart:
        added = await cart.post("/api/v1/cart/items", json={"sku": KAJAL, "quantity": 2})
        assert added.status_code == 201, added.text
    [root] = spans_named(traces, "POST /api/v1/cart/items")
    clients = spans_named(traces, "catalog.get_variants")
    served = spans_named(traces, "POST /internal/v1/catalog/get_variants")
    assert clients and len(served) == len(clients)
    assert root.service == "orchid-cart"
    assert {span.service for span in served} == {"orchid-" + "-".join(
        name for name in SERVICE_NAMES if name != "cart")}
    for client in clients:
        assert client.kind == "CLIENT" and client.parent_span_id == root.span_id
        assert client.attributes["http.response.status_code"] == 200
    assert {span.trace_id for span in [*clients, *served]} == {root.trace_id}
    assert {span.parent_span_id for span in served} == {span.span_id for span in clients}
    # W3C: version-trace-parent-flags, the sampled bit set (the SDK adds "random", 0x02).
    sent = [headers["traceparent"].split("-") for headers in seen
            if headers["x-orchid-caller"] == "cart"]
    assert all(version == "00" and int(flags, 16) & 1 for version, _, _, flags in sent)
    assert {("00", root.trace_id, client.span_id) for client in clients} <= {
        (version, trace_id, parent) for version, trace_id, parent, _ in sent}
    # Every span of the trace hangs under the cart's request, whichever file holds it.
    ordered = tree(span for span in read_spans(traces) if span.trace_id == root.trace_id)
    assert ordered[0] == (0, root) and len({s.service for _, s in ordered}) == 2
    shown = runner.invoke(cli, ["traces", "show", root.trace_id[:12], "--dir", str(traces)])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].startswith(f"trace {root.trace_id}")
    # Indented under their parents; the process named where the trace enters it.
    assert "POST /api/v1/cart/items  [orchid-cart] server 201" in lines[1]
    assert any(line.endswith("   catalog.get_variants  client 200") for line in lines)
    assert any("      POST /internal/v1/catalog/get_variants  [orchid-catalog-" in line
               for line in lines)
    listed = runner.invoke(cli, ["traces", "list", "--dir", str(traces), "--limit", "1"])
    assert listed.exit_code == 0 and root.trace_id in listed.output
    assert "POST /api/v1/cart/items [orchid-cart]" in listed.output


class Shelf:
    """A toy service: one exposed method that may answer with a domain error."""

    @exposed(idempotent=True)
    async def count(self, *, sku: str) -> int:
        if sku == "none":
            raise NotFound("no such sku", code="sku_not_found")
        return 3


async def test_a_peer_answering_an_error_or_not_at_all_is_told_apart(tmp_path: Path) -> None:
    tracing = configure_tracing(service_name="orchid-cart", traces_dir=tmp_path,
                                otlp_endpoint=None)
    assert tracing is not None

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "dead":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(404, json={"status": 404, "title": "Not found",
                                         "code": "sku_not_found"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        shelf = RemoteService.of(Shelf, "shelf", "http://shelf", client)
        dead = RemoteService.of(Shelf, "shelf", "http://dead:8001", client)
        with tracing.tracer.start_as_current_span("GET /cart"), activated(tracing.tracer):
            with pytest.raises(NotFound):
                await shelf.count(sku="none")
            with pytest.raises(PeerUnavailable):
                await dead.count(sku="kajal")
    tracing.shutdown()
    answered, unreachable = [s for s in read_spans(tmp_path) if s.name == "shelf.count"]
    assert answered.status == "UNSET"  # the peer's answer, not a failure of the call
    assert answered.attributes["error.type"] == "sku_not_found"
    assert answered.attributes["http.response.status_code"] == 404
    assert unreachable.failed and unreachable.attributes["error.type"] == "peer_unavailable"
    assert unreachable.attributes["server.address"] == "dead"
    assert unreachable.attributes["server.port"] == 8001
    [written] = [json.loads(line) for path in tmp_path.glob("*.jsonl")
                 for line in path.read_text().splitlines()
                 if json.loads(line)["span_id"] == unreachable.span_id]
    assert [event["name"] for event in written["events"]] == ["retry"]  # idempotent: twice


async def test_without_settings_nothing_is_traced(data_dir: Path, tmp_path: Path) -> None:
    assert configure_tracing(service_name="orchid", traces_dir=None, otlp_endpoint=None) is None
    async with serving(embedded_settings(data_dir)) as (app, client):
        assert app.state.tracing is None
        answer = await client.get("/healthz", headers={"traceparent": f"00-{TRACE_ID}-"
                                                                      f"{PARENT_ID}-01"})
        assert answer.status_code == 200
        # Calls to a local peer are the service's own bound methods: nothing wraps them.
        catalog = app.state.services.catalog
        peer = LocalPeer("catalog", lambda: catalog, ["get_variants"])
        assert peer.get_variants == catalog.get_variants
    # OpenTelemetry's global provider is never set: the process stays as it was.
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"


def test_trace_settings_fail_by_name() -> None:
    with pytest.raises(ValidationError, match="ORCHID_OTLP_ENDPOINT must be an http"):
        Settings(otlp_endpoint="collector:4318")
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        Settings(trace_sample_ratio=1.5)
    assert Settings(traces_dir="", otlp_endpoint="").traces_dir is None


def test_a_sample_ratio_keeps_new_traces_only_but_follows_callers(tmp_path: Path) -> None:
    tracing = configure_tracing(service_name="orchid", traces_dir=tmp_path, otlp_endpoint=None,
                                sample_ratio=0.0)
    assert tracing is not None
    with tracing.tracer.start_as_current_span("new") as new:
        assert not new.is_recording()
    kept = trace.set_span_in_context(trace.NonRecordingSpan(trace.SpanContext(
        int(TRACE_ID, 16), int(PARENT_ID, 16), is_remote=True,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED))))
    with tracing.tracer.start_as_current_span("continued", context=kept) as continued:
        assert continued.is_recording()
    tracing.shutdown()
    assert [span.name for span in read_spans(tmp_path)] == ["continued"]


def span_line(name: str, span_id: str, parent: str | None, start_ms: int, end_ms: int,
              **extra: Any) -> str:
    """One line as the exporter writes it."""
    return json.dumps({"trace_id": TRACE_ID, "span_id": span_id, "parent_span_id": parent,
                       "name": name, "kind": "SERVER", "start_time_unix_nano": start_ms * 10**6,
                       "end_time_unix_nano": end_ms * 10**6, "resource": {"service.name": "o"},
                       **extra})


def test_traces_read_from_files_survive_cut_lines_and_missing_parents(tmp_path: Path) -> None:
    (tmp_path / "orchid-a.jsonl").write_text("\n".join([
        span_line("GET /", "a" * 16, PARENT_ID, 0, 50),  # its caller is in no file
        span_line("catalog.get", "b" * 16, "a" * 16, 10, 20, status="ERROR"),
        '{"trace_id": "4bf9',  # the process was killed while writing
    ]) + "\n")
    (tmp_path / "orchid-b.jsonl").write_text(span_line("POST /internal", "c" * 16, "b" * 16,
                                                       12, 18) + "\n")
    spans = read_spans(tmp_path)
    assert [(depth, span.name) for depth, span in tree(spans)] == [
        (0, "GET /"), (1, "catalog.get"), (2, "POST /internal")]
    [summary] = summarize(spans)
    assert (summary.span_count, summary.errors, summary.duration_ms) == (3, 1, 50.0)
    missing = runner.invoke(cli, ["traces", "show", "ffff", "--dir", str(tmp_path)])
    assert missing.exit_code == 2 and "no trace ffff" in missing.output
    empty = runner.invoke(cli, ["traces", "list", "--dir", str(tmp_path / "none")])
    assert empty.exit_code == 2 and "ORCHID_TRACES_DIR" in empty.output


class Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver that keeps what it is sent."""

    received: list[tuple[str, str, bytes]]

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["content-length"]))
        self.received.append((self.path, self.headers["content-type"], body))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test's output quiet."""


@contextlib.contextmanager
def collector() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    """A collector on a free loopback port: its base URL and what it received."""
    received: list[tuple[str, str, bytes]] = []
    handler = type("Recording", (Collector,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_an_otlp_endpoint_gets_the_spans_as_protobuf(data_dir: Path) -> None:
    with collector() as (url, received):
        async with serving(embedded_settings(data_dir, otlp_endpoint=url)) as (_, client):
            assert (await client.get("/healthz")).status_code == 200
        # Leaving the app shut its batch processor down, which sent what it held.
        [(path, content_type, body)] = received
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    request = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = request.resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["service.name"] == "orchid"
    names = [span.name for scope in resource_spans.scope_spans for span in scope.spans]
    assert names == ["GET /healthz"]
