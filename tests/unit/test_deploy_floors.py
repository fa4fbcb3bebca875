"""Night step-scaling: which floor each hour wants, and the reconciler's patches to the API
server (a fake one behind httpx's transport, holding autoscalers as the real one does)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from orchid.deploy.environments import ENVIRONMENTS
from orchid.deploy.floors import Autoscalers, Floors, reconcile
from orchid.deploy.overlays import FLOORS_FILE, floors_config

PATH = "/apis/autoscaling/v2/namespaces/orchid/horizontalpodautoscalers"


class FakeApiServer:
    """Autoscalers by name; answers GET and merge-PATCH like the API server, 404 otherwise."""

    def __init__(self, autoscalers: dict[str, tuple[int, int]]) -> None:
        self.specs = {name: {"minReplicas": lo, "maxReplicas": hi}
                      for name, (lo, hi) in autoscalers.items()}
        self.patches: list[tuple[str, dict[str, object]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        if not request.url.path.startswith(PATH) or name not in self.specs:
            return httpx.Response(404, json={"kind": "Status", "reason": "NotFound"})
        if request.method == "PATCH":
            assert request.headers["content-type"] == "application/merge-patch+json"
            body = json.loads(request.content)
            self.patches.append((name, body))
            self.specs[name].update(body["spec"])
        return httpx.Response(200, json={"spec": self.specs[name]})


def _floors(tmp_path: Path, env: str = "prod") -> Floors:
    path = tmp_path / FLOORS_FILE
    path.write_text(floors_config(ENVIRONMENTS[env], sale_day=False)["data"][FLOORS_FILE])
    return Floors.load(path)


def _at(hour: int, minute: int = 0) -> datetime:
    """A moment given in India's time (UTC+05:30), as UTC."""
    total = (hour * 60 + minute - 330) % (24 * 60)
    return datetime(2026, 12, 7, total // 60, total % 60, tzinfo=UTC)


@pytest.mark.parametrize(("hour", "minute", "night"), [
    (0, 59, False), (1, 0, True), (3, 30, True), (6, 59, True), (7, 0, False), (13, 0, False),
])
def test_the_night_is_from_one_to_seven_on_indias_clock(
        tmp_path: Path, hour: int, minute: int, night: bool) -> None:
    assert _floors(tmp_path).is_night(_at(hour, minute)) is night


def test_at_night_floors_step_down_and_in_the_morning_back_up(tmp_path: Path) -> None:
    floors = _floors(tmp_path)
    server = FakeApiServer({name: (f["day"], 40) for name, f in floors.autoscalers.items()})
    autoscalers = Autoscalers(httpx.Client(transport=httpx.MockTransport(server),
                                           base_url="https://api"), "orchid")
    try:
        night = reconcile(floors, autoscalers, clock=lambda: _at(2))
        assert {c.name: c.after for c in night} == {n: f["night"]
                                                    for n, f in floors.autoscalers.items()}
        assert server.specs["storefront"]["minReplicas"] == 2
        stepped = {name for name, _ in server.patches}
        assert stepped == {n for n, f in floors.autoscalers.items() if f["night"] != f["day"]}
        server.patches.clear()
        again = reconcile(floors, autoscalers, clock=lambda: _at(3))
        assert server.patches == [] and all(c.before == c.after for c in again)
        morning = reconcile(floors, autoscalers, clock=lambda: _at(7, 5))
        assert server.specs["storefront"]["minReplicas"] == 6
        assert {c.name for c in morning if c.before != c.after} == stepped
    finally:
        autoscalers.close()


def test_a_floor_never_goes_above_the_autoscalers_ceiling(tmp_path: Path) -> None:
    floors = _floors(tmp_path)
    server = FakeApiServer({name: (1, 3) for name in floors.autoscalers})
    autoscalers = Autoscalers(httpx.Client(transport=httpx.MockTransport(server),
                                           base_url="https://api"), "orchid")
    try:
        changes = reconcile(floors, autoscalers, clock=lambda: _at(12))
    finally:
        autoscalers.close()
    assert {c.after for c in changes} <= {1, 2, 3}
    assert server.specs["storefront"] == {"minReplicas": 3, "maxReplicas": 3}


def test_a_dry_run_patches_nothing(tmp_path: Path) -> None:
    floors = _floors(tmp_path)
    server = FakeApiServer({name: (9, 40) for name in floors.autoscalers})
    autoscalers = Autoscalers(httpx.Client(transport=httpx.MockTransport(server),
                                           base_url="https://api"), "orchid")
    try:
        changes = reconcile(floors, autoscalers, clock=lambda: _at(2), dry_run=True)
    finally:
        autoscalers.close()
    assert server.patches == [] and any(c.before != c.after for c in changes)


def test_a_missing_autoscaler_is_an_error_not_a_silent_skip(tmp_path: Path) -> None:
    floors = _floors(tmp_path)
    server = FakeApiServer({"catalog": (4, 30)})
    autoscalers = Autoscalers(httpx.Client(transport=httpx.MockTransport(server),
                                           base_url="https://api"), "orchid")
    try:
        with pytest.raises(httpx.HTTPStatusError, match="404"):
            reconcile(floors, autoscalers, clock=lambda: _at(2))
    finally:
        autoscalers.close()
