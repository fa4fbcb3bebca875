"""Bench targets: the stack's state.json, one process by URL, restarts between readings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchid.loadtest.target import TargetUnavailable, from_state, from_url, restarts


def state(**overrides: Any) -> dict[str, Any]:
    """A state.json as `orchid up`'s supervisor writes it."""
    written: dict[str, Any] = {
        "version": 1, "phase": "ready", "supervisor_pid": 100, "topology": "all-in-one",
        "workers": 2, "base_url": "http://127.0.0.1:18080/", "startup_seconds": 12.3,
        "components": [
            {"name": "supervisor", "kind": "supervisor", "port": 9100, "pid": 100,
             "restarts": 0, "log": "/s.log"},
            {"name": "main-primary", "kind": "mariadb", "port": 3307, "pid": 101,
             "restarts": 0, "log": "/m.log"},
            {"name": "app-1", "kind": "app", "port": 18001, "pid": 102, "restarts": 0,
             "log": "/a.log"},
            {"name": "edge", "kind": "edge", "port": 18080, "pid": None, "restarts": 0,
             "log": "/e.log"},
        ]}
    written.update(overrides)
    return written


def write(folder: Path, content: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "state.json").write_text(json.dumps(content))
    return folder


def test_a_ready_stack_gives_its_url_and_pids(tmp_path: Path) -> None:
    target = from_state(write(tmp_path, state()))
    assert target.base_url == "http://127.0.0.1:18080"
    assert target.source == "stack" and target.topology == "all-in-one" and target.workers == 2
    assert target.roots == {"supervisor": 100, "main-primary": 101, "app-1": 102}  # no pid: out
    assert target.kinds["main-primary"] == "mariadb"


@pytest.mark.parametrize(("content", "message"), [
    (None, "start the stack with `orchid up`"),
    (state(phase="starting"), "is 'starting', not ready"),
    (state(phase="failed", error="mariadb exited"), "not ready: mariadb exited"),
])
def test_no_ready_stack_is_refused_with_the_reason(tmp_path: Path, content: dict[str, Any] | None,
                                                   message: str) -> None:
    if content is not None:
        write(tmp_path, content)
    with pytest.raises(TargetUnavailable, match=message):
        from_state(tmp_path)


def test_restarts_are_seen_between_readings(tmp_path: Path) -> None:
    before = from_state(write(tmp_path, state()))
    changed = state()
    changed["components"][2].update(pid=202, restarts=1)
    del changed["components"][1]
    changed["components"].append({"name": "redis", "kind": "redis", "pid": 303})
    after = from_state(write(tmp_path, changed))
    assert before.refreshed().roots == after.roots
    assert restarts(before, after) == [
        "app-1 restarted: pid 102 → 202, restarts 0 → 1", "redis appeared (pid 303)",
        "main-primary is gone (was pid 101)"]
    assert restarts(after, after) == []


def test_one_process_by_url() -> None:
    target = from_url("http://127.0.0.1:8000/", app_pid=4242)
    assert (target.base_url, target.roots, target.kinds) == (
        "http://127.0.0.1:8000", {"app": 4242}, {"app": "app"})
    assert target.refreshed() is target
    blind = from_url("http://127.0.0.1:8000", app_pid=None)
    assert blind.roots == {} and blind.notes == ["no --app-pid: the app's CPU is not measured"]
