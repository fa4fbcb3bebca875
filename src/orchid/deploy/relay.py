"""The events relay on the cluster: `orchid events relay --database all` in pods of the app's
image, publishing both databases' outboxes to Pub/Sub as their own Google identity (publisher on
the topics, Cloud SQL client), reaching the primaries through the Cloud SQL proxy; Prometheus
scrapes it through its own PodMonitor as job `orchid-relay` (EventsRelayDown's, platform.py).

Two pods by default, in two zones: relays share an outbox with SKIP LOCKED, so a second pod is
availability, and the autoscaler adds up to two more when publishing keeps their CPU busy (a
sale's burst of orders). The service pods run no relay of their own (ORCHID_EVENTS_RELAY=false,
groups.py). Nothing calls it: Prometheus alone may reach it, and it reaches only its stores
(overlays.py's egress) and Google's APIs (platform.py).
"""

from __future__ import annotations

from orchid.deploy.environments import MONITORING_NAMESPACE
from orchid.deploy.groups import service_account
from orchid.deploy.overlays import EVENTS_CONFIG
from orchid.deploy.pods import Manifest, app_container, labels, pod_spec, selector
from orchid.deploy.workloads import PORT, RELAY, RELAY_STORES

NAME = RELAY
COMPONENT = "relay"
FLOOR, CEILING = 2, 4
ARGS = ["events", "relay", "--database", "all", "--host", "0.0.0.0", "--port", str(PORT)]


def relay_objects() -> list[Manifest]:
    """Its identity, Deployment, autoscaler, disruption budget and network policy."""
    return [service_account(NAME), deployment(), autoscaler(), budget(), network_policy()]


def deployment() -> Manifest:
    container = app_container(args=ARGS, env=[], cpu="100m", cpu_limit="1", memory="384Mi",
                              serving=False)
    # Its Pub/Sub project: the relay's alone (a service pod given one would open a bus).
    container["envFrom"].append({"configMapRef": {"name": EVENTS_CONFIG}})
    container["ports"] = [{"name": "http", "containerPort": PORT, "protocol": "TCP"}]
    alive = {"httpGet": {"path": "/healthz", "port": "http"}, "timeoutSeconds": 2}
    container["startupProbe"] = {**alive, "periodSeconds": 2, "failureThreshold": 30}
    container["livenessProbe"] = {**alive, "periodSeconds": 10, "failureThreshold": 3}
    # Ready when its databases answer: a rollout keeps the old pods until then.
    container["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": "http"},
                                   "timeoutSeconds": 2, "periodSeconds": 10,
                                   "failureThreshold": 2}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": NAME, "labels": labels(NAME, COMPONENT)},
        "spec": {
            # No `replicas`: the autoscaler owns it, and an apply must not reset it.
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector(NAME)},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": labels(NAME, COMPONENT)},
                "spec": pod_spec(NAME, containers=[container], stores=RELAY_STORES),
            },
        },
    }


def autoscaler() -> Manifest:
    """Two to four pods on CPU: its work is publishing, which costs CPU per event."""
    return {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": NAME, "labels": labels(NAME, COMPONENT)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": NAME},
            "minReplicas": FLOOR, "maxReplicas": CEILING,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": 70}}}],
        },
    }


def budget() -> Manifest:
    """A drain leaves one relay publishing."""
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": NAME, "labels": labels(NAME, COMPONENT)},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": selector(NAME)},
                     "unhealthyPodEvictionPolicy": "AlwaysAllow"}}


def network_policy() -> Manifest:
    """Only Prometheus reaches it; it reaches no pod (its databases are the overlays' egress,
    Pub/Sub the namespace's Google APIs)."""
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
