"""The probe's Cloud SQL readers (GKE) against fake Admin and Monitoring APIs behind httpx's
transport: the orchid_* samples the cause alerts read come out of Google's answers — up,
writable, replication, lag, disk, backups, the events' dead letters waiting in Pub/Sub — and a
refusal is reported, not read as health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from orchid.monitoring.cloud import (
    METRICS,
    UNDELIVERED,
    CloudMember,
    CloudMonitoring,
    CloudProbeFailed,
    members_from,
    read_cloud_backups,
    read_cloud_sql,
    read_dead_letters,
)
from orchid.monitoring.probe import Reading, StoreProbe
from orchid.ops.cloud_sql import CloudSqlAdmin, Instance
from orchid.ops.targets import Targets

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
PROJECT = "orchid-prod"


class FakeGoogle:
    """The Admin API's instances and backup runs, and Cloud Monitoring's newest points."""

    def __init__(self) -> None:
        self.instances: dict[str, dict[str, str]] = {}
        self.points: dict[tuple[str, str], list[tuple[dict[str, str], Any]]] = {}
        self.runs: dict[str, list[dict[str, str]]] = {}
        self.refuse: str | None = None
        self.page = 2
        self.filters: list[str] = []
        self.waiting: dict[str, int] = {}  # Pub/Sub subscription → its undelivered messages

    def instance(self, name: str, kind: str, state: str = "RUNNABLE", **metrics: Any) -> None:
        self.instances[name] = {"name": name, "instanceType": kind, "state": state}
        for metric, value in metrics.items():
            points = value if isinstance(value, list) else [({}, value)]
            self.points[(METRICS[metric], name)] = points

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer tok"
        path = request.url.path
        if self.refuse:
            return httpx.Response(403, json={"error": {"message": self.refuse}})
        if request.url.host == "monitoring.googleapis.com":
            return self._series(request)
        if path == f"/v1/projects/{PROJECT}/instances":
            return httpx.Response(200, json={"items": list(self.instances.values())})
        instance = path.split("/")[5]
        return httpx.Response(200, json={"items": self.runs.get(instance, [])})

    def _series(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["interval.endTime"] == "2026-12-07T10:00:00Z"
        assert params["interval.startTime"] == "2026-12-07T09:50:00Z"
        self.filters.append(params["filter"])
        metric = params["filter"].split('"')[1]
        series = [{"metric": {"type": metric, "labels": labels},
                   "resource": {"type": "cloudsql_database",
                                "labels": {"database_id": f"{PROJECT}:{name}"}},
                   "points": [{"value": _typed(value)}, {"value": {"int64Value": "0"}}]}
                  for (kind, name), points in self.points.items() if kind == metric
                  for labels, value in points]
        if metric == UNDELIVERED:  # what the filter asks for: subscriptions ending in -dead
            assert 'resource.labels.subscription_id = ends_with("-dead")' in params["filter"]
            series = [{"metric": {"type": metric, "labels": {}},
                       "resource": {"type": "pubsub_subscription",
                                    "labels": {"project_id": PROJECT, "subscription_id": name}},
                       "points": [{"value": _typed(count)}, {"value": {"int64Value": "9"}}]}
                      for name, count in self.waiting.items() if name.endswith("-dead")]
        start = int(params.get("pageToken", "0"))
        body: dict[str, Any] = {"timeSeries": series[start:start + self.page]}
        if start + self.page < len(series):
            body["nextPageToken"] = str(start + self.page)
        return httpx.Response(200, json=body)


def _typed(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"int64Value": str(value)}  # the API writes 64-bit integers as strings
    return {"doubleValue": value}


def _members() -> list[CloudMember]:
    return [CloudMember("main", "primary", Instance(PROJECT, "orchid-main")),
            CloudMember("main", "replica-1", Instance(PROJECT, "orchid-main-replica-1"))]


def _read(google: FakeGoogle) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    client = httpx.Client(transport=httpx.MockTransport(google))
    admin = CloudSqlAdmin(client, lambda: "tok")
    monitoring = CloudMonitoring(client, lambda: "tok", now=lambda: NOW)
    reading = read_cloud_sql(_members(), admin, monitoring)
    reading.samples += read_cloud_backups(_members(), admin).samples
    return {(name, tuple(sorted(labels.items()))): value
            for name, labels, value, _ in reading.samples}


def _at(member: str) -> tuple[tuple[str, str], ...]:
    return (("database", "main"), ("member", member))


def _running(io: str, sql: str) -> dict[str, Any]:
    """Cloud SQL's thread states: one series per state, true for the current one."""
    return {"io": [({"state": state}, state == io) for state in ("Yes", "No", "Connecting")],
            "sql": [({"state": state}, state == sql) for state in ("Yes", "No")]}


def _healthy() -> FakeGoogle:
    google = FakeGoogle()
    google.instance("orchid-main", "CLOUD_SQL_INSTANCE", up=1, connections=40,
                    disk_used=60 * 2**30, disk_quota=100 * 2**30)
    google.instance("orchid-main-replica-1", "READ_REPLICA_INSTANCE", up=1, lag=0.4,
                    **_running("Yes", "Yes"))
    return google


def test_a_healthy_pair_reads_as_the_local_probe_would() -> None:
    google = _healthy()
    taken = NOW - timedelta(hours=3)
    google.runs["orchid-main"] = [
        {"id": "1", "windowStartTime": taken.isoformat(), "status": "SUCCESSFUL"},
        {"id": "2", "windowStartTime": (NOW - timedelta(hours=1)).isoformat(),
         "status": "FAILED"}]
    found = _read(google)
    assert found[("orchid_db_member_up", _at("primary"))] == 1
    assert found[("orchid_db_member_writable", _at("primary"))] == 1
    assert found[("orchid_db_member_up", _at("replica-1"))] == 1
    assert found[("orchid_db_member_writable", _at("replica-1"))] == 0
    assert found[("orchid_db_replication_running", _at("replica-1"))] == 1
    assert found[("orchid_db_replication_lag_seconds", _at("replica-1"))] == 0.4
    assert found[("orchid_db_connections", _at("primary"))] == 40
    disk = (("path", "cloudsql:main/primary"),)
    assert found[("orchid_disk_avail_bytes", disk)] == 40 * 2**30
    assert found[("orchid_disk_size_bytes", disk)] == 100 * 2**30
    # the failed run is newer, but a backup that failed is no backup
    backup = ("orchid_backup_last_success_timestamp_seconds", (("database", "main"),))
    assert found[backup] == taken.timestamp()
    # the replica is no primary: no replication series on the primary, no backups asked of it
    assert ("orchid_db_replication_running", _at("primary")) not in found
    assert 'metric.type = "cloudsql.googleapis.com/database/up"' in google.filters


@pytest.mark.parametrize("state", ["FAILED", "SUSPENDED", "MAINTENANCE", "PENDING_CREATE"])
def test_an_instance_that_is_not_runnable_is_down(state: str) -> None:
    google = _healthy()
    google.instances["orchid-main"]["state"] = state
    found = _read(google)
    assert found[("orchid_db_member_up", _at("primary"))] == 0
    assert found[("orchid_db_member_writable", _at("primary"))] == 0


def test_an_instance_cloud_monitoring_sees_down_is_down() -> None:
    google = _healthy()
    google.points[(METRICS["up"], "orchid-main")] = [({}, 0)]
    assert _read(google)[("orchid_db_member_up", _at("primary"))] == 0


def test_an_instance_the_admin_api_does_not_list_is_down() -> None:
    google = _healthy()
    del google.instances["orchid-main-replica-1"]
    found = _read(google)
    assert found[("orchid_db_member_up", _at("replica-1"))] == 0
    assert ("orchid_db_replication_running", _at("replica-1")) not in found


@pytest.mark.parametrize(("io", "sql"), [("No", "Yes"), ("Connecting", "Yes"), ("Yes", "No")])
def test_a_stopped_replication_thread_reads_as_replication_stopped(io: str, sql: str) -> None:
    google = _healthy()
    for metric, points in _running(io, sql).items():
        google.points[(METRICS[metric], "orchid-main-replica-1")] = points
    found = _read(google)
    assert found[("orchid_db_replication_running", _at("replica-1"))] == 0
    assert found[("orchid_db_member_up", _at("replica-1"))] == 1


def test_no_figures_yet_export_no_replication_or_disk_series() -> None:
    google = FakeGoogle()  # a new instance: Monitoring has no points for it yet
    google.instance("orchid-main", "CLOUD_SQL_INSTANCE")
    google.instance("orchid-main-replica-1", "READ_REPLICA_INSTANCE")
    found = _read(google)
    assert found[("orchid_db_member_up", _at("replica-1"))] == 1  # the Admin API says RUNNABLE
    names = {name for name, _ in found}
    assert names == {"orchid_db_member_up", "orchid_db_member_writable"}


def test_a_refusal_is_an_error_not_a_healthy_reading() -> None:
    google = _healthy()
    google.refuse = "Permission monitoring.timeSeries.list denied"
    client = httpx.Client(transport=httpx.MockTransport(google))
    with pytest.raises(CloudProbeFailed, match="403"):
        CloudMonitoring(client, lambda: "tok", now=lambda: NOW).newest(PROJECT, METRICS["up"])


def test_dead_letters_waiting_in_pubsub_are_read_per_subscription() -> None:
    # On GKE Pub/Sub parks what a push subscription gave up on in <subscription>-dead itself:
    # the probe exports how many wait there, under the subscription that gave up on them.
    google = FakeGoogle()
    google.page = 1  # one series a page: every page is read
    google.waiting = {"daily-sales-dead": 3, "search-index-catalog-dead": 0, "daily-sales": 7}
    client = httpx.Client(transport=httpx.MockTransport(google))
    monitoring = CloudMonitoring(client, lambda: "tok", now=lambda: NOW)
    reading = read_dead_letters([PROJECT, PROJECT], monitoring)
    assert reading.samples == [
        ("orchid_events_dead_letters_waiting", {"subscription": "daily-sales"}, 3.0, False),
        ("orchid_events_dead_letters_waiting", {"subscription": "search-index-catalog"}, 0.0,
         False)]
    assert len(google.filters) == 2  # one project, asked once (two pages)


def test_a_dead_letter_reading_refused_is_an_error() -> None:
    google = FakeGoogle()
    google.refuse = "Permission monitoring.timeSeries.list denied"
    client = httpx.Client(transport=httpx.MockTransport(google))
    with pytest.raises(CloudProbeFailed, match="403"):
        read_dead_letters([PROJECT], CloudMonitoring(client, lambda: "tok", now=lambda: NOW))


def test_the_configmap_folder_names_the_members(tmp_path: Path) -> None:
    # how the kubelet mounts a ConfigMap: the keys are links into a ..data folder
    data = tmp_path / "..2026_12_07_10_00_00.1"
    data.mkdir()
    (tmp_path / "..data").symlink_to(data.name)
    for key, value in {"main-primary": "orchid-prod:asia-south1:orchid-main?port=3306\n",
                       "warehouse-replica-1":
                           "orchid-prod:asia-south1:orchid-warehouse-replica-1?port=3311"}.items():
        (data / key).write_text(value)
        (tmp_path / key).symlink_to(f"..data/{key}")
    assert members_from(tmp_path) == [
        CloudMember("main", "primary", Instance("orchid-prod", "orchid-main")),
        CloudMember("warehouse", "replica-1",
                    Instance("orchid-prod", "orchid-warehouse-replica-1"))]
    (tmp_path / "nodash").write_text("orchid-prod:asia-south1:x")
    with pytest.raises(CloudProbeFailed, match="<database>-<member>"):
        members_from(tmp_path)


def test_the_probe_exports_extra_readers_beside_its_own(tmp_path: Path) -> None:
    def cloud() -> Reading:
        reading = Reading()
        reading.add("orchid_db_member_up", 1, {"database": "main", "member": "primary"})
        return reading

    probe = StoreProbe(Targets({}, backup_dir=tmp_path), extra={"cloud-sql": cloud})
    probe.read_all()
    registry = CollectorRegistry()
    registry.register(probe)
    text = generate_latest(registry).decode()
    assert 'orchid_db_member_up{database="main",member="primary"} 1.0' in text


def test_the_command_reads_cloud_sql_and_the_settings_stores(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchid.monitoring import cli
    from orchid.ops import cloud_sql

    (tmp_path / "main-primary").write_text("orchid-prod:asia-south1:orchid-main?port=3306")
    monkeypatch.setattr(cloud_sql, "google_token", lambda scopes: lambda: "tok")
    monkeypatch.setenv("ORCHID_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("ORCHID_ELASTICSEARCH_URL", "http://127.0.0.1:1")
    probe = cli._cloud_probe(tmp_path, disks=[])
    assert set(probe.readers) == {"cloud-sql", "cloud-backups", "dead-letters", "redis",
                                  "elasticsearch"}
