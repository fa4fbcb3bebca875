"""`orchid traces list|show`: the traces the app processes wrote to their traces folder."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from orchid.config import load_settings
from orchid.ops.traces import SpanLine, TracesMissing, of_trace, read_spans, summarize, tree

STACK_TRACES = Path(".orchid/stack/traces")  # `orchid up`'s default state folder
traces_app = typer.Typer(help="Traces of requests across the app processes (ORCHID_TRACES_DIR).",
                         no_args_is_help=True)

Folder = Annotated[Path | None, typer.Option(
    "--dir", help="Traces folder (default: ORCHID_TRACES_DIR, else .orchid/stack/traces).")]


def folder_of(given: Path | None) -> Path:
    """The folder asked for, the configured one, or the local stack's."""
    return given or load_settings().traces_dir or STACK_TRACES


@traces_app.command("list")
def list_traces(
    folder: Folder = None,
    limit: Annotated[int, typer.Option(min=1, help="How many traces, newest first.")] = 20,
    errors: Annotated[bool, typer.Option("--errors", help="Only traces with an error.")] = False,
) -> None:
    """List recent traces: start, duration, spans, errors and the root span."""
    try:
        summaries = summarize(read_spans(folder_of(folder)))
    except TracesMissing as missing:
        typer.echo(str(missing), err=True)
        raise typer.Exit(2) from None
    if errors:
        summaries = [summary for summary in summaries if summary.errors]
    typer.echo(f"{'TRACE':32}  {'STARTED (UTC)':23}  {'DURATION':>11}  {'SPANS':>5}  "
               f"{'ERRORS':>6}  ROOT")
    for summary in summaries[:limit]:
        started = summary.started.strftime("%Y-%m-%d %H:%M:%S.%f")[:23]
        typer.echo(f"{summary.trace_id:32}  {started:23}  {summary.duration_ms:>8.1f} ms  "
                   f"{summary.span_count:>5}  {summary.errors:>6}  {summary.root.name} "
                   f"[{summary.root.service}]")


@traces_app.command("show")
def show(
    trace_id: Annotated[str, typer.Argument(help="The trace id, or its first characters.")],
    folder: Folder = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the spans as JSON lines.")]
    = False,
) -> None:
    """Print one trace's spans as a tree, across every process's file."""
    try:
        spans = of_trace(read_spans(folder_of(folder), trace_id=trace_id), trace_id)
    except TracesMissing as missing:
        typer.echo(str(missing), err=True)
        raise typer.Exit(2) from None
    ordered = tree(spans)
    if as_json:
        for _, span in ordered:
            typer.echo(json.dumps(asdict(span)))
        return
    summary = summarize(spans)[0]
    typer.echo(f"trace {summary.trace_id}  {summary.span_count} spans  "
               f"{summary.duration_ms:.1f} ms  started {summary.started.isoformat()}  "
               f"services: {', '.join(summary.services)}")
    services = {span.span_id: span.service for span in spans}
    for depth, span in ordered:
        offset = (span.start_ns - summary.start_ns) / 1e6
        # The process is named where the trace enters it, so each hop stands out.
        hop = services.get(span.parent_span_id or "") != span.service
        typer.echo(f"{offset:>9.1f} ms {span.duration_ms:>9.1f} ms  "
                   f"{'   ' * depth}{span.name}  {_details(span, hop)}")


def _details(span: SpanLine, hop: bool) -> str:
    parts = [f"[{span.service}]"] if hop else []
    parts.append(span.kind.lower())
    status = span.attributes.get("http.response.status_code")
    if status is not None:
        parts.append(str(status))
    request_id = span.attributes.get("orchid.request_id")
    if request_id:
        parts.append(f"request {request_id}")
    if span.failed:
        parts.append(f"ERROR {span.status_message or span.attributes.get('error.type', '')}"
                     .rstrip())
    return " ".join(parts)
