"""The stores' probe on the cluster: `orchid monitoring probe --cloud-sql` in one pod of the app's
image, reading Cloud SQL through Google's APIs as its own Google identity and Memorystore and
Elasticsearch by the URLs in its secrets; Prometheus scrapes it through its own PodMonitor, as
job `orchid-probe` (the StoreProbeDown alert's).

One replica and no autoscaler: its work is a fixed set of readings every 30 s, whatever the
shop's traffic, and a second pod would export every reading twice. Its budget lets a drain take
it; a probe gone longer than five minutes pages through StoreProbeDown.
"""

from __future__ import annotations

from orchid.deploy.environments import MONITORING_NAMESPACE
from orchid.deploy.groups import service_account
from orchid.deploy.pods import Manifest, app_container, labels, pod_spec, selector
from orchid.deploy.workloads import PORT, PROBE

NAME = PROBE
COMPONENT = "probe"
CLOUD_SQL_PATH = "/etc/orchid/cloud-sql"  # the overlay's cloud-sql ConfigMap, as files
INTERVAL_SECONDS = 30  # Cloud Monitoring's own samples are a minute apart


def probe_objects() -> list[Manifest]:
    """Its identity, Deployment, disruption budget and network policy."""
    return [service_account(NAME), deployment(), budget(), network_policy()]


def deployment() -> Manifest:
    container = app_container(
        args=["monitoring", "probe", "--host", "0.0.0.0", "--port", str(PORT),
              "--cloud-sql", CLOUD_SQL_PATH, "--interval", str(INTERVAL_SECONDS)],
        env=[], cpu="50m", cpu_limit="500m", memory="192Mi", serving=False)
    container["ports"] = [{"name": "http", "containerPort": PORT, "protocol": "TCP"}]
    # Its /metrics answers from the latest readings and never waits on a store: alive is
    # answering; a store it cannot read is a reading (down), not a reason to restart it.
    check = {"httpGet": {"path": "/metrics", "port": "http"}, "timeoutSeconds": 2}
    container["startupProbe"] = {**check, "periodSeconds": 2, "failureThreshold": 30}
    container["livenessProbe"] = {**check, "periodSeconds": 20, "failureThreshold": 3}
    # A rollout keeps the old pod until the new one answers (maxUnavailable 0).
    container["readinessProbe"] = {**check, "periodSeconds": 10, "failureThreshold": 2}
    container["volumeMounts"].append({"name": "cloud-sql", "mountPath": CLOUD_SQL_PATH,
                                      "readOnly": True})
    spec = pod_spec(NAME, containers=[container], stores=frozenset(), zones_spread=False)
    spec["volumes"].append({"name": "cloud-sql", "configMap": {"name": "cloud-sql"}})
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": NAME, "labels": labels(NAME, COMPONENT)},
        "spec": {
            "replicas": 1,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector(NAME)},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": labels(NAME, COMPONENT)}, "spec": spec},
        },
    }


def budget() -> Manifest:
    """A drain may take the single pod (it is rescheduled at once)."""
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": NAME, "labels": labels(NAME, COMPONENT)},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(NAME)},
                     "unhealthyPodEvictionPolicy": "AlwaysAllow"}}


def network_policy() -> Manifest:
    """Only Prometheus reaches it; it reaches no pod (its stores are the overlays' egress)."""
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": NAME, "labels": labels(NAME, COMPONENT)},
        "spec": {"podSelector": {"matchLabels": selector(NAME)},
                 "policyTypes": ["Ingress", "Egress"],
                 "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                     "kubernetes.io/metadata.name": MONITORING_NAMESPACE}}}],
                              "ports": [{"protocol": "TCP", "port": PORT}]}],
                 "egress": []},
    }
