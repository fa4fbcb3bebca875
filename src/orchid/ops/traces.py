"""Read the spans that app processes append as JSON lines (kit/tracing.py) as whole traces.

    spans = read_spans(Path(".orchid/stack/traces"))      # every process's file, every line
    recent = summarize(spans)[:20]                         # one summary per trace, newest first
    for depth, span in tree(of_trace(spans, "4bf92f")):    # one trace, parents before children
        print("  " * depth, span.name, span.duration_ms)

A trace spans the files of several processes; a span whose parent is in none of them (the
caller was outside, or its process has not written it yet) is shown as a root.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class TracesMissing(RuntimeError):
    """The folder holds no traces file, or no trace matches the id asked for."""


@dataclass(frozen=True)
class SpanLine:
    """One finished span as a process wrote it."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    start_ns: int
    end_ns: int
    status: str = "UNSET"
    status_message: str | None = None
    service: str = "?"
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_ms(self) -> float:
        """How long the span took, in milliseconds."""
        return (self.end_ns - self.start_ns) / 1e6

    @property
    def failed(self) -> bool:
        """True when the span ended in error."""
        return self.status == "ERROR"

    @classmethod
    def parse(cls, line: str) -> SpanLine | None:
        """Return the span of one line, or None for a line that is not one (a cut last line)."""
        try:
            record = json.loads(line)
            return cls(trace_id=record["trace_id"], span_id=record["span_id"],
                       parent_span_id=record.get("parent_span_id"), name=record["name"],
                       kind=record.get("kind", "INTERNAL"),
                       start_ns=int(record["start_time_unix_nano"]),
                       end_ns=int(record["end_time_unix_nano"]),
                       status=record.get("status", "UNSET"),
                       status_message=record.get("status_message"),
                       service=record.get("resource", {}).get("service.name", "?"),
                       attributes=record.get("attributes") or {})
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


@dataclass(frozen=True)
class TraceSummary:
    """One trace at a glance: its first root span, when, how long, how big, whether it failed."""

    trace_id: str
    root: SpanLine
    start_ns: int
    duration_ms: float
    span_count: int
    errors: int
    services: tuple[str, ...]

    @property
    def started(self) -> datetime:
        """When the trace's first span started (UTC)."""
        return datetime.fromtimestamp(self.start_ns / 1e9, UTC)


def read_spans(folder: Path, *, trace_id: str | None = None) -> list[SpanLine]:
    """Return the spans of every traces file in `folder` (those of one trace id prefix only)."""
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not files:
        raise TracesMissing(f"no traces in {folder}: set ORCHID_TRACES_DIR for the app "
                            "processes (`orchid up` does), or give --dir")
    wanted = trace_id.lower() if trace_id else None
    spans = []
    for path in files:
        # A line cut mid-character (a process killed while writing) is skipped, not fatal.
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if wanted is not None and wanted not in line:
                    continue  # cheap: most lines of a big folder are other traces
                span = SpanLine.parse(line)
                if span is not None and (wanted is None or span.trace_id.startswith(wanted)):
                    spans.append(span)
    return spans


def of_trace(spans: Iterable[SpanLine], trace_id: str) -> list[SpanLine]:
    """Return the spans of the one trace whose id starts with `trace_id`."""
    wanted = trace_id.lower()
    by_trace: dict[str, list[SpanLine]] = defaultdict(list)
    for span in spans:
        if span.trace_id.startswith(wanted):
            by_trace[span.trace_id].append(span)
    if not by_trace:
        raise TracesMissing(f"no trace {trace_id}")
    if len(by_trace) > 1:
        raise TracesMissing(f"{trace_id} starts {len(by_trace)} trace ids; give more of it")
    return next(iter(by_trace.values()))


def summarize(spans: Iterable[SpanLine]) -> list[TraceSummary]:
    """Return one summary per trace, the most recently started first."""
    by_trace: dict[str, list[SpanLine]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    summaries = []
    for trace_id, members in by_trace.items():
        roots = _roots(members)
        start = min(span.start_ns for span in members)
        end = max(span.end_ns for span in members)
        summaries.append(TraceSummary(
            trace_id=trace_id, root=roots[0], start_ns=start, duration_ms=(end - start) / 1e6,
            span_count=len(members), errors=sum(span.failed for span in members),
            services=tuple(sorted({span.service for span in members}))))
    return sorted(summaries, key=lambda summary: summary.start_ns, reverse=True)


def tree(spans: Iterable[SpanLine]) -> list[tuple[int, SpanLine]]:
    """Return (depth, span) depth first, each span's children in the order they started."""
    members = list(spans)
    children: dict[str, list[SpanLine]] = defaultdict(list)
    for span in members:
        if span.parent_span_id is not None:
            children[span.parent_span_id].append(span)
    ordered: list[tuple[int, SpanLine]] = []
    stack = [(0, root) for root in reversed(_roots(members))]
    seen: set[str] = set()
    while stack:
        depth, span = stack.pop()
        if span.span_id in seen:  # a file copied twice into the folder
            continue
        seen.add(span.span_id)
        ordered.append((depth, span))
        kids = sorted(children.get(span.span_id, []), key=lambda s: s.start_ns)
        stack.extend((depth + 1, kid) for kid in reversed(kids))
    return ordered


def _roots(members: list[SpanLine]) -> list[SpanLine]:
    ids = {span.span_id for span in members}
    roots = [span for span in members if span.parent_span_id not in ids]
    return sorted(roots or members, key=lambda span: span.start_ns)
