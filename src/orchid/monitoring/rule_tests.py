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


Phases = list[tuple[int, float]]  # (minutes, bad events as a multiple of the SLO's budget)


def _counter(steps: list[tuple[int, float]]) -> str:
    """promtool's values for a counter growing by each (samples, step) in turn, never going back."""
    parts, value = [], 0.0
    for i, (samples, step) in enumerate(steps):
        if i == 0:
            parts.append(f"0+{step:g}x{samples}")
            value = step * samples
        else:
            parts.append(f"{value + step:g}+{step:g}x{samples - 1}")
            value += step * samples
    return " ".join(parts)


def series(slo: Slo, phases: Phases, every: int) -> list[dict[str, str]]:
    """Counters of all and of bad events through `phases`, a sample `every` minutes."""
    route = next(j.example for j in JOURNEYS if j.name == slo.journey)
    total = PER_MINUTE * every
    bad = [(minutes // every, round(total * times * slo.budget, 3)) for minutes, times in phases]
    good = [(samples, total - step) for samples, step in bad]
    everything = [(samples, float(total)) for samples, _ in bad]

    def counter(name: str, labels: str, steps: list[tuple[int, float]]) -> dict[str, str]:
        return {"series": f"{name}{{{labels}}}", "values": _counter(steps)}

    at = f'method="GET",route="{route}"'
    if slo.kind == "availability":
        return [counter(METRIC_REQUESTS, f'{at},status="200"', good),
                counter(METRIC_REQUESTS, f'{at},status="500"', bad)]
    if slo.kind == "latency":
        edge = bucket_edge(next(j.latency_seconds for j in JOURNEYS if j.name == slo.journey))
        return [counter(f"{METRIC_DURATION}_count", at, everything),
                counter(f"{METRIC_DURATION}_bucket", f'{at},le="{edge}"', good)]
    return [counter(METRIC_CHECKOUTS, 'outcome="placed"', good),
            counter(METRIC_CHECKOUTS, 'outcome="failed"', bad)]


def expected(alert: Alert) -> dict[str, Any]:
    """A firing alert as promtool reports it."""
    rule = alert.rule()
    return {"exp_labels": dict(rule["labels"]),  # type: ignore[call-overload]
            "exp_annotations": dict(rule["annotations"])}  # type: ignore[call-overload]


def case(phases: Phases, at: str, firing: set[str], *, every: int = 1) -> dict[str, Any]:
    """One scenario for every SLO at once (their series never share a name and labels), each
    through the same `phases`; which of their alerts fire at `at`. One scenario, not one per
    SLO: promtool evaluates every rule of the file in each."""
    return {"interval": f"{every}m",
            "input_series": [s for slo in SLOS for s in series(slo, phases, every)],
            "alert_rule_test": [{"eval_time": at, "alertname": alert.name,
                                 "exp_alerts": [expected(alert)] if alert.name in firing
                                 else []}
                                for slo in SLOS for alert in burn_alerts(slo)]}


def fast_tests() -> dict[str, Any]:
    """Each page's window pairs alone. Six healthy hours, then 20× the budget for 55 minutes:
    the 1 h and 5 m windows burn over 14.4×, the 6 h one under 6× — the first pair pages, the
    ticket still waits out its hour. 8× for seven hours: the 6 h and 30 m windows burn over 6×,
    the 1 h one under 14.4× — the second pair pages, and the ticket is due."""
    pages = {burn_alerts(slo)[0].name for slo in SLOS}
    tickets = {burn_alerts(slo)[1].name for slo in SLOS}
    # Evaluated every 5 minutes (every minute takes promtool 4× longer): a page's minute of
    # `for` then lasts one evaluation.
    return {"rule_files": [RULES], "evaluation_interval": "5m",
            "tests": [case([(360, 0), (55, 20)], "415m", pages),
                      case([(420, 8)], "420m", pages | tickets)]}


def slow_tests() -> dict[str, Any]:
    """Over three days: 2× the budget files the tickets only; half the budget stays silent."""
    tickets = {burn_alerts(slo)[1].name for slo in SLOS}
    at = f"{SLOW_MINUTES}m"
    # Three days evaluated every minute take promtool minutes; hourly is enough
    # for alerts that wait an hour.
    return {"rule_files": [RULES], "evaluation_interval": "1h",
            "tests": [case([(SLOW_MINUTES, 2)], at, tickets, every=2),
                      case([(SLOW_MINUTES, 0.5)], at, set(), every=2)]}
