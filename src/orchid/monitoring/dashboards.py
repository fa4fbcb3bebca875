"""Grafana dashboards as code: the shop's overview, one RED dashboard per service, and the
business (orders, GMV, conversion, payment mix); the stores' and the edge's are in
dashboard_stores.py. `orchid monitoring generate` writes each to
deploy/monitoring/dashboards/<name>.json (monitoring/tree.py).

Every query reads a metric the app, the stores' probe, the stack supervisor or the recording
rules export (tests/unit/test_dashboards.py holds them to it), on the Prometheus the dashboard's
`datasource` variable picks.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from orchid.kit.placement import INTERNAL_PREFIX
from orchid.monitoring import dashboard_stores
from orchid.monitoring.dashboard_panels import (
    RANGE,
    RATE,
    Panel,
    Row,
    board,
    pie,
    promql_string,
    query,
    route_regex,
    series,
    single,
    steps,
)
from orchid.monitoring.rules import BUDGET_LEFT
from orchid.monitoring.slos import JOURNEYS, Journey, recorded
from orchid.services.payments.schemas import CodMethod
from orchid.services.registry import SERVICE_NAMES, public_path_prefixes, specs

REQUESTS = "orchid_http_requests_total"
DURATION = "orchid_http_request_duration_seconds"
JOURNEY_RATE = "journey:orchid_http_requests:rate5m"
JOURNEY_P99 = "journey:orchid_http_request_duration_seconds:p99_5m"
ORDERS = "orchid_orders_placed_total"
ORDER_VALUE = "orchid_order_value_paise_total"
COD: str = get_args(CodMethod.model_fields["type"].annotation)[0]  # "cod"
# Add to cart: the storefront's form and the API; a redirect (303) or 2xx means it was added.
ADD_TO_CART = 'method="POST",route=~"/cart/add|/api/v1/cart/items",status=~"[23].."'
BUDGET_STEPS = steps((None, "red"), (0, "orange"), (0.25, "green"))


def journey_row(journey: Journey) -> Row:
    """Traffic, errors, p99 latency and SLO budget left of one journey (recorded series)."""
    name, at = journey.name, f'journey="{journey.name}"'
    limit_ms = int(journey.latency_seconds * 1000)
    return (f"Journey: {name}", [
        series(f"{name}: requests per second", f"Answers of the {name} journey's routes.",
               query(f"{JOURNEY_RATE}{{{at}}}", name), unit="reqps", width=6),
        series(f"{name}: errors (bad-event share)",
               "availability: server errors (5xx) over all answers; success (checkout only): "
               "checkouts failed on our side over all attempts. Over 5 minutes.",
               query(f'{recorded("5m")}{{{at},slo!="latency"}}', "{{slo}}"),
               unit="percentunit", width=6),
        series(f"{name}: p99 latency", f"99th percentile over 5 minutes; the dashed line is the "
               f"latency SLO's limit ({limit_ms} ms).", query(f"{JOURNEY_P99}{{{at}}}", "p99"),
               unit="s", width=6, limit=journey.latency_seconds),
        single(f"{name}: error budget left", "Share of the 30-day error budget left, per SLO; "
               "below 0 the objective is missed.", query(f"{BUDGET_LEFT}{{{at}}}", "{{slo}}"),
               unit="percentunit", thresholds=BUDGET_STEPS),
    ])


def overview() -> dict[str, Any]:
    """Traffic, errors, latency and SLO budget left per journey, and the stack's processes."""
    shop: Row = ("Shop", [
        series("Requests per second by journey", "Every journey's answers (recorded, 5 min).",
               query(JOURNEY_RATE, "{{journey}}"), unit="reqps", width=12, stacked=True),
        single("Error budget left, every SLO", "Share of each SLO's 30-day error budget left.",
               query(BUDGET_LEFT, "{{journey}} {{slo}}"), unit="percentunit", width=12,
               thresholds=BUDGET_STEPS),
    ])
    processes: Row = ("Processes (one-machine stack)", [
        series("Processes up", "1 while the stack supervisor's process runs.",
               query("orchid_stack_up", "{{name}}"), width=6),
        series("Restarts in the past hour", "Restarts by the supervisor.",
               query("increase(orchid_stack_restarts_total[1h])", "{{name}}"), width=6),
        series("CPU", "CPU seconds per second of each process tree.",
               query(f"rate(orchid_stack_cpu_seconds_total[{RATE}])", "{{name}}"), width=6),
        series("Resident memory", "RSS of each process.",
               query("orchid_stack_rss_bytes", "{{name}}"), unit="bytes", width=6),
    ])
    events: Row = ("Events", [
        series("Outbox backlog", "Events written and not yet published, per database "
               "(several processes may report the same outbox: the largest is shown).",
               query("max by (database) (orchid_outbox_pending)", "{{database}}"), width=6),
        series("Outbox lag", "Age of the oldest unpublished event; OutboxLagging past 60 s.",
               query("max by (database) (orchid_outbox_lag_seconds)", "{{database}}"),
               unit="s", width=6),
        series("Events published", "Events the relays published, by type.",
               query(f"sum by (type) (rate(orchid_events_published_total[{RATE}]))",
                     "{{type}}"), unit="ops", width=6, stacked=True),
        series("Dead letters", "Events a subscription gave up on (EventsDeadLettered).",
               query("sum by (subscription) (increase(orchid_events_dead_lettered_total[1h]))",
                     "{{subscription}}"), width=6),
    ])
    return board("orchid-overview", "Orchid overview",
                 "Traffic, errors, latency and SLO budget left of every shopper journey.",
                 [shop, *(journey_row(journey) for journey in JOURNEYS), events, processes])


def service_routes(name: str) -> str:
    """The `route` regex of a service: its public path prefixes (as the edge routes them), any
    route of its router they leave out (the home page), and its internal routes."""
    prefixes = [prefix for prefix, owner in public_path_prefixes().items() if owner == name]
    covered = route_regex(prefixes)
    exact = sorted({path for route in specs()[name].router.routes
                    if (path := getattr(route, "path", "")) and not re.fullmatch(covered, path)})
    return route_regex([*prefixes, f"{INTERNAL_PREFIX}/{name}/"], exact)


def service(name: str) -> dict[str, Any]:
    """Rate, errors and duration of one service's routes, and the calls it serves remotely."""
    sel = f'route=~"{promql_string(service_routes(name))}"'
    bucket = f"rate({DURATION}_bucket{{{sel}}}[{RATE}])"
    red: list[Panel] = [
        series(f"{name}: requests per second by route", "Answers of the service's routes.",
               query(f"sum by (route) (rate({REQUESTS}{{{sel}}}[{RATE}]))", "{{route}}"),
               unit="reqps", stacked=True),
        series(f"{name}: server errors (5xx share)", "5xx answers over all answers.",
               query(f'(sum(rate({REQUESTS}{{{sel},status=~"5.."}}[{RATE}])) or vector(0)) / '
                     f"sum(rate({REQUESTS}{{{sel}}}[{RATE}]))", "5xx"), unit="percentunit"),
        series(f"{name}: answers by status", "Every status code, 4xx included (the client's).",
               query(f"sum by (status) (rate({REQUESTS}{{{sel}}}[{RATE}]))", "{{status}}"),
               unit="reqps", stacked=True),
        series(f"{name}: duration p50 and p99", "Over all the service's routes.",
               query(f"histogram_quantile(0.5, sum by (le) ({bucket}))", "p50"),
               query(f"histogram_quantile(0.99, sum by (le) ({bucket}))", "p99"), unit="s"),
        series(f"{name}: p99 by route", "The slowest routes first to look at.",
               query(f"histogram_quantile(0.99, sum by (le, route) ({bucket}))", "{{route}}"),
               unit="s"),
        series(f"{name}: calls from other processes by outcome",
               f"Calls other services made to {name} over HTTP when it runs in another "
               "process, by outcome (ok, error, circuit_open, http_<status>). The counter names "
               "the callee only: the calls this service makes are on its peers' dashboards.",
               query(f'sum by (outcome) (rate(orchid_remote_calls_total{{service="{name}"}}'
                     f"[{RATE}]))", "{{outcome}}"), unit="reqps", stacked=True),
    ]
    return board(f"orchid-service-{name}", f"Orchid service: {name}",
                 f"RED of the {name} service: rate, errors (5xx share), duration (p50/p99) of "
                 "its routes, and the calls it serves to other processes.",
                 [("Rate, errors, duration", red[:5]), ("Remote calls", red[5:])])


def business() -> dict[str, Any]:
    """Orders per minute, GMV, conversion, payment mix and COD share."""
    orders = f"sum(increase({ORDERS}[{RANGE}]))"
    value = f"sum(increase({ORDER_VALUE}[{RANGE}]))"
    carts = f"sum(increase({REQUESTS}{{{ADD_TO_CART}}}[{RANGE}]))"
    cod = f'(sum(increase({ORDERS}{{payment_method="{COD}"}}[{RANGE}])) or vector(0))'
    totals: Row = ("In the range", [
        single("Orders", "Orders placed in the dashboard's time range.", query(orders),
               width=4),
        single("GMV", "Total of the orders placed in the range, in rupees (paise / 100).",
               query(f"{value} / 100"), unit="currencyINR", width=4),
        single("Average order value", "GMV over orders in the range, in rupees.",
               query(f"{value} / {orders} / 100"), unit="currencyINR", width=4),
        single("Conversion", "Orders placed over add-to-cart requests in the range: POST "
               "/cart/add (the storefront's form) and POST /api/v1/cart/items (the API) that "
               "succeeded (2xx or a redirect). A proxy: a shopper adding three items counts "
               "three times.", query(f"{orders} / {carts}"), unit="percentunit", width=4),
        single("COD share", f"Cash-on-delivery orders ({COD}) over all orders in the range.",
               query(f"{cod} / {orders}"), unit="percentunit", width=4),
        pie("Payment mix", "Orders in the range by payment method.",
            query(f"sum by (payment_method) (increase({ORDERS}[{RANGE}]))",
                  "{{payment_method}}"), width=4),
    ])
    trends: Row = ("Over time", [
        series("Orders per minute", "By payment method.",
               query(f"sum by (payment_method) (rate({ORDERS}[{RATE}])) * 60",
                     "{{payment_method}}"), stacked=True),
        series("GMV per hour", "Rupees per hour at the current rate, by payment method.",
               query(f"sum by (payment_method) (rate({ORDER_VALUE}[{RATE}])) * 3600 / 100",
                     "{{payment_method}}"), unit="currencyINR", stacked=True),
        series("Checkout attempts per minute by outcome",
               "placed; refused (the shopper's cause: empty cart, declined payment, sold "
               "out); failed (ours: an error or an unavailable peer).",
               query(f"sum by (outcome) (rate(orchid_checkout_attempts_total[{RATE}])) * 60",
                     "{{outcome}}"), stacked=True),
        series("Conversion over the last hour", "Orders over successful add-to-cart requests "
               "(POST /cart/add and POST /api/v1/cart/items), each over the past hour.",
               query(f"sum(increase({ORDERS}[1h])) / "
                     f"sum(increase({REQUESTS}{{{ADD_TO_CART}}}[1h]))", "conversion"),
               unit="percentunit"),
    ])
    return board("orchid-business", "Orchid business",
                 "Orders, GMV, conversion, payment mix and cash-on-delivery share.",
                 [totals, trends])


def all_dashboards() -> dict[str, dict[str, Any]]:
    """Every dashboard by file stem (deploy/monitoring/dashboards/<stem>.json)."""
    found = {"overview": overview(), "business": business()}
    found.update({f"service-{name}": service(name) for name in SERVICE_NAMES})
    found.update(dashboard_stores.all_stores())
    return found


def panel_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """Each query of a dashboard as (panel title, PromQL), rows' folded panels included."""
    found: list[tuple[str, str]] = []
    for panel in dashboard.get("panels", []):
        for inner in [panel, *panel.get("panels", [])]:
            found += [(inner.get("title", ""), target["expr"])
                      for target in inner.get("targets", []) if "expr" in target]
    return found
