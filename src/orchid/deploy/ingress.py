"""The way in: GKE Ingresses (each a Google Cloud HTTP(S) load balancer reaching pods through
their network endpoint groups), their certificates, backend and frontend settings.

The shop host routes each public path prefix to the group that answers it — the prefixes come
from the services' routers (registry.public_path_prefixes), like the local edge's. The staff API
has its own host, whose Services carry the `orchid-manage` backend settings: Cloud Armor's
staff-network allowlist instead of the shop's geo, rate and OWASP rules (Terraform's armor
module defines both policies by these names).
"""

from __future__ import annotations

from orchid.deploy.environments import Environment
from orchid.deploy.pods import Manifest, labels, selector
from orchid.deploy.workloads import ADMIN_PREFIXES, PORT, groups
from orchid.edge.plan import Hosts

SHOP, MANAGE = "orchid-shop", "orchid-manage"
TLS_POLICY = "orchid-tls"  # Terraform's SSL policy: TLS 1.2+, the MODERN profile
MANAGE_HOSTS = ("manage-api",)  # the management hosts served from the cluster today
PART_OF = {"app.kubernetes.io/part-of": "orchid"}


def _owner(path: str) -> str:
    """The group answering `path`: the one with the longest public prefix of it."""
    matches = [(len(prefix), g.name) for g in groups() for prefix in g.paths
               if path == prefix or path.startswith(prefix.rstrip("/") + "/")]
    return max(matches)[1]


def shop_paths() -> dict[str, str]:
    """Prefix → group for the shop host: every public prefix but the staff API's."""
    staff = ADMIN_PREFIXES
    found: dict[str, str] = {}
    for group in groups():
        for prefix in group.paths:
            if not prefix.startswith(staff):
                found.setdefault(prefix.rstrip("/") or "/", group.name)
    return dict(sorted(found.items()))


def manage_paths() -> dict[str, str]:
    """Prefix → group for the staff API's host: the staff prefixes and the staff sign-in.

    A staff prefix several groups answer under (/api/v1/admin/orders, …) is routed by each
    group's own prefix; one inside a group's prefix (/api/v1/accounts/admin) to that group;
    /healthz to the group that signs staff in.
    """
    hosts = Hosts()
    found: dict[str, str] = {}
    for wanted in (*hosts.manage_prefixes, *hosts.manage_open_paths):
        under = {p: g.name for g in groups() for p in g.paths
                 if p.startswith(wanted.rstrip("/") + "/")}
        found |= under or {wanted: _owner(wanted)}
    # Route 53's health check of the staff host (Cloud Armor lets exactly it through).
    found["/healthz"] = _owner(hosts.manage_open_paths[0])
    return dict(sorted(found.items()))


def manage_services() -> list[Manifest]:
    """A second Service for each group on the staff host, carrying the staff backend settings
    (backend settings belong to a Service, so the shop's and the staff's need two)."""
    names = sorted(set(manage_paths().values()))
    return [{
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": f"{name}-manage", "labels": labels(name, "service"),
                     "annotations": {"cloud.google.com/neg": '{"ingress": true}',
                                     "cloud.google.com/backend-config":
                                         f'{{"default": "{MANAGE}"}}'}},
        "spec": {"type": "ClusterIP", "selector": selector(name),
                 "ports": [{"name": "http", "port": PORT, "targetPort": "http",
                            "protocol": "TCP"}]},
    } for name in names]


def _rules(host: str, paths: dict[str, str], suffix: str = "") -> list[Manifest]:
    return [{"host": host, "http": {"paths": [
        {"path": path, "pathType": "Prefix",
         "backend": {"service": {"name": f"{name}{suffix}", "port": {"name": "http"}}}}
        for path, name in paths.items()]}}]


def _ingress(name: str, rules: list[Manifest], default: str | None = None) -> Manifest:
    """A GCE Ingress: its own static address and certificate, the shared HTTPS front end."""
    spec: Manifest = {"rules": rules}
    if default is not None:
        spec["defaultBackend"] = {"service": {"name": default, "port": {"name": "http"}}}
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "labels": {**PART_OF}, "annotations": {
            "kubernetes.io/ingress.class": "gce",
            "kubernetes.io/ingress.global-static-ip-name": name,
            "networking.gke.io/managed-certificates": name,
            "networking.gke.io/v1beta1.FrontendConfig": SHOP}},
        "spec": spec,
    }


def ingress_objects(env: Environment) -> list[Manifest]:
    """The shop's and the staff API's load balancers for one environment."""
    # The home page, and any path no service claims, is the storefront's (as at the local edge).
    storefront = next(g for g in groups() if "storefront" in g.services)
    shop = _ingress(SHOP, _rules(env.shop_host, shop_paths()), default=storefront.name)
    # No default backend: anything but the staff API's paths is the load balancer's 404.
    manage = _ingress(MANAGE, [rule for host in MANAGE_HOSTS
                               for rule in _rules(env.host(host), manage_paths(), "-manage")])
    return [shop, manage, certificate(SHOP, [env.shop_host]),
            certificate(MANAGE, [env.host(h) for h in MANAGE_HOSTS]),
            backend_config(SHOP, sample=0.1), backend_config(MANAGE, sample=1.0),
            frontend_config()]


def certificate(name: str, domains: list[str]) -> Manifest:
    """A Google-managed certificate for the hosts of one Ingress."""
    return {"apiVersion": "networking.gke.io/v1", "kind": "ManagedCertificate",
            "metadata": {"name": name, "labels": {**PART_OF}}, "spec": {"domains": domains}}


def backend_config(name: str, *, sample: float) -> Manifest:
    """Cloud Armor policy, health check on /readyz, timeouts, draining and request logs."""
    return {"apiVersion": "cloud.google.com/v1", "kind": "BackendConfig",
            "metadata": {"name": name, "labels": {**PART_OF}},
            "spec": {"securityPolicy": {"name": name},
                     "timeoutSec": 30,
                     "connectionDraining": {"drainingTimeoutSec": 30},
                     "healthCheck": {"type": "HTTP", "requestPath": "/readyz", "port": PORT,
                                     "checkIntervalSec": 5, "timeoutSec": 2,
                                     "healthyThreshold": 1, "unhealthyThreshold": 2},
                     "logging": {"enable": True, "sampleRate": sample}}}


def frontend_config() -> Manifest:
    """Plain HTTP is redirected to HTTPS; TLS below 1.2 and weak ciphers are refused."""
    return {"apiVersion": "networking.gke.io/v1beta1", "kind": "FrontendConfig",
            "metadata": {"name": SHOP, "labels": {**PART_OF}},
            "spec": {"redirectToHttps": {"enabled": True,
                                         "responseCodeName": "MOVED_PERMANENTLY_DEFAULT"},
                     "sslPolicy": TLS_POLICY}}
