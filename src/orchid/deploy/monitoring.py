"""What the cluster's monitoring (kube-prometheus-stack) takes from deploy/k8s: the shop's rules
as a PrometheusRule, and the dashboards as ConfigMaps a Grafana's sidecar loads (label
`grafana_dashboard`). Both are written from src/orchid/monitoring, as deploy/monitoring is."""

from __future__ import annotations

import json

from orchid.deploy.platform import PART_OF
from orchid.deploy.pods import Manifest


def prometheus_rule() -> Manifest:
    """Every rule group of deploy/monitoring/rules, in one PrometheusRule."""
    from orchid.monitoring.rules import rule_files

    groups = [group for content in rule_files().values() for group in content["groups"]]
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "orchid", "labels": {**PART_OF}},
            "spec": {"groups": groups}}


def dashboard_maps() -> list[Manifest]:
    """One ConfigMap per dashboard."""
    from orchid.monitoring.dashboards import all_dashboards

    return [{"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": f"orchid-dashboard-{name}",
                          "labels": {**PART_OF, "grafana_dashboard": "1"}},
             "data": {f"{name}.json": json.dumps(dashboard, sort_keys=True)}}
            for name, dashboard in sorted(all_dashboards().items())]


def monitoring_objects() -> list[Manifest]:
    """The rules, then the dashboards."""
    return [prometheus_rule(), *dashboard_maps()]
