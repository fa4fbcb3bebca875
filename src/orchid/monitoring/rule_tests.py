"""promtool unit tests of the SLO alerts, written from the SLOs: for each, traffic that burns its
budget fast (the page fires), slowly (only the ticket fires) and not at all (both stay silent).

promtool evaluates the rules itself over the series given, so these are tests of the PromQL,
not of this file. The cause alerts' tests are written by hand beside them (causes.test.yml).
"""

from __future__ import annotations

from typing import Any

from orchid.monitoring.alerts import Alert, burn_alerts
from orchid.monitoring.slos import (
    JOURNEYS,
    METRIC_CHECKOUTS,
    METRIC_DURATION,
    METRIC_REQUESTS,
    SLOS,
    Slo,
    bucket_edge,
)

PER_MINUTE = 1000  # events a minute in every scenario
RULES = "../rules/slos.rules.yml"
SLOW_MINUTES = 3 * 24 * 60 + 90  # past the 3-day window and the ticket's hour of `for`


def series(slo: Slo, bad_share: float, minutes: int, every: int) -> list[dict[str, str]]:
    """A counter of good and of bad events at `bad_share`, a sample `every` minutes."""
    bad = round(PER_MINUTE * every * bad_share, 3)
    good = PER_MINUTE * every - bad
    route = next(j.example for j in JOURNEYS if j.name == slo.journey)

    def counter(name: str, labels: str, step: float) -> dict[str, str]:
        return {"series": f"{name}{{{labels}}}", "values": f"0+{step:g}x{minutes // every}"}

    at = f'method="GET",route="{route}"'
    if slo.kind == "availability":
        return [counter(METRIC_REQUESTS, f'{at},status="200"', good),
                counter(METRIC_REQUESTS, f'{at},status="500"', bad)]
    if slo.kind == "latency":
        edge = bucket_edge(next(j.latency_seconds for j in JOURNEYS if j.name == slo.journey))
        return [counter(f"{METRIC_DURATION}_count", at, PER_MINUTE * every),
                counter(f"{METRIC_DURATION}_bucket", f'{at},le="{edge}"', good)]
    return [counter(METRIC_CHECKOUTS, 'outcome="placed"', good),
            counter(METRIC_CHECKOUTS, 'outcome="failed"', bad)]


def expected(alert: Alert) -> dict[str, Any]:
    """A firing alert as promtool reports it."""
    rule = alert.rule()
    return {"exp_labels": dict(rule["labels"]),  # type: ignore[call-overload]
            "exp_annotations": dict(rule["annotations"])}  # type: ignore[call-overload]


def case(slo: Slo, bad_share: float, minutes: int, at: str, firing: list[Alert], *,
         every: int = 1) -> dict[str, Any]:
    """One scenario: the series, and which of the SLO's alerts fire at `at`."""
    return {"interval": f"{every}m", "input_series": series(slo, bad_share, minutes, every),
            "alert_rule_test": [{"eval_time": at, "alertname": alert.name,
                                 "exp_alerts": [expected(alert)] if alert in firing else []}
                                for alert in burn_alerts(slo)]}


def fast_tests() -> dict[str, Any]:
    """20× the budget for half an hour: the page fires, the ticket still waits out its hour."""
    tests = []
    for slo in SLOS:
        page, _ = burn_alerts(slo)
        tests.append(case(slo, 20 * slo.budget, 40, "30m", [page]))
    return {"rule_files": [RULES], "evaluation_interval": "1m", "tests": tests}


def slow_tests() -> dict[str, Any]:
    """Over three days: 2× the budget files a ticket only; half the budget stays silent."""
    tests = []
    at = f"{SLOW_MINUTES}m"
    for slo in SLOS:
        _, ticket = burn_alerts(slo)
        tests.append(case(slo, 2 * slo.budget, SLOW_MINUTES, at, [ticket], every=2))
        tests.append(case(slo, 0.5 * slo.budget, SLOW_MINUTES, at, [], every=2))
    # Three days evaluated every minute take promtool minutes; hourly is enough
    # for alerts that wait an hour.
    return {"rule_files": [RULES], "evaluation_interval": "1h", "tests": tests}
