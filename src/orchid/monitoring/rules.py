"""Prometheus's rule groups: the SLOs' recorded ratios, the dashboards' recorded rates, and every
alert — written to deploy/monitoring/rules/orchid.rules.yml and, wrapped in a PrometheusRule,
into the cluster's monitoring (kube-prometheus-stack reads it)."""

from __future__ import annotations

from typing import Any

from orchid.monitoring.alerts import CAUSE_ALERTS, burn_alerts
from orchid.monitoring.slos import (
    BUDGET_PERIOD,
    JOURNEYS,
    METRIC_DURATION,
    METRIC_REQUESTS,
    SLOS,
    WINDOWS,
    Slo,
    recorded,
)

BUDGET_LEFT = "orchid_slo:error_budget_remaining:ratio"


def slo_group(slo: Slo) -> dict[str, Any]:
    """An SLO's bad-event ratio over every window its alerts read, its budget left, then its
    alerts: one group, because a group's rules run in order, so the alerts always read this
    evaluation's ratios (groups run concurrently, and a ratio a group behind can be stale)."""
    labels = {"journey": slo.journey, "slo": slo.kind}
    rules: list[dict[str, Any]] = [
        {"record": recorded(window), "expr": slo.ratio(window), "labels": labels}
        for window in WINDOWS]
    rules.append({"record": BUDGET_LEFT,
                  "expr": f"1 - ({slo.ratio(BUDGET_PERIOD)}) / {slo.budget}",
                  "labels": {**labels, "objective": str(slo.objective)}})
    rules += [alert.rule() for alert in burn_alerts(slo)]
    return {"name": f"orchid-slo-{slo.journey}-{slo.kind}", "rules": rules}


def journey_recordings() -> list[dict[str, Any]]:
    """Traffic and p99 latency per journey, for the overview dashboard."""
    rules: list[dict[str, Any]] = []
    for journey in JOURNEYS:
        sel = journey.selector
        labels = {"journey": journey.name}
        rules.append({"record": "journey:orchid_http_requests:rate5m",
                      "expr": f"sum(rate({METRIC_REQUESTS}{{{sel}}}[5m]))", "labels": labels})
        rules.append({"record": "journey:orchid_http_request_duration_seconds:p99_5m",
                      "expr": f"histogram_quantile(0.99, sum by (le) "
                              f"(rate({METRIC_DURATION}_bucket{{{sel}}}[5m])))",
                      "labels": labels})
    return rules


def rule_files() -> dict[str, dict[str, Any]]:
    """The rules files by name: the SLOs' (long windows, slow to test) apart from the causes'."""
    return {
        "slos.rules.yml": {"groups": [*(slo_group(slo) for slo in SLOS),
                                      {"name": "orchid-journeys",
                                       "rules": journey_recordings()}]},
        "causes.rules.yml": {"groups": [{"name": "orchid-causes",
                                         "rules": [alert.rule() for alert in CAUSE_ALERTS]}]},
    }
