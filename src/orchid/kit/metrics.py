"""Prometheus metrics of every Orchid process (one registry per process, as Prometheus expects)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "orchid_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
HTTP_DURATION = Histogram(
    "orchid_http_request_duration_seconds", "HTTP request duration", ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
DB_SESSIONS = Counter(
    "orchid_db_sessions_total", "Database sessions by the node that served them",
    ["database", "node", "role"])
DB_NODE_SKIPPED = Counter(
    "orchid_db_replica_skipped_total", "Reads that skipped a replica",
    ["database", "node", "reason"])
CACHE_REQUESTS = Counter(
    "orchid_cache_requests_total", "Cache lookups by result (hit, miss, error, bypass)",
    ["cache", "result"])
REMOTE_CALLS = Counter(
    "orchid_remote_calls_total", "Calls to services in other processes", ["service", "outcome"])
