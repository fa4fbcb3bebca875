"""The shop's user-facing SLOs, and the SRE Workbook's multi-window, multi-burn-rate policy.

A journey is a set of routes (the `route` label of orchid_http_requests_total: FastAPI's route
templates, the same in every process). Each SLO counts bad events over all events:

    availability   5xx answers                      over all answers of the journey's routes
    latency        answers slower than its limit    over all answers (a histogram bucket edge)
    success        checkouts that failed on our side over all checkout attempts

An SLO's error budget is 1 − objective; burning it 14.4× for an hour spends 2 % of 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass

METRIC_REQUESTS = "orchid_http_requests_total"
METRIC_DURATION = "orchid_http_request_duration_seconds"
METRIC_CHECKOUTS = "orchid_checkout_attempts_total"
WINDOWS = ("5m", "30m", "1h", "6h", "3d")
BUDGET_PERIOD = "30d"


@dataclass(frozen=True)
class Journey:
    """What a shopper does, and the routes that serve it (storefront pages and the API)."""

    name: str
    routes: tuple[str, ...]  # regular expressions over route templates
    latency_seconds: float  # 99 % of answers within this: a bucket edge of METRIC_DURATION
    example: str  # one of its route templates (the rules' tests feed it)

    @property
    def selector(self) -> str:
        return f'route=~"{"|".join(self.routes)}"'


JOURNEYS = (
    Journey("browse", ("/", "/c/\\\\{slug\\\\}", "/p/\\\\{slug\\\\}", "/api/v1/catalog.*"), 0.3,
            "/p/{slug}"),
    Journey("search", ("/search", "/search/suggest", "/api/v1/search.*"), 0.3, "/search"),
    Journey("cart", ("/cart.*", "/api/v1/cart.*"), 0.3, "/api/v1/cart/items"),
    Journey("checkout", ("/checkout", "/api/v1/checkout"), 1.0, "/checkout"),
)


@dataclass(frozen=True)
class Slo:
    """One objective of one journey."""

    journey: str
    kind: str  # availability | latency | success
    objective: float  # the share of good events, e.g. 0.999
    bad: str  # PromQL of bad events' rate over [{w}] (a template on the window)
    total: str  # PromQL of all events' rate over [{w}]
    team: str
    description: str

    @property
    def budget(self) -> float:
        return round(1 - self.objective, 6)

    @property
    def alert_base(self) -> str:
        """The alerts' name stem, e.g. CheckoutLatency."""
        return f"{self.journey.title()}{self.kind.title()}"

    def ratio(self, window: str) -> str:
        """Bad over all events in `window`; no bad series at all counts as none bad."""
        bad = self.bad.replace("{w}", window)
        total = self.total.replace("{w}", window)
        return f"({bad} or vector(0)) / {total}"


def bucket_edge(seconds: float) -> str:
    """How prometheus_client writes a bucket edge (1 → "1.0")."""
    return repr(float(seconds))


def journey_slos(journey: Journey) -> list[Slo]:
    """Availability and latency of one journey."""
    sel = journey.selector
    total = f"sum(rate({METRIC_REQUESTS}{{{sel}}}[{{w}}]))"
    limit_ms = int(journey.latency_seconds * 1000)
    return [
        Slo(journey.name, "availability", 0.999,
            f'sum(rate({METRIC_REQUESTS}{{{sel},status=~"5.."}}[{{w}}]))', total, "platform",
            f"99.9 % of {journey.name} answers are not server errors"),
        Slo(journey.name, "latency", 0.99,
            f"(sum(rate({METRIC_DURATION}_count{{{sel}}}[{{w}}])) - "
            f'sum(rate({METRIC_DURATION}_bucket{{{sel},le="{bucket_edge(journey.latency_seconds)}"}}'
            f"[{{w}}])))",
            f"sum(rate({METRIC_DURATION}_count{{{sel}}}[{{w}}]))", "platform",
            f"99 % of {journey.name} answers within {limit_ms} ms"),
    ]


SLOS: tuple[Slo, ...] = (
    *(slo for journey in JOURNEYS for slo in journey_slos(journey)),
    Slo("checkout", "success", 0.995,
        f'sum(rate({METRIC_CHECKOUTS}{{outcome="failed"}}[{{w}}]))',
        f"sum(rate({METRIC_CHECKOUTS}[{{w}}]))", "commerce",
        "99.5 % of checkout attempts end placed or refused for the shopper's reason, "
        "not failed on ours"),
)


@dataclass(frozen=True)
class BurnRate:
    """Alert when both windows burn faster than `factor` × the budget."""

    long: str
    short: str
    factor: float
    severity: str  # page | ticket


# The SRE Workbook's table 5-8 (2 % of the budget in 1 h, 5 % in 6 h, 10 % in 3 days).
PAGE_FAST = BurnRate("1h", "5m", 14.4, "page")
PAGE_SLOW = BurnRate("6h", "30m", 6.0, "page")
TICKET = BurnRate("3d", "6h", 1.0, "ticket")


def recorded(window: str) -> str:
    """The name of the recorded bad-event ratio over `window`."""
    return f"orchid_slo:bad_events:ratio_rate{window}"


def slo_labels(slo: Slo) -> str:
    return f'journey="{slo.journey}",slo="{slo.kind}"'


def burning(slo: Slo, rate: BurnRate) -> str:
    """Both windows of `rate` over its threshold for `slo`."""
    threshold = f"{rate.factor * slo.budget:.6g}"
    labels = slo_labels(slo)
    return (f"{recorded(rate.long)}{{{labels}}} > {threshold} and "
            f"{recorded(rate.short)}{{{labels}}} > {threshold}")
