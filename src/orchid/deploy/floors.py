"""Night step-scaling: a CronJob that keeps every autoscaler's floor at the hour's value.

Between 01:00 and 07:00 Asia/Kolkata the shop's traffic is a fraction of the day's, so the
autoscalers' `minReplicas` step down to the night floors (orchid-floors ConfigMap, per
environment) and back up before the morning. Chosen over KEDA's cron scaler because KEDA would
own the autoscalers (a ScaledObject replaces the HPA this deploy generates) and is one more
operator to run and trust; a CronJob of our own image needs only a Role that may patch these
autoscalers by name.

It reconciles rather than fires once: every ten minutes it sets the floor the hour wants, so a
deploy in the night (whose manifests carry day floors) is stepped back down within minutes,
and a missed run is made good by the next.

    orchid deploy floors --config /etc/orchid/floors/floors.json
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from orchid.deploy.pods import FLOORS_PATH, Manifest, labels, resources, restricted
from orchid.deploy.workloads import groups

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
NAME = "floors"


@dataclass(frozen=True)
class Floors:
    """The floors file: the shop's zone, the night's hours, and each autoscaler's floors."""

    zone: ZoneInfo
    night_from: time
    night_to: time
    autoscalers: dict[str, dict[str, int]]

    @classmethod
    def load(cls, path: Path) -> Floors:
        """Read the ConfigMap's file."""
        body = json.loads(path.read_text())
        return cls(zone=ZoneInfo(body["zone"]),
                   night_from=time.fromisoformat(body["night"]["from"]),
                   night_to=time.fromisoformat(body["night"]["to"]),
                   autoscalers={name: {"day": int(f["day"]), "night": int(f["night"])}
                                for name, f in body["autoscalers"].items()})

    def is_night(self, now: datetime) -> bool:
        """True when `now` (timezone-aware) falls in the night's hours on the shop's clock."""
        local = now.astimezone(self.zone).time()
        return self.night_from <= local < self.night_to

    def wanted(self, now: datetime) -> dict[str, int]:
        """Autoscaler → the floor it should have at `now`."""
        part = "night" if self.is_night(now) else "day"
        return {name: floors[part] for name, floors in self.autoscalers.items()}


@dataclass(frozen=True)
class Change:
    """One autoscaler's floor, before and after (equal when it was already right)."""

    name: str
    before: int
    after: int


class Autoscalers:
    """The namespace's HorizontalPodAutoscalers through the Kubernetes API."""

    def __init__(self, client: httpx.Client, namespace: str) -> None:
        self._client = client
        self._path = f"/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers"

    @classmethod
    def in_cluster(cls) -> Autoscalers:
        """Reach the API server as the pod's service account."""
        host = os.environ["KUBERNETES_SERVICE_HOST"]
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        token = (SERVICE_ACCOUNT / "token").read_text().strip()
        namespace = (SERVICE_ACCOUNT / "namespace").read_text().strip()
        client = httpx.Client(base_url=f"https://{host}:{port}",
                              verify=str(SERVICE_ACCOUNT / "ca.crt"), timeout=10,
                              headers={"Authorization": f"Bearer {token}"})
        return cls(client, namespace)

    def floor(self, name: str) -> tuple[int, int]:
        """(minReplicas, maxReplicas) of one autoscaler."""
        answer = self._client.get(f"{self._path}/{name}")
        answer.raise_for_status()
        spec: dict[str, Any] = answer.json()["spec"]
        return int(spec.get("minReplicas", 1)), int(spec["maxReplicas"])

    def set_floor(self, name: str, floor: int) -> None:
        """Set one autoscaler's minReplicas."""
        answer = self._client.patch(f"{self._path}/{name}",
                                    content=json.dumps({"spec": {"minReplicas": floor}}),
                                    headers={"Content-Type": "application/merge-patch+json"})
        answer.raise_for_status()

    def close(self) -> None:
        self._client.close()


def reconcile(floors: Floors, autoscalers: Autoscalers, *,
              clock: Callable[[], datetime] = lambda: datetime.now(UTC),
              dry_run: bool = False) -> list[Change]:
    """Bring every autoscaler's floor to the hour's value (never above its ceiling)."""
    changes = []
    for name, wanted in sorted(floors.wanted(clock()).items()):
        before, ceiling = autoscalers.floor(name)
        after = min(wanted, ceiling)
        if after != before and not dry_run:
            autoscalers.set_floor(name, after)
        changes.append(Change(name, before, after))
    return changes


def floors_access() -> list[Manifest]:
    """The Role that lets the floors job patch these autoscalers, and nothing else."""
    meta = {"name": NAME, "labels": labels(NAME, "task")}
    rbac = "rbac.authorization.k8s.io"
    return [
        {"apiVersion": f"{rbac}/v1", "kind": "Role", "metadata": meta,
         "rules": [{"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"],
                    "resourceNames": [g.name for g in groups()], "verbs": ["get", "patch"]}]},
        {"apiVersion": f"{rbac}/v1", "kind": "RoleBinding", "metadata": meta,
         "roleRef": {"apiGroup": rbac, "kind": "Role", "name": NAME},
         "subjects": [{"kind": "ServiceAccount", "name": NAME}]},
    ]


def floors_objects() -> list[Manifest]:
    """The CronJob, its identity and its network policy (its Role is in floors_access)."""
    meta = {"name": NAME, "labels": labels(NAME, "task")}
    container = {
        "name": "floors", "image": "orchid", "imagePullPolicy": "Always",
        "args": ["deploy", "floors", "--config", f"{FLOORS_PATH}/floors.json"],
        "resources": resources("50m", "200m", "128Mi"), "securityContext": restricted(),
        "volumeMounts": [{"name": "floors", "mountPath": FLOORS_PATH, "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }
    pod = {
        "serviceAccountName": NAME,
        "automountServiceAccountToken": True,  # it talks to the API server, and only it
        "restartPolicy": "Never",
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [{"name": "floors", "configMap": {"name": "orchid-floors"}},
                    {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}}],
    }
    skip = {"checkov.io/skip1": "CKV_K8S_38=It patches autoscalers through the API server, "
                                "with a Role limited to get and patch on them by name"}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {**meta, "annotations": skip},
         "spec": {
            "schedule": "*/10 * * * *", "timeZone": "Asia/Kolkata",
            "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 300,
            "successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 3,
            "jobTemplate": {"spec": {"backoffLimit": 1, "activeDeadlineSeconds": 120,
                                     "ttlSecondsAfterFinished": 3600,
                                     "template": {"metadata": {"labels": labels(NAME, "task")},
                                                  "spec": pod}}}}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta,
         "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": NAME,
                                                  "app.kubernetes.io/part-of": "orchid"}},
                  "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}},
    ]
