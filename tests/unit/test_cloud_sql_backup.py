"""`orchid ops cloud-backup` against a fake Cloud SQL Admin API (behind httpx's transport): a
backup is taken and waited for, failures are reported, and retention deletes only our own
finished backups the policy no longer keeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count

import httpx
import pytest

from orchid.ops.cloud_sql import MARK, CloudBackupFailed, CloudSqlAdmin, Instance, prune
from orchid.ops.retention import Policy
from tests.support.clock import FakeClock

MAIN = Instance.parse("orchid-prod:asia-south1:orchid-main?port=3306")


class FakeAdminApi:
    """Backup runs per instance and operations that finish after `polls` looks."""

    def __init__(self, *, polls: int = 2, fail: str | None = None, page: int = 3) -> None:
        self.runs: dict[str, list[dict[str, object]]] = {}
        self.operations: dict[str, dict[str, object]] = {}
        self.deleted: list[str] = []
        self.polls, self.fail, self.page = polls, fail, page
        self.tokens: list[str] = []
        self._ids = count(1000)

    def add_run(self, instance: str, at: datetime, *, ours: bool = True,
                status: str = "SUCCESSFUL") -> str:
        run_id = str(next(self._ids))
        self.runs.setdefault(instance, []).append({
            "id": run_id, "windowStartTime": at.isoformat(), "status": status,
            "type": "ON_DEMAND" if ours else "AUTOMATED",
            "description": MARK if ours else ""})
        return run_id

    def _operation(self) -> dict[str, object]:
        name = f"op-{next(self._ids)}"
        self.operations[name] = {"name": name, "status": "RUNNING", "looks": 0}
        return {"name": name, "status": "PENDING"}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.tokens.append(request.headers["authorization"])
        parts = request.url.path.removeprefix("/v1/projects/orchid-prod/").split("/")
        if parts[0] == "operations":
            op = self.operations[parts[1]]
            op["looks"] = int(str(op["looks"])) + 1
            if int(str(op["looks"])) >= self.polls:
                op["status"] = "DONE"
                if self.fail:
                    op["error"] = {"errors": [{"message": self.fail}]}
            return httpx.Response(200, json=op)
        instance = parts[1]
        if request.method == "POST":
            assert json.loads(request.content) == {"description": MARK}
            self.add_run(instance, datetime.now(UTC))
            return httpx.Response(200, json=self._operation())
        if request.method == "DELETE":
            self.deleted.append(parts[3])
            self.runs[instance] = [r for r in self.runs[instance] if r["id"] != parts[3]]
            return httpx.Response(200, json=self._operation())
        runs = self.runs.get(instance, [])
        start = int(request.url.params.get("pageToken", "0"))
        body: dict[str, object] = {"items": runs[start:start + self.page]}
        if start + self.page < len(runs):
            body["nextPageToken"] = str(start + self.page)
        return httpx.Response(200, json=body)


def _admin(api: FakeAdminApi, clock: FakeClock | None = None) -> CloudSqlAdmin:
    clock = clock or FakeClock()
    return CloudSqlAdmin(httpx.Client(transport=httpx.MockTransport(api)), lambda: "tok",
                         pause=clock.advance, clock=clock.monotonic)


def test_a_backup_is_taken_and_waited_for() -> None:
    api = FakeAdminApi(polls=3)
    clock = FakeClock()
    operation = _admin(api, clock).backup(MAIN)
    assert api.operations[operation]["status"] == "DONE"
    assert len(api.runs["orchid-main"]) == 1
    assert clock.elapsed > 0  # it paused between looks, on the injected clock
    assert set(api.tokens) == {"Bearer tok"}


def test_a_failed_operation_says_why() -> None:
    api = FakeAdminApi(fail="instance is being maintained")
    with pytest.raises(CloudBackupFailed, match="instance is being maintained"):
        _admin(api).backup(MAIN)


def test_an_operation_that_never_finishes_times_out() -> None:
    api = FakeAdminApi(polls=10_000)
    with pytest.raises(CloudBackupFailed, match="not done in 60"):
        _admin(api).backup(MAIN, timeout=60)


def test_a_refusal_is_an_error_with_the_apis_words() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"error": {"message": "not authorized"}})

    admin = CloudSqlAdmin(httpx.Client(transport=httpx.MockTransport(refuse)), lambda: "t")
    with pytest.raises(CloudBackupFailed, match="403.*not authorized"):
        admin.backup(MAIN)


def test_retention_deletes_only_our_finished_backups_the_policy_no_longer_keeps() -> None:
    api = FakeAdminApi(page=4)
    start = datetime(2026, 1, 1, 20, 30, tzinfo=UTC)  # 02:00 IST the next day
    ours = [api.add_run("orchid-main", start + timedelta(days=d)) for d in range(40)]
    automated = api.add_run("orchid-main", start, ours=False)
    running = api.add_run("orchid-main", start - timedelta(days=3), status="RUNNING")
    gone = prune(_admin(api), MAIN, Policy(daily=7, weekly=2, monthly=2))
    left = {str(r["id"]) for r in api.runs["orchid-main"]}
    assert {automated, running} <= left
    assert {r.id for r in gone} == set(api.deleted) == set(ours) - left
    assert len(left & set(ours)) == 8  # 7 days, one older week, one older month
    assert ours[-1] in left


@pytest.mark.parametrize("name", ["orchid-main", "p:r", "p::n", ""])
def test_a_bad_instance_name_is_refused(name: str) -> None:
    with pytest.raises(CloudBackupFailed, match="project:region:instance"):
        Instance.parse(name)
