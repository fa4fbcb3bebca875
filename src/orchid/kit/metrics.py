"""Prometheus metrics of every Orchid process (one registry per process, as Prometheus expects)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "orchid_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
HTTP_DURATION = Histogram(
    "orchid_http_request_duration_seconds", "HTTP request duration", ["method", "route"],
    # 0.3 and 1: the latency SLOs' limits (browse/search/cart, checkout) must be bucket edges.
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 1, 2.5, 5))
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
CHECKOUT_ATTEMPTS = Counter(
    "orchid_checkout_attempts_total",
    "Checkout attempts by outcome: placed, refused (the shopper's cause: empty cart, declined "
    "payment, sold out) or failed (ours: an error or an unavailable peer)", ["outcome"])
ORDERS_PLACED = Counter(
    "orchid_orders_placed_total", "Orders placed (once per order)", ["payment_method"])
ORDER_VALUE = Counter(
    "orchid_order_value_paise_total", "Total of the orders placed, in paise", ["payment_method"])
OUTBOX_PENDING = Gauge(
    "orchid_outbox_pending", "Outbox rows not yet published", ["database"])
OUTBOX_LAG = Gauge(
    "orchid_outbox_lag_seconds", "Age of the oldest unpublished outbox row (0 when none)",
    ["database"])
EVENTS_PUBLISHED = Counter(
    "orchid_events_published_total", "Events the relay published", ["database", "type"])
FUNCTION_EVENTS = Counter(
    "orchid_function_events_total", "Events delivered to a function, by outcome",
    ["function", "outcome"])
# From the event's occurred_at (stamped in the writer's transaction, just before its commit)
# to the function's handler returning: the commit-to-effect latency of the whole path.
FUNCTION_EVENT_LAG = Histogram(
    "orchid_function_event_lag_seconds", "From an event's commit to its function's effect",
    ["function"], buckets=(0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0,
                           5.0, 10.0, 30.0, 60.0))
EVENTS_DEAD_LETTERED = Counter(
    "orchid_events_dead_lettered_total",
    "Events a subscription gave up on after its attempts", ["subscription"])
