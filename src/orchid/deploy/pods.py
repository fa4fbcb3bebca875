"""The pod every Orchid workload runs: the app's container hardened the same way everywhere, the
Cloud SQL Auth Proxy beside it when it touches a database, and its secrets as files.

Hardening (Online Boutique's, and the Pod Security Standards' restricted profile): its own
non-root user, a read-only root filesystem with emptyDir volumes for the data folder and /tmp,
every capability dropped, no privilege escalation, the runtime's default seccomp profile, no
Kubernetes API token mounted, requests and limits on every container.
"""

from __future__ import annotations

from typing import Any

from orchid.deploy.workloads import IMAGE, PORT
from orchid.services import MAIN_DB, WAREHOUSE_DB

Manifest = dict[str, Any]

APP_UID = 10001  # the image's user (deploy/image/Dockerfile)
PROXY_UID = 65532  # the proxy image's own non-root user
SECRETS_PATH = "/var/run/secrets/orchid"
FLOORS_PATH = "/etc/orchid/floors"  # the floors CronJob's ConfigMap (floors.py)
# gcr.io's Cloud SQL Auth Proxy v2, pinned by digest.
CLOUD_SQL_PROXY = ("gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.2@sha256:"
                   "a77c72c56747cf2f431a4ed5e4a45e62003ca0fb94dc9f0c9cd390e84be2fa0e")
PROXY_HEALTH_PORT = 9801
# The proxy listens on loopback for each Cloud SQL instance; the app's URLs (secret files)
# name these ports. Key: the instance's entry in the `cloud-sql` ConfigMap of each overlay.
SQL_PORTS: dict[str, dict[str, int]] = {
    MAIN_DB: {"main-primary": 3306, "main-replica-1": 3307, "main-replica-2": 3308,
              "main-replica-3": 3309},
    WAREHOUSE_DB: {"warehouse-primary": 3310, "warehouse-replica-1": 3311},
}


def labels(name: str, component: str) -> dict[str, str]:
    """The labels every object of workload `name` carries."""
    return {**selector(name), "app.kubernetes.io/component": component}


def selector(name: str) -> dict[str, str]:
    """The labels that pick workload `name`'s pods."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "orchid"}


def restricted() -> Manifest:
    """A container's security context: nothing beyond running its own code."""
    return {"allowPrivilegeEscalation": False, "privileged": False,
            "readOnlyRootFilesystem": True, "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]}}


def resources(cpu: str, cpu_limit: str, memory: str) -> Manifest:
    """Requests and limits; memory's request equals its limit (it cannot be taken back)."""
    return {"requests": {"cpu": cpu, "memory": memory},
            "limits": {"cpu": cpu_limit, "memory": memory}}


def app_container(*, args: list[str], env: list[Manifest], cpu: str, cpu_limit: str,
                  memory: str, serving: bool, secrets: bool = True) -> Manifest:
    """The Orchid container: probes when it serves, its secrets and scratch space as files."""
    container: Manifest = {
        "name": "app",
        "image": IMAGE,
        "imagePullPolicy": "Always",
        "args": args,
        "env": [{"name": "ORCHID_SECRETS_DIR", "value": SECRETS_PATH}, *env],
        "envFrom": [{"configMapRef": {"name": "orchid-config"}}],
        "resources": resources(cpu, cpu_limit, memory),
        "securityContext": restricted(),
        "volumeMounts": [
            {"name": "data", "mountPath": "/var/lib/orchid"},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    if secrets:
        container["volumeMounts"].append({"name": "secrets", "mountPath": SECRETS_PATH,
                                          "readOnly": True})
    if serving:
        container["ports"] = [{"name": "http", "containerPort": PORT, "protocol": "TCP"}]
        probe = {"httpGet": {"path": "/healthz", "port": "http"}, "timeoutSeconds": 2}
        container["startupProbe"] = {**probe, "periodSeconds": 2, "failureThreshold": 30}
        container["livenessProbe"] = {**probe, "periodSeconds": 10, "failureThreshold": 3}
        container["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": "http"},
                                       "timeoutSeconds": 2, "periodSeconds": 5,
                                       "failureThreshold": 2}
        # The load balancer keeps sending for a few seconds after a pod starts terminating
        # (its network endpoint group is updated asynchronously): keep serving meanwhile.
        container["lifecycle"] = {"preStop": {"sleep": {"seconds": 10}}}
    return container


def cloud_sql_proxy(stores: frozenset[str]) -> Manifest:
    """The Cloud SQL Auth Proxy as a native sidecar, one loopback port per instance used.

    The instances' connection names differ per environment; they come from the overlay's
    `cloud-sql` ConfigMap into the proxy's CSQL_PROXY_INSTANCE_CONNECTION_NAME_<n> variables.
    """
    instances = [(key, port) for store in (MAIN_DB, WAREHOUSE_DB) if store in stores
                 for key, port in SQL_PORTS[store].items()]
    env = [{"name": f"CSQL_PROXY_INSTANCE_CONNECTION_NAME_{n}",
            "valueFrom": {"configMapKeyRef": {"name": "cloud-sql", "key": key}}}
           for n, (key, _) in enumerate(instances)]
    def probe(path: str, **timing: int) -> Manifest:
        return {"httpGet": {"path": path, "port": PROXY_HEALTH_PORT}, "timeoutSeconds": 2,
                **timing}

    return {
        "name": "cloud-sql-proxy",
        "image": CLOUD_SQL_PROXY,
        "imagePullPolicy": "Always",
        "restartPolicy": "Always",  # a native sidecar: started first, stopped last
        "args": ["--structured-logs", "--private-ip", "--health-check",
                 "--http-address=0.0.0.0", f"--http-port={PROXY_HEALTH_PORT}",
                 "--exit-zero-on-sigterm", "--max-sigterm-delay=30s"],
        "env": env,
        "ports": [{"name": "proxy-health", "containerPort": PROXY_HEALTH_PORT}],
        "startupProbe": probe("/startup", periodSeconds=1, failureThreshold=30),
        "livenessProbe": probe("/liveness", periodSeconds=10),
        "readinessProbe": probe("/readiness", periodSeconds=5),
        "resources": resources("50m", "500m", "128Mi"),
        "securityContext": {**restricted(), "runAsUser": PROXY_UID, "runAsGroup": PROXY_UID},
    }


def pod_spec(name: str, *, containers: list[Manifest], stores: frozenset[str],
             restart: str = "Always", zones_spread: bool = True,
             secrets: bool = True) -> Manifest:
    """A pod of workload `name`: hardened, its secrets mounted, spread across zones."""
    spec: Manifest = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "restartPolicy": restart,
        "terminationGracePeriodSeconds": 45,
        "securityContext": {"runAsNonRoot": True, "runAsUser": APP_UID, "runAsGroup": APP_UID,
                            "fsGroup": APP_UID, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": containers,
        "volumes": [
            {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
        ],
    }
    if secrets:
        # Secret Manager's files through GKE's Secret Manager add-on: nothing is stored as a
        # Kubernetes Secret.
        spec["volumes"].append({"name": "secrets", "csi": {
            "driver": "secrets-store-gke.csi.k8s.io", "readOnly": True,
            "volumeAttributes": {"secretProviderClass": name}}})
    if stores & {MAIN_DB, WAREHOUSE_DB}:
        spec["initContainers"] = [cloud_sql_proxy(stores)]
    if zones_spread:
        spec["topologySpreadConstraints"] = [
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
             "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels":
                                                                     selector(name)}},
            {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
             "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels":
                                                                      selector(name)}},
        ]
    return spec
