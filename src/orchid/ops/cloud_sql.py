"""Backups where the databases are Cloud SQL (the GKE deploy): an on-demand backup of each
primary through the Cloud SQL Admin API, then the same retention as `orchid ops backups prune`.

Cloud SQL already takes automated daily backups and keeps binary logs for point-in-time
recovery (deploy/terraform); those live and die with the instance and its retention window.
The nightly CronJob adds backups taken when we choose and kept as long as our policy says
(7 daily, 4 weekly, 12 monthly, on the shop's clock) — on-demand backups stay until deleted.

    orchid ops cloud-backup      # ORCHID_OPS_CLOUD_SQL_PRIMARIES names the instances
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from orchid.kit.clock import Clock
from orchid.ops.retention import Policy, keep

ADMIN_API = "https://sqladmin.googleapis.com/v1"
SCOPE = "https://www.googleapis.com/auth/sqlservice.admin"
MARK = "orchid nightly"  # the description of the backups this command takes (and prunes)


class CloudBackupFailed(RuntimeError):
    """The Admin API refused, or an operation ended in error; the message says which."""


@dataclass(frozen=True)
class Instance:
    """A Cloud SQL instance by its connection name, project:region:name."""

    project: str
    name: str

    @classmethod
    def parse(cls, connection: str) -> Instance:
        """Read `project:region:name` (a proxy's `?port=` suffix is ignored)."""
        parts = connection.partition("?")[0].split(":")
        if len(parts) != 3 or not all(parts):
            raise CloudBackupFailed(f"not a Cloud SQL connection name: {connection!r} "
                                    "(expected project:region:instance)")
        return cls(parts[0], parts[2])

    @property
    def path(self) -> str:
        return f"/projects/{self.project}/instances/{self.name}"


@dataclass(frozen=True)
class BackupRun:
    """One backup of an instance as the Admin API lists it."""

    id: str
    taken_at: datetime
    status: str
    ours: bool  # taken by this command (on demand, with our description)


class CloudSqlAdmin:
    """The Admin API's backup runs and operations, with a bearer token from `token`."""

    def __init__(self, client: httpx.Client, token: Callable[[], str], *,
                 pause: Callable[[float], None] = time.sleep,
                 clock: Clock = time.monotonic) -> None:
        self._client, self._token = client, token
        self._pause, self._clock = pause, clock

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = self._client.request(method, f"{ADMIN_API}{path}", **kwargs,
                                      headers={"Authorization": f"Bearer {self._token()}"})
        if answer.status_code >= 400:
            raise CloudBackupFailed(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        body: dict[str, Any] = answer.json()
        return body

    def backup(self, instance: Instance, *, timeout: float = 3600) -> str:
        """Take an on-demand backup and wait for it; return the operation's name."""
        operation = self._call("POST", f"{instance.path}/backupRuns",
                               json={"description": MARK})
        self.wait(instance, str(operation["name"]), timeout=timeout)
        return str(operation["name"])

    def wait(self, instance: Instance, operation: str, *, timeout: float) -> None:
        """Wait until an operation is DONE; raise with its errors when it failed."""
        deadline, pause = self._clock() + timeout, 1.0
        while True:
            body = self._call("GET", f"/projects/{instance.project}/operations/{operation}")
            if body.get("status") == "DONE":
                errors = body.get("error", {}).get("errors", [])
                if errors:
                    raise CloudBackupFailed(f"{instance.name}: {operation} failed: "
                                            + "; ".join(e.get("message", "") for e in errors))
                return
            if self._clock() >= deadline:
                raise CloudBackupFailed(f"{instance.name}: {operation} not done in {timeout} s")
            self._pause(pause)
            pause = min(pause * 2, 30.0)

    def runs(self, instance: Instance) -> list[BackupRun]:
        """Every backup run of an instance, every page of them."""
        found, token = [], None
        while True:
            params = {"maxResults": 500, **({"pageToken": token} if token else {})}
            body = self._call("GET", f"{instance.path}/backupRuns", params=params)
            for item in body.get("items", []):
                found.append(BackupRun(
                    id=str(item["id"]),
                    taken_at=datetime.fromisoformat(item["windowStartTime"]),
                    status=str(item.get("status", "")),
                    ours=item.get("type") == "ON_DEMAND" and item.get("description") == MARK))
            token = body.get("nextPageToken")
            if not token:
                return found

    def instances(self, project: str) -> list[dict[str, Any]]:
        """Every instance of a project as the Admin API describes it (name, state, type…)."""
        found: list[dict[str, Any]] = []
        token = None
        while True:
            params: dict[str, str] = {"pageToken": token} if token else {}
            body = self._call("GET", f"/projects/{project}/instances", params=params)
            found += body.get("items", [])
            token = body.get("nextPageToken")
            if not token:
                return found

    def delete(self, instance: Instance, run: BackupRun, *, timeout: float = 600) -> None:
        """Delete one backup run and wait until it is gone."""
        operation = self._call("DELETE", f"{instance.path}/backupRuns/{run.id}")
        self.wait(instance, str(operation["name"]), timeout=timeout)


def prune(admin: CloudSqlAdmin, instance: Instance, policy: Policy) -> list[BackupRun]:
    """Delete this command's successful backups that the policy no longer keeps; return them.

    Automated backups, other people's on-demand ones and unfinished runs are never touched.
    """
    ours = [run for run in admin.runs(instance) if run.ours and run.status == "SUCCESSFUL"]
    kept = keep([(run.id, run.taken_at) for run in ours], policy)
    gone = [run for run in ours if run.id not in kept]
    for run in gone:
        admin.delete(instance, run)
    return gone


def google_token(scopes: tuple[str, ...] = (SCOPE,)) -> Callable[[], str]:
    """A bearer token of the workload's Google identity (Workload Identity on GKE)."""
    import google.auth
    from google.auth.transport.requests import Request

    credentials, _ = google.auth.default(scopes=list(scopes))

    def token() -> str:
        if not credentials.valid:
            credentials.refresh(Request())  # type: ignore[no-untyped-call]
        return str(credentials.token)

    return token
