"""The namespace's own objects, the same in every environment: default-deny policies and the
few flows every pod needs, and Prometheus's pod monitor; apart from them, the access objects —
the namespace itself and who may do what in it — which cluster admins apply, never the
deployers (a deployer that could write Roles could widen its own)."""

from __future__ import annotations

from orchid.deploy.environments import (
    GOOGLE_PRIVATE_APIS,
    MONITORING_NAMESPACE,
    OTEL_COLLECTOR,
    OTLP_HTTP_PORT,
)
from orchid.deploy.pods import Manifest

PART_OF = {"app.kubernetes.io/part-of": "orchid"}
NAMESPACE = "orchid"
DEPLOYERS = "orchid-deployers@orchid.example"  # Google Groups for RBAC
READERS = "orchid-readers@orchid.example"
# What a deploy applies (deploy/k8s/overlays) — never Secrets (Secret Manager holds them), never
# exec, never RBAC (deploy/k8s/access, the cluster admins').
APPLIED = {
    "": ["configmaps", "services", "serviceaccounts"],
    "apps": ["deployments"],
    "batch": ["jobs", "cronjobs"],
    "autoscaling": ["horizontalpodautoscalers"],
    "policy": ["poddisruptionbudgets"],
    "networking.k8s.io": ["networkpolicies", "ingresses"],
    "cloud.google.com": ["backendconfigs"],
    "networking.gke.io": ["frontendconfigs", "managedcertificates"],
    "secrets-store.csi.x-k8s.io": ["secretproviderclasses"],
    "monitoring.coreos.com": ["podmonitors", "prometheusrules"],
}
READ = ["get", "list", "watch"]


def namespace_objects() -> list[Manifest]:
    """Every namespace-wide object the deployers apply, in apply order."""
    return [*policies(), *pod_monitors()]


def namespace() -> Manifest:
    """The namespace, held to the Pod Security Standards' restricted profile."""
    enforce = {f"pod-security.kubernetes.io/{mode}": "restricted"
               for mode in ("enforce", "audit", "warn")}
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": NAMESPACE, "labels": {**enforce, **PART_OF}}}


def _policy(name: str, spec: Manifest) -> Manifest:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "labels": {**PART_OF}}, "spec": spec}


def policies() -> list[Manifest]:
    """Deny everything not allowed; allow DNS, the metadata server and Google's APIs."""
    everyone = {"matchLabels": {**PART_OF}}
    return [
        _policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _policy("dns", {"podSelector": everyone, "policyTypes": ["Egress"], "egress": [{
            "to": [{"namespaceSelector": {"matchLabels": {
                        "kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}},
                   {"ipBlock": {"cidr": "169.254.20.10/32"}}],  # NodeLocal DNSCache
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}),
        # Workload Identity tokens come from the GKE metadata server.
        _policy("metadata-server", {"podSelector": everyone, "policyTypes": ["Egress"],
                                    "egress": [{"to": [{"ipBlock": {"cidr": "169.254.169.252/32"}},
                                                       {"ipBlock": {"cidr": "169.254.169.254/32"}}],
                                                "ports": [{"protocol": "TCP", "port": 988},
                                                          {"protocol": "TCP", "port": 80}]}]}),
        # Cloud SQL Admin (the proxy), Secret Manager, Pub/Sub: private Google access only.
        _policy("google-apis", {"podSelector": everyone, "policyTypes": ["Egress"],
                                "egress": [{"to": [{"ipBlock": {"cidr": GOOGLE_PRIVATE_APIS}}],
                                            "ports": [{"protocol": "TCP", "port": 443}]}]}),
        # Every process sends its spans to the OpenTelemetry Collector (ORCHID_OTLP_ENDPOINT).
        _policy("traces", {"podSelector": everyone, "policyTypes": ["Egress"], "egress": [{
            "to": [{"namespaceSelector": {"matchLabels": {
                        "kubernetes.io/metadata.name": MONITORING_NAMESPACE}},
                    "podSelector": {"matchLabels": {
                        "app.kubernetes.io/instance": OTEL_COLLECTOR}}}],
            "ports": [{"protocol": "TCP", "port": OTLP_HTTP_PORT}]}]}),
    ]


def _role(name: str, rules: list[Manifest], group: str) -> list[Manifest]:
    meta = {"name": name, "labels": {**PART_OF}}
    return [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
             "rules": rules},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": meta,
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
             "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                           "name": group}]}]


def roles() -> list[Manifest]:
    """The deployers apply what deploy/k8s holds; the readers look, and read pods' logs."""
    deploy = [{"apiGroups": [api], "resources": kinds,
               "verbs": [*READ, "create", "update", "patch", "delete"]}
              for api, kinds in APPLIED.items()]
    deploy.append({"apiGroups": [""], "resources": ["pods", "events"], "verbs": READ})
    read = [{"apiGroups": [api], "resources": kinds, "verbs": READ}
            for api, kinds in APPLIED.items()]
    read.append({"apiGroups": [""], "resources": ["pods", "pods/log", "events", "endpoints"],
                 "verbs": READ})
    return [*_role("orchid-deployer", deploy, DEPLOYERS), *_role("orchid-reader", read, READERS)]


def pod_monitors() -> list[Manifest]:
    """Prometheus (kube-prometheus-stack) scrapes every serving Orchid pod's /metrics as job
    `orchid-app`, the stores' probe as `orchid-probe` and the events relay as `orchid-relay` —
    the job names the rules use on one machine (the operator would otherwise name them
    `<namespace>/<PodMonitor>`). The stack's `orchid-functions` has no pods here: the functions
    are Cloud Functions."""
    return [_pod_monitor("orchid", "service", "orchid-app", "15s"),
            _pod_monitor("orchid-probe", "probe", "orchid-probe", "30s"),
            _pod_monitor("orchid-relay", "relay", "orchid-relay", "15s")]


def _pod_monitor(name: str, component: str, job: str, interval: str) -> Manifest:
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
            "metadata": {"name": name, "labels": {**PART_OF}},
            "spec": {"selector": {"matchLabels": {**PART_OF,
                                                  "app.kubernetes.io/component": component}},
                     "podMetricsEndpoints": [{
                         "port": "http", "path": "/metrics", "interval": interval,
                         "relabelings": [{"action": "replace", "targetLabel": "job",
                                          "replacement": job}]}]}}
