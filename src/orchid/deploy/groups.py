"""The objects of one service group: ServiceAccount, Deployment, Service, PodDisruptionBudget,
HorizontalPodAutoscaler and NetworkPolicy — every group gets all six, generated, never written
by hand (a group without a budget or a policy cannot be forgotten)."""

from __future__ import annotations

from collections.abc import Iterable

from orchid.deploy.environments import GOOGLE_LB_RANGES, MONITORING_NAMESPACE
from orchid.deploy.pods import Manifest, app_container, labels, pod_spec, selector
from orchid.deploy.workloads import PORT, Group, groups, task_callers
from orchid.kit.callers import as_pairs

# Where Prometheus runs (kube-prometheus-stack, deploy/terraform's cluster add-ons).
# The per-pod request rate Prometheus Adapter serves from orchid_http_requests_total.
REQUESTS_METRIC = "orchid_http_requests_per_second"


def peer_urls(group: Group) -> str:
    """ORCHID_PEER_URLS: each service this group calls, at its group's Service."""
    placed = {service: g.name for g in groups() for service in g.services}
    called = {service for g in groups() if g.name in group.calls for service in g.services}
    return as_pairs({s: f"http://{placed[s]}:{PORT}" for s in sorted(called)})


def group_objects(group: Group) -> list[Manifest]:
    """Everything one group runs as, in the order `kubectl apply` wants them."""
    return [service_account(group.name), deployment(group), service(group), budget(group),
            autoscaler(group), network_policy(group)]


def service_account(name: str) -> Manifest:
    """The workload's Kubernetes identity; overlays annotate its Google service account."""
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, "labels": labels(name, "identity")},
            "automountServiceAccountToken": False}


def deployment(group: Group) -> Manifest:
    """The group's pods: `orchid serve` with its services and the peers it calls."""
    env = [{"name": "ORCHID_SERVICES", "value": ",".join(group.services)},
           # The relay Deployment publishes the outboxes and Cloud Functions run the functions
           # (deploy/relay.py, docs/events.md): neither rides in a service's pods.
           {"name": "ORCHID_EVENTS_RELAY", "value": "false"},
           {"name": "ORCHID_FUNCTIONS_IN_PROCESS", "value": "false"}]
    if group.calls:
        env.append({"name": "ORCHID_PEER_URLS", "value": peer_urls(group)})
    if "orders" in group.services:
        # The sweeper runs as a CronJob (one at a time), not inside every orders pod.
        env.append({"name": "ORCHID_SWEEP_INTERVAL_SECONDS", "value": "0"})
    size = group.sizing
    container = app_container(args=["serve"], env=env, cpu=size.cpu, cpu_limit=size.cpu_limit,
                              memory=size.memory, serving=True)
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": group.name, "labels": labels(group.name, "service")},
        "spec": {
            # No `replicas`: the autoscaler owns it, and an apply must not reset it.
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(group.name)},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": labels(group.name, "service")},
                "spec": pod_spec(group.name, containers=[container], stores=group.stores),
            },
        },
    }


def service(group: Group) -> Manifest:
    """The group's Service: a network endpoint group, so the load balancer reaches pods."""
    annotations = {"cloud.google.com/neg": '{"ingress": true}'}
    if group.paths:
        annotations["cloud.google.com/backend-config"] = '{"default": "orchid-shop"}'
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": group.name, "labels": labels(group.name, "service"),
                     "annotations": annotations},
        "spec": {"type": "ClusterIP", "selector": selector(group.name),
                 "ports": [{"name": "http", "port": PORT, "targetPort": "http",
                            "protocol": "TCP"}]},
    }


def budget(group: Group) -> Manifest:
    """At most one pod of the group down at a time for node upgrades and drains."""
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": group.name, "labels": labels(group.name, "service")},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(group.name)},
                     "unhealthyPodEvictionPolicy": "AlwaysAllow"}}


def autoscaler(group: Group) -> Manifest:
    """Scale on CPU, memory and requests per pod; up fast, down slowly (prod's numbers: the
    overlays set each environment's floor and ceiling)."""
    size = group.sizing
    return {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": group.name, "labels": labels(group.name, "service")},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                               "name": group.name},
            "minReplicas": size.floor, "maxReplicas": size.ceiling,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {
                    "type": "Utilization", "averageUtilization": 65}}},
                {"type": "Resource", "resource": {"name": "memory", "target": {
                    "type": "Utilization", "averageUtilization": 80}}},
                {"type": "Pods", "pods": {"metric": {"name": REQUESTS_METRIC}, "target": {
                    "type": "AverageValue", "averageValue": str(size.requests_per_pod)}}},
            ],
            "behavior": {
                # A sale's opening minute: double, or add four pods, every 15 s.
                "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                            "policies": [{"type": "Percent", "value": 100,
                                          "periodSeconds": 15},
                                         {"type": "Pods", "value": 4, "periodSeconds": 15}]},
                # Give back a tenth a minute, after five calm minutes.
                "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Min",
                              "policies": [{"type": "Percent", "value": 10,
                                            "periodSeconds": 60}]},
            },
        },
    }


def network_policy(group: Group) -> Manifest:
    """Who may reach the group (the load balancer for public paths, its callers, Prometheus)
    and whom it may reach among the pods (its peers); data stores are the overlays' egress."""
    http = [{"protocol": "TCP", "port": PORT}]
    sources: list[Manifest] = [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": MONITORING_NAMESPACE}}}]
    sources += [{"podSelector": {"matchLabels": selector(caller)}}
                for caller in group.callers]
    sources += [{"podSelector": {"matchLabels": selector(task)}}
                for task in task_callers(group)]
    ingress = [{"from": sources, "ports": http}]
    if group.paths:
        ingress.append({"from": [{"ipBlock": {"cidr": cidr}} for cidr in GOOGLE_LB_RANGES],
                        "ports": http})
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": group.name, "labels": labels(group.name, "service")},
        "spec": {"podSelector": {"matchLabels": selector(group.name)},
                 "policyTypes": ["Ingress", "Egress"], "ingress": ingress,
                 "egress": network_egress_to_peers(group.calls)},
    }


def network_egress_to_peers(peers: Iterable[str]) -> list[Manifest]:
    """Egress rules to the pods of each peer group, on the app's port."""
    return [{"to": [{"podSelector": {"matchLabels": selector(peer)}}],
             "ports": [{"protocol": "TCP", "port": PORT}]} for peer in peers]
