"""The probe's database readers where the databases are Cloud SQL (the GKE deploy): each
instance's state from the Admin API, replication, lag, connections and disk from Cloud
Monitoring, the newest backup from the Admin API — exported under the orchid_* names the probe
uses on one machine, so the cause alerts and the dashboards need no second set of rules. And
the events' dead letters: on GKE Pub/Sub moves a message a push subscription gave up on into
its `<subscription>-dead` subscription itself, so no process counts it
(orchid_events_dead_lettered_total); the probe reads how many wait there instead.

    orchid monitoring probe --port 9102 --cloud-sql /etc/orchid/cloud-sql

The `cloud-sql` folder is the overlay's ConfigMap of that name, mounted as files: the file
`main-replica-1` holds `project:region:instance` and makes that instance member `replica-1` of
the main database. Memorystore and Elasticsearch are read as on one machine, by the URLs in the
workload's secrets.

Google's figures are late: Cloud SQL samples its metrics every 60 s and shows them up to 165 s
later, so a replica that stops is seen minutes after it would be on one machine. An instance
the Admin API no longer calls RUNNABLE is down at the next pass (every 30 s on GKE).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from orchid.monitoring.probe import Reading
from orchid.ops.cloud_sql import CloudSqlAdmin, Instance

MONITORING_API = "https://monitoring.googleapis.com/v3"
MONITORING_SCOPE = "https://www.googleapis.com/auth/monitoring.read"
WINDOW = timedelta(minutes=10)  # how far back a metric's newest point is looked for
METRICS = {  # what the reader calls it → the Cloud Monitoring metric type
    "up": "cloudsql.googleapis.com/database/up",
    "lag": "cloudsql.googleapis.com/database/replication/replica_lag",
    "io": "cloudsql.googleapis.com/database/mysql/replication/slave_io_running_state",
    "sql": "cloudsql.googleapis.com/database/mysql/replication/slave_sql_running_state",
    "connections": "cloudsql.googleapis.com/database/network/connections",
    "disk_used": "cloudsql.googleapis.com/database/disk/bytes_used",
    "disk_quota": "cloudsql.googleapis.com/database/disk/quota",
}
PRIMARY, REPLICA = "CLOUD_SQL_INSTANCE", "READ_REPLICA_INSTANCE"  # the Admin API's instanceType
# Messages waiting in a subscription: on a dead-letter subscription, the dead letters nobody
# has replayed or dropped yet (`orchid events dlq`). Sampled every 60 s, shown up to 180 s later.
UNDELIVERED = "pubsub.googleapis.com/subscription/num_undelivered_messages"
DEAD_SUFFIX = "-dead"  # orchid.events.pubsub's dead-letter subscriptions: <subscription>-dead


class CloudProbeFailed(RuntimeError):
    """A Google API refused or answered what the probe cannot read; the message says which."""


@dataclass(frozen=True)
class CloudMember:
    """One Cloud SQL instance as a member of an Orchid database."""

    database: str
    member: str
    instance: Instance

    @property
    def labels(self) -> dict[str, str]:
        return {"database": self.database, "member": self.member}


def members_from(folder: Path) -> list[CloudMember]:
    """The mounted `cloud-sql` ConfigMap: file `<database>-<member>` → its connection name."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue  # a mounted ConfigMap's own ..data links
        database, _, member = path.name.partition("-")
        if not member:
            raise CloudProbeFailed(f"{path}: expected a file named <database>-<member>")
        found.append(CloudMember(database, member, Instance.parse(path.read_text().strip())))
    if not found:
        raise CloudProbeFailed(f"{folder}: no Cloud SQL instances named")
    return found


Series = dict[str, list[tuple[dict[str, str], float]]]  # resource → (metric labels, newest value)


def cloud_sql_instance(resource: dict[str, str]) -> str:
    """A Cloud SQL series' instance name (its database_id is project:instance)."""
    return resource.get("database_id", "").partition(":")[2]


def subscription(resource: dict[str, str]) -> str:
    """A Pub/Sub series' subscription name."""
    return resource.get("subscription_id", "")


class CloudMonitoring:
    """Cloud Monitoring's time series, with a bearer token from `token`."""

    def __init__(self, client: httpx.Client, token: Callable[[], str], *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._client, self._token, self._now = client, token, now

    def newest(self, project: str, metric: str, *, where: str = "",
               key: Callable[[dict[str, str]], str] = cloud_sql_instance) -> Series:
        """Each resource's series of `metric` (`where` also holding) with its newest point in
        WINDOW, by `key` of the resource's labels (default: the Cloud SQL instance)."""
        end = self._now()
        params = {"filter": f'metric.type = "{metric}"' + (f" AND {where}" if where else ""),
                  "interval.startTime": _rfc3339(end - WINDOW),
                  "interval.endTime": _rfc3339(end), "view": "FULL"}
        found: Series = {}
        while True:
            answer = self._client.get(f"{MONITORING_API}/projects/{project}/timeSeries",
                                      params=params,
                                      headers={"Authorization": f"Bearer {self._token()}"})
            if answer.status_code >= 400:
                raise CloudProbeFailed(f"{metric}: {answer.status_code} {answer.text[:300]}")
            body: dict[str, Any] = answer.json()
            for series in body.get("timeSeries", []):
                name = key(series.get("resource", {}).get("labels", {}))
                points = series.get("points") or []
                if name and points:  # points come newest first
                    found.setdefault(name, []).append(
                        (series.get("metric", {}).get("labels", {}), _number(points[0]["value"])))
            token = body.get("nextPageToken")
            if not token:
                return found
            params["pageToken"] = token


def read_cloud_sql(members: Iterable[CloudMember], admin: CloudSqlAdmin,
                   monitoring: CloudMonitoring) -> Reading:
    """Every member: up, writable, replication and lag, connections, and its disk."""
    reading = Reading()
    by_project: dict[str, list[CloudMember]] = {}
    for member in members:
        by_project.setdefault(member.instance.project, []).append(member)
    for project, found in sorted(by_project.items()):
        described = {str(item.get("name")): item for item in admin.instances(project)}
        series = {name: monitoring.newest(project, metric) for name, metric in METRICS.items()}
        for member in found:
            name = member.instance.name
            about = described.get(name, {})
            up = about.get("state") == "RUNNABLE" and _only(series["up"], name) in (None, 1.0)
            reading.add("orchid_db_member_up", up, member.labels)
            reading.add("orchid_db_member_writable", up and about.get("instanceType") == PRIMARY,
                        member.labels)
            if about.get("instanceType") == REPLICA:
                threads = [_state(series[thread].get(name, [])) for thread in ("io", "sql")]
                if None not in threads:
                    reading.add("orchid_db_replication_running",
                                all(state == "Yes" for state in threads), member.labels)
                lag = _only(series["lag"], name)
                if lag is not None:
                    reading.add("orchid_db_replication_lag_seconds", lag, member.labels)
            connections = _only(series["connections"], name)
            if connections is not None:
                reading.add("orchid_db_connections", connections, member.labels)
            used, quota = _only(series["disk_used"], name), _only(series["disk_quota"], name)
            if used is not None and quota:
                disk = {"path": f"cloudsql:{member.database}/{member.member}"}
                reading.add("orchid_disk_avail_bytes", max(quota - used, 0.0), disk)
                reading.add("orchid_disk_size_bytes", quota, disk)
    return reading


def read_cloud_backups(members: Iterable[CloudMember], admin: CloudSqlAdmin) -> Reading:
    """When each database's newest successful backup (automated or on demand) was taken."""
    reading = Reading()
    for member in members:
        if member.member != "primary":
            continue
        taken = [run.taken_at for run in admin.runs(member.instance)
                 if run.status == "SUCCESSFUL"]
        if taken:
            reading.add("orchid_backup_last_success_timestamp_seconds",
                        max(taken).timestamp(), {"database": member.database})
    return reading


def read_dead_letters(projects: Iterable[str], monitoring: CloudMonitoring) -> Reading:
    """The dead letters waiting in each `<subscription>-dead` subscription of the projects, as
    orchid_events_dead_letters_waiting{subscription} (the subscription that gave up on them)."""
    reading = Reading()
    where = (f'resource.type = "pubsub_subscription" AND '
             f'resource.labels.subscription_id = ends_with("{DEAD_SUFFIX}")')
    for project in sorted(set(projects)):
        found = monitoring.newest(project, UNDELIVERED, where=where, key=subscription)
        for name, points in sorted(found.items()):
            if name.endswith(DEAD_SUFFIX):
                reading.add("orchid_events_dead_letters_waiting", points[0][1],
                            {"subscription": name.removesuffix(DEAD_SUFFIX)})
    return reading


def _only(series: Series, instance: str) -> float | None:
    points = series.get(instance)
    return points[0][1] if points else None


def _state(points: list[tuple[dict[str, str], float]]) -> str | None:
    """A replication thread's state: the `state` label of the series that is true now."""
    states = [labels.get("state", "") for labels, value in points if value]
    return states[0] if states else None


def _number(value: dict[str, Any]) -> float:
    for key in ("doubleValue", "int64Value"):
        if key in value:
            return float(value[key])
    if "boolValue" in value:
        return float(bool(value["boolValue"]))
    raise CloudProbeFailed(f"a point that is not a number: {value}")


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
